"""How a campaign ended: the outcome organisers record when they close it.

Stored on the campaign (`outcome`, `outcome_on`, `outcome_texts`, `closed_at`), so the
public page shows it from the campaign it already has. A campaign with an outcome takes
no signature (`Campaign.is_open`), keeps its count, and shows the outcome in place of the
form. Recording one is `outcomes.services.close_campaign`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from campaign.campaigns.milestones import text_in
from campaign.campaigns.models import Campaign

MAX_OUTCOME_TEXT = 3000


class OutcomeKind(enum.StrEnum):
    DELIVERED = "delivered"  # handed to the target on a day
    WON = "won"  # the demand was met
    LOST = "lost"  # it was refused, or the chance passed
    RESPONSE = "response"  # the target answered


@dataclass(frozen=True)
class Outcome:
    """A closed campaign's outcome, with its text in one language (`locale` says which)."""

    kind: OutcomeKind
    on: date | None
    text: str
    locale: str


def campaign_outcome(campaign: Campaign, locale: str) -> Outcome | None:
    """The campaign's outcome in `locale` (or its own language), None while it runs."""
    if campaign.outcome is None:
        return None
    text, language = text_in(campaign.outcome_texts or {}, locale, campaign.locale)
    return Outcome(OutcomeKind(campaign.outcome), campaign.outcome_on, text, language)


def clean_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Texts by language, each trimmed (line breaks kept), empty ones dropped."""
    cleaned = {
        language: "\n".join(line.rstrip() for line in text.strip().splitlines())
        for language, text in texts.items()
        if text and text.strip()
    }
    return dict(sorted(cleaned.items()))
