"""What the API reads: petitions, confirmed signatures and deleted ones, as OSDI resources.

Lists are read with keyset paging: each page ends with a cursor (the last row's sort key),
and the next page starts after it. Signatures confirmed while a client pages arrive after
the last page, and a deletion meanwhile moves no row from one page to another, so no row
is missed or sent twice.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    or_,
    select,
    union_all,
)

from campaign.api.models import SignatureDeletion
from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.campaigns.services import CampaignText
from campaign.database import DbSession
from campaign.signing.models import Signature, SignatureStatus, counts_in_public

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
# OSDI's OData subset, as much of it as a sync needs: one comparison with a quoted time.
_FILTER = re.compile(r"^\s*modified_date\s+gt\s+'([^']{1,40})'\s*$")


class BadApiRequest(ValueError):
    """A parameter the API cannot use; the message says which, for the developer."""


@dataclass(frozen=True)
class Cursor:
    """A position in a list: the sort time and id of a row, and on which side to go."""

    at: datetime
    id: int
    forward: bool = True

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.id, self.forward]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, row_id, forward = json.loads(raw)
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None or not isinstance(row_id, int) or row_id > 2**62:
                raise ValueError(text)
            return cls(moment.astimezone(UTC), row_id, bool(forward))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
            raise BadApiRequest("cursor is not one this API gave") from error


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    cursor: Cursor | None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    first: Cursor | None  # of the first row on the page: the way back
    last: Cursor | None  # of the last row: the way on
    has_more: bool
    has_fewer: bool


def parse_paging(page: str | None, per_page: str | None, cursor: str | None) -> Paging:
    """Paging from query parameters; raises BadApiRequest with what is wrong."""
    number = _positive(page, "page", 1, 10**9)
    size = _positive(per_page, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    return Paging(number, size, Cursor.decode(cursor) if cursor else None)


def _positive(value: str | None, name: str, default: int, most: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 10 or not 1 <= int(value) <= most:
        raise BadApiRequest(f"{name} must be a whole number from 1 to {most}")
    return int(value)


def parse_modified_since(text: str | None) -> datetime | None:
    """The time in `modified_date gt '2026-11-01T00:00:00Z'`; None without a filter."""
    if text is None or text == "":
        return None
    match = _FILTER.match(text)
    if match is None:
        raise BadApiRequest("filter must be like: modified_date gt '2026-11-01T00:00:00Z'")
    try:
        moment = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    except ValueError as error:
        raise BadApiRequest(
            "the filter's time must be ISO 8601, like 2026-11-01T00:00:00Z"
        ) from error
    if moment.tzinfo is None:
        raise BadApiRequest("the filter's time needs a time zone, like 2026-11-01T00:00:00Z")
    if not 2000 <= moment.year <= 9998:
        raise BadApiRequest("the filter's time must be between the years 2000 and 9998")
    return moment.astimezone(UTC)


def osdi_time(value: datetime | None) -> str | None:
    """A time as OSDI writes it: UTC, to the second, with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _keyset(query: Select[Any], key: Any, row_id: Any, paging: Paging) -> Select[Any]:
    """The query for one page, and one row more (to know whether there is another page).

    From a cursor it reads after (or, from a `prev` link, before) the cursor's row, in
    (key, id) order; without one, the page number is an offset (a first look)."""
    cursor = paging.cursor
    limit = paging.per_page + 1
    if cursor is None:
        offset = (paging.page - 1) * paging.per_page
        return query.order_by(key, row_id).offset(offset).limit(limit)
    if cursor.forward:
        after = or_(key > cursor.at, and_(key == cursor.at, row_id > cursor.id))
        return query.where(after).order_by(key, row_id).limit(limit)
    before = or_(key < cursor.at, and_(key == cursor.at, row_id < cursor.id))
    return query.where(before).order_by(key.desc(), row_id.desc()).limit(limit)


def _page(
    session: DbSession,
    query: Select[Any],
    count: Select[Any],
    paging: Paging,
    key_of: Callable[[Any], tuple[datetime, int]],
) -> Page:
    reversed_ = paging.cursor is not None and not paging.cursor.forward
    rows = list(session.execute(query).all())
    more_that_way = len(rows) > paging.per_page
    rows = rows[: paging.per_page]
    if reversed_:
        rows.reverse()
    total = int(session.scalar(count) or 0)
    first = Cursor(*key_of(rows[0]), False) if rows else None
    last = Cursor(*key_of(rows[-1]), True) if rows else None
    if reversed_:
        has_more, has_fewer = True, more_that_way
    else:
        has_more = more_that_way
        has_fewer = paging.cursor is not None or paging.page > 1
    return Page(rows, total, first, last, has_more, has_fewer)


def signatures_page(
    session: DbSession, campaign_id: int, paging: Paging, modified_since: datetime | None
) -> Page:
    """Confirmed, counted signatures (the export's set): by confirmation time, or, for a
    sync (`modified_since`), those changed after that time, by time of change."""
    where: list[ColumnElement[bool]] = [Signature.campaign_id == campaign_id, counts_in_public()]
    key: Any = Signature.confirmed_at
    if modified_since is not None:
        where.append(Signature.modified_at > modified_since)
        key = Signature.modified_at
    query = _keyset(select(Signature).where(*where), key, Signature.id, paging)
    count = select(func.count()).select_from(Signature).where(*where)

    def key_of(row: Any) -> tuple[datetime, int]:
        signature: Signature = row[0]
        moment = signature.modified_at if modified_since is not None else signature.confirmed_at
        assert moment is not None
        return moment, signature.id

    page = _page(session, query, count, paging, key_of)
    return Page([row[0] for row in page.rows], *_rest(page))


def _rest(page: Page) -> tuple[int, Cursor | None, Cursor | None, bool, bool]:
    return page.total, page.first, page.last, page.has_more, page.has_fewer


def deleted_signatures_page(
    session: DbSession, campaign_id: int, paging: Paging, since: datetime | None
) -> Page:
    """Signatures a syncing CRM must delete: those deleted after being confirmed, those an
    organiser removed from the count (invalidated, or held back as suspect), and those found
    to be another spelling of an earlier signature's mailbox (duplicate). Identifiers
    and times only. Rows are (signature id, time)."""
    deleted = select(
        SignatureDeletion.signature_id.label("id"), SignatureDeletion.deleted_at.label("at")
    ).where(SignatureDeletion.campaign_id == campaign_id)
    withdrawn = select(Signature.id.label("id"), Signature.modified_at.label("at")).where(
        Signature.campaign_id == campaign_id,
        or_(
            Signature.status.in_([SignatureStatus.INVALIDATED, SignatureStatus.DUPLICATE]),
            and_(Signature.status == SignatureStatus.CONFIRMED, Signature.suspect.is_(True)),
        ),
    )
    if since is not None:
        deleted = deleted.where(SignatureDeletion.deleted_at > since)
        withdrawn = withdrawn.where(Signature.modified_at > since)
    both = union_all(deleted, withdrawn).subquery()
    query = _keyset(select(both.c.id, both.c.at), both.c.at, both.c.id, paging)
    count = select(func.count()).select_from(both)
    return _page(session, query, count, paging, lambda row: (as_utc(row[1]), row[0]))


def as_utc(value: Any) -> datetime:
    """A time read through a UNION, which loses the column's type on SQLite (text)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def signature_identifier(signature_id: int) -> str:
    return f"campaign:signature-{signature_id}"


def email_status(signature: Signature) -> str:
    """OSDI's subscription status: subscribed while they want news."""
    if signature.opt_in and signature.opt_in_withdrawn_at is None:
        return "subscribed"
    return "unsubscribed"


def signature_resource(signature: Signature, links: dict[str, str]) -> dict[str, Any]:
    """One signature as OSDI's signature resource, with its person."""
    person: dict[str, Any] = {
        "given_name": signature.first_name,
        "family_name": signature.last_name,
        "email_addresses": [],
        "postal_addresses": [{"country": signature.country}],
        "languages_spoken": [signature.locale],
        "custom_fields": dict(signature.answers or {}),
    }
    if signature.anonymised_at is None and signature.email:
        person["email_addresses"] = [
            {"address": signature.email, "primary": True, "status": email_status(signature)}
        ]
    if signature.postcode:
        person["postal_addresses"][0]["postal_code"] = signature.postcode
    return {
        "identifiers": [signature_identifier(signature.id)],
        "created_date": osdi_time(signature.signed_at),
        "modified_date": osdi_time(signature.modified_at),
        "action_date": osdi_time(signature.confirmed_at),
        "status": signature.status,
        "origin_system": "paper" if signature.import_key else "campaign",
        "referrer_data": {"source": signature.source},
        "person": person,
        "_links": {name: {"href": href} for name, href in links.items()},
    }


def petition_resource(
    campaign: Campaign, text: CampaignText, total: int, links: dict[str, str]
) -> dict[str, Any]:
    return {
        "identifiers": [f"campaign:{campaign.slug}"],
        "origin_system": "campaign",
        "title": text.title,
        "summary": text.summary,
        "description": str(render_body(text.body)),  # HTML, as OSDI has it
        "petition_text": text.body,  # Markdown, as written
        "target": [{"name": text.target}],
        "browser_url": links.pop("browser_url"),
        "total_signatures": total,
        "created_date": osdi_time(campaign.created_at),
        "modified_date": osdi_time(campaign.updated_at),
        "_links": {name: {"href": href} for name, href in links.items()},
    }


def visible_campaigns(session: DbSession, campaign_id: int | None) -> list[Campaign]:
    """The published campaigns a key may see (drafts are the organisers' alone)."""
    query = (
        select(Campaign).where(Campaign.status == CampaignStatus.PUBLISHED).order_by(Campaign.id)
    )
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    return list(session.scalars(query).all())


def find_signature(session: DbSession, campaign_id: int, email_normalised: str) -> Signature | None:
    """The signature that counts for this address (not one set aside as a duplicate)."""
    return session.scalar(
        select(Signature)
        .where(Signature.campaign_id == campaign_id)
        .where(Signature.email_normalised == email_normalised)
        .where(Signature.status != SignatureStatus.DUPLICATE)
    )
