"""The delivery report's content, the same for the printable page and the PDF: the
campaign's text in the organiser's language, the confirmed count and the counts by country,
its outcome, and (for the PDF, when asked) the signers' names and countries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlalchemy import case, select

from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign
from campaign.campaigns.outcomes import Outcome, campaign_outcome
from campaign.campaigns.services import CampaignText, campaign_text
from campaign.countries import country_name
from campaign.database import DbSession
from campaign.signing.models import Signature, counts_in_public
from campaign.tallies.services import Tally, read_tally

# A Markdown heading line: the demand is the text before the second one.
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)


@dataclass(frozen=True)
class DeliveryReport:
    campaign: Campaign
    text: CampaignText
    body: Markup  # the whole text, as the page shows it
    demand: Markup  # its first section: the demand, without what is written for supporters
    tally: Tally
    rows: list[tuple[str, str, int]]  # (country's name, code, signatures), most first
    outcome: Outcome | None
    today: date


def demand_of(body: str) -> str:
    """The first section of a campaign's Markdown: up to its second heading (or all of it).

    The delivery PDF carries the demand, not the rest of the page, which speaks to
    supporters ("what happens with your signature")."""
    headings = [match.start() for match in _HEADING.finditer(body)]
    if len(headings) >= 2:
        return body[: headings[1]].rstrip()
    return body


def delivery_report(
    session: DbSession, campaign: Campaign, locale: str, today: date
) -> DeliveryReport:
    text = campaign_text(session, campaign, locale)
    tally = read_tally(session, campaign.id)
    return DeliveryReport(
        campaign=campaign,
        text=text,
        body=render_body(text.body),
        demand=render_body(demand_of(text.body)),
        tally=tally,
        rows=[(country_name(code, locale), code, n) for code, n in tally.by_country],
        outcome=campaign_outcome(campaign, locale),
        today=today,
    )


@dataclass(frozen=True)
class Signer:
    first_name: str
    last_name: str
    country: str  # ISO code


def signers(
    session: DbSession, campaign_id: int, country_order: list[str], batch_size: int = 2000
) -> Iterator[Signer]:
    """Every counted signer's name and country (never an address), country by country in
    `country_order`, then by name; read in batches, so memory does not grow with the
    campaign. Anonymised signatures have no name left and are not listed."""
    order: list[Any] = [Signature.country, Signature.last_name, Signature.first_name, Signature.id]
    if country_order:  # (a CASE needs at least one WHEN)
        rank = case(
            {code: i for i, code in enumerate(country_order)},
            value=Signature.country,
            else_=len(country_order),
        )
        order.insert(0, rank)
    rows = session.execute(
        select(Signature.first_name, Signature.last_name, Signature.country)
        .where(Signature.campaign_id == campaign_id, counts_in_public())
        .where(Signature.anonymised_at.is_(None))
        .order_by(*order)
        .execution_options(yield_per=batch_size)
    )
    for first_name, last_name, country in rows:
        yield Signer(first_name, last_name, country)
