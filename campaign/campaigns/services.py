"""Reading campaigns for their public pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.database import DbSession
from campaign.signing.models import Signature, counts_in_public


@dataclass(frozen=True)
class RecentSigner:
    """What the public may see of a recent signer: where, and when. Never who."""

    country: str
    confirmed_at: datetime


@dataclass(frozen=True)
class CampaignText:
    """A campaign's words in one language: `locale` says which (for `lang` attributes)."""

    locale: str
    title: str
    summary: str
    target: str
    body: str  # Markdown


def campaign_text(session: DbSession, campaign: Campaign, locale: str) -> CampaignText:
    """The campaign's text in `locale`, or in the campaign's own language if not translated."""
    if locale != campaign.locale:
        translation = session.scalar(
            select(CampaignTranslation)
            .where(CampaignTranslation.campaign_id == campaign.id)
            .where(CampaignTranslation.locale == locale)
        )
        if translation is not None:
            return CampaignText(
                locale=translation.locale,
                title=translation.title,
                summary=translation.summary,
                target=translation.target,
                body=translation.body,
            )
    return CampaignText(
        locale=campaign.locale,
        title=campaign.title,
        summary=campaign.summary,
        target=campaign.target,
        body=campaign.body,
    )


def find_campaign(session: DbSession, slug: str) -> Campaign | None:
    if len(slug) > 64:
        return None
    return session.scalar(select(Campaign).where(Campaign.slug == slug))


def featured_campaign(session: DbSession) -> Campaign | None:
    """The campaign `/` shows: the newest featured one, else the newest of all."""
    return session.scalar(
        select(Campaign).order_by(Campaign.featured.desc(), Campaign.created_at.desc()).limit(1)
    )


def recent_signers(session: DbSession, campaign_id: int, limit: int = 5) -> list[RecentSigner]:
    rows = session.execute(
        select(Signature.country, Signature.confirmed_at)
        .where(Signature.campaign_id == campaign_id)
        .where(counts_in_public())
        .order_by(Signature.confirmed_at.desc())
        .limit(limit)
    ).all()
    return [RecentSigner(country, confirmed_at) for country, confirmed_at in rows if confirmed_at]
