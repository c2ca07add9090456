"""Campaigns written in the browser: start one as a draft, write and translate its text,
publish it. Each change is in the audit log; from the first one, the database owns the
campaign's text and `flask campaigns seed` leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign import signals
from campaign.audit.services import record_event
from campaign.campaigns.models import (
    REQUIRED_TEXT,
    SLUG_PATTERN,
    Campaign,
    CampaignStatus,
    CampaignTranslation,
)
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import DbSession
from campaign.organisers.models import Organiser
from campaign.organisers.services import grant

# Paths under /organiser/campaigns/ that a campaign's slug would hide.
RESERVED_SLUGS = frozenset({"new"})


class SlugTaken(ValueError):
    """Another campaign has this slug already (or it names one of our own pages)."""


class TextMissing(ValueError):
    """The campaign's main language needs every required field."""


@dataclass(frozen=True)
class CampaignWords:
    """A campaign's text in one language, as typed (already trimmed and checked by the form)."""

    title: str
    summary: str
    target: str
    body: str  # Markdown

    @classmethod
    def of(cls, row: Campaign | CampaignTranslation | None) -> CampaignWords:
        if row is None:
            return cls("", "", "", "")
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    @property
    def complete(self) -> bool:
        return all(getattr(self, name).strip() for name in REQUIRED_TEXT)


@dataclass(frozen=True)
class NewCampaign:
    slug: str
    locale: str
    goal: int
    words: CampaignWords


def may_create_campaigns(organiser: Organiser) -> bool:
    return organiser.is_admin or organiser.can_create_campaigns


def create_campaign(
    session: DbSession, new: NewCampaign, *, actor: Organiser, now: datetime
) -> Campaign:
    """A draft campaign, owned by the database, granted to the organiser who made it.
    Raises SlugTaken (the caller rolls back) or TextMissing."""
    if not new.words.complete:
        raise TextMissing
    if (
        not SLUG_PATTERN.fullmatch(new.slug)
        or new.slug in RESERVED_SLUGS
        or find_campaign_by_slug(session, new.slug) is not None
    ):
        raise SlugTaken(new.slug)
    campaign = Campaign(
        slug=new.slug,
        locale=new.locale,
        goal=new.goal,
        title=new.words.title,
        summary=new.words.summary,
        target=new.words.target,
        body=new.words.body,
        featured=False,
        show_recent_signers=True,
        status=CampaignStatus.DRAFT,
        published_at=None,
        edited_in_browser_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    try:
        session.flush()
    except IntegrityError as error:  # made at the same moment by someone else
        raise SlugTaken(new.slug) from error
    grant(session, actor, campaign, now)
    record_event(
        session,
        actor=actor,
        action="campaign.create",
        campaign_id=campaign.id,
        details={"slug": campaign.slug, "locale": campaign.locale, "goal": campaign.goal},
        now=now,
    )
    return campaign


def translation_of(
    session: DbSession, campaign: Campaign, locale: str
) -> CampaignTranslation | None:
    return session.scalar(
        select(CampaignTranslation)
        .where(CampaignTranslation.campaign_id == campaign.id)
        .where(CampaignTranslation.locale == locale)
    )


def campaign_words(session: DbSession, campaign: Campaign, locale: str) -> CampaignWords:
    """What is written in `locale` (empty fields where nothing is yet), never a fallback."""
    if locale == campaign.locale:
        return CampaignWords.of(campaign)
    return CampaignWords.of(translation_of(session, campaign, locale))


def save_words(
    session: DbSession,
    campaign: Campaign,
    locale: str,
    words: CampaignWords,
    *,
    actor: Organiser,
    now: datetime,
) -> list[str]:
    """Write the campaign's text in one language; the names of the fields that changed.

    The main language must stay complete (TextMissing). A translation may be saved half
    done: it is served only once complete (CampaignTranslation.is_complete).
    """
    if locale == campaign.locale:
        if not words.complete:
            raise TextMissing
        row: Campaign | CampaignTranslation | None = campaign
    else:
        row = translation_of(session, campaign, locale)
    before = CampaignWords.of(row)
    changed = [
        f.name for f in fields(CampaignWords) if getattr(before, f.name) != getattr(words, f.name)
    ]
    if not changed:
        return changed
    if row is None:
        row = CampaignTranslation(campaign_id=campaign.id, locale=locale)
        session.add(row)
    for f in fields(CampaignWords):
        setattr(row, f.name, getattr(words, f.name))
    row.updated_at = now
    campaign.updated_at = now
    if campaign.edited_in_browser_at is None:
        campaign.edited_in_browser_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="campaign.text",
        campaign_id=campaign.id,
        details={"locale": locale, "fields": changed, "complete": words.complete},
        now=now,
    )
    return changed


def publish_campaign(
    session: DbSession, campaign: Campaign, *, actor: Organiser, now: datetime
) -> bool:
    """Make a draft public (page, JSON, embed, counter, API); False if it already was."""
    if campaign.is_published:
        return False
    campaign.status = CampaignStatus.PUBLISHED
    campaign.published_at = now
    campaign.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="campaign.publish",
        campaign_id=campaign.id,
        details={"slug": campaign.slug},
        now=now,
    )
    signals.campaign_published.send(campaign.id, session=session, now=now)
    return True


@dataclass(frozen=True)
class LanguageState:
    locale: str
    main: bool
    complete: bool
    started: bool  # any field written


def language_states(
    session: DbSession, campaign: Campaign, languages: list[str]
) -> list[LanguageState]:
    """The campaign's main language first, then every other offered or already written."""
    rows = {
        row.locale: row
        for row in session.scalars(
            select(CampaignTranslation).where(CampaignTranslation.campaign_id == campaign.id)
        )
    }
    others = [code for code in languages if code != campaign.locale]
    others += sorted(code for code in rows if code not in others and code != campaign.locale)
    states = [LanguageState(campaign.locale, main=True, complete=True, started=True)]
    for code in others:
        words = CampaignWords.of(rows.get(code))
        started = any(getattr(words, f.name).strip() for f in fields(CampaignWords))
        states.append(LanguageState(code, main=False, complete=words.complete, started=started))
    return states
