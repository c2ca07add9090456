"""Reading campaigns: by slug, the featured one, and their text in a language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from campaign.campaigns.models import Campaign, CampaignStatus, CampaignTranslation
from campaign.database import DbSession


@dataclass(frozen=True)
class CampaignText:
    """A campaign's words in one language: `locale` says which (for `lang` attributes)."""

    locale: str
    title: str
    summary: str
    target: str
    body: str  # Markdown


def campaign_text(session: DbSession, campaign: Campaign, locale: str) -> CampaignText:
    """The campaign's text in `locale`, or in the campaign's own language if not translated
    (or if the translation is still incomplete: a half-written language is never served)."""
    if locale != campaign.locale:
        translation = session.scalar(
            select(CampaignTranslation)
            .where(CampaignTranslation.campaign_id == campaign.id)
            .where(CampaignTranslation.locale == locale)
        )
        if translation is not None and translation.is_complete:
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


def find_campaign_by_slug(session: DbSession, slug: str) -> Campaign | None:
    """The campaign with this slug, if any (a slug longer than any campaign's finds none)."""
    if len(slug) > 64:
        return None
    return session.scalar(select(Campaign).where(Campaign.slug == slug))


def find_public_campaign_by_slug(session: DbSession, slug: str) -> Campaign | None:
    """The campaign with this slug if the public may see it (not a draft)."""
    campaign = find_campaign_by_slug(session, slug)
    return campaign if campaign is not None and campaign.is_published else None


def featured_campaign(session: DbSession) -> Campaign | None:
    """The campaign `/` shows: the newest featured one, else the newest of all (drafts never)."""
    return session.scalar(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.PUBLISHED)
        .order_by(Campaign.featured.desc(), Campaign.created_at.desc())
        .limit(1)
    )
