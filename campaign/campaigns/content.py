"""Campaign content files (Markdown with a metadata header) and loading them into the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import markdown
from markupsafe import Markup
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import DbSession

REQUIRED_FIELDS = ("slug", "title", "summary", "target", "goal")


class ContentError(Exception):
    """A content file is missing a field or has one that cannot be read."""


@dataclass(frozen=True)
class CampaignContent:
    slug: str
    locale: str
    title: str
    summary: str
    target: str
    body: str
    goal: int
    featured: bool
    show_recent_signers: bool
    opens_at: datetime | None
    closes_at: datetime | None


def _parse_time(value: str | None, path: Path, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ContentError(f"{path.name}: {name} is not an ISO 8601 time") from error
    if parsed.tzinfo is None:
        raise ContentError(f"{path.name}: {name} needs a time zone, e.g. 2026-12-01T00:00Z")
    return parsed


def read_content_file(path: Path) -> CampaignContent:
    """Read one campaign file: `key: value` lines, a blank line, then the Markdown body."""
    converter = markdown.Markdown(extensions=["meta"])
    converter.convert(path.read_text(encoding="utf-8"))
    meta = {key: " ".join(values).strip() for key, values in converter.Meta.items()}
    missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
    if missing:
        raise ContentError(f"{path.name}: missing {', '.join(missing)}")
    try:
        goal = int(meta["goal"])
    except ValueError as error:
        raise ContentError(f"{path.name}: goal must be a whole number") from error
    if goal <= 0:
        raise ContentError(f"{path.name}: goal must be positive")
    body = "\n".join(converter.lines).strip()
    return CampaignContent(
        slug=meta["slug"],
        locale=meta.get("locale", "en"),
        title=meta["title"],
        summary=meta["summary"],
        target=meta["target"],
        body=body,
        goal=goal,
        featured=meta.get("featured", "false").lower() == "true",
        show_recent_signers=meta.get("show_recent_signers", "true").lower() == "true",
        opens_at=_parse_time(meta.get("opens_at"), path, "opens_at"),
        closes_at=_parse_time(meta.get("closes_at"), path, "closes_at"),
    )


def seed_campaigns(session: DbSession, directory: Path) -> list[tuple[str, str]]:
    """Create or update a campaign for each content file; returns (slug, "created"/"updated").

    Text always follows the file. Settings that organisers may change at run time (goal,
    open and close times, featured, recent signers) come from the file only when the
    campaign is created, so re-seeding never undoes their decisions.
    """
    results = []
    for path in sorted(directory.glob("*.md")):
        content = read_content_file(path)
        campaign = session.scalar(select(Campaign).where(Campaign.slug == content.slug))
        if campaign is None:
            campaign = Campaign(
                slug=content.slug,
                goal=content.goal,
                featured=content.featured,
                show_recent_signers=content.show_recent_signers,
                opens_at=content.opens_at,
                closes_at=content.closes_at,
            )
            session.add(campaign)
            action = "created"
        else:
            action = "updated"
        campaign.locale = content.locale
        campaign.title = content.title
        campaign.summary = content.summary
        campaign.target = content.target
        campaign.body = content.body
        session.flush()
        results.append((content.slug, action))
    return results


def render_body(body: str) -> Markup:
    """The campaign text as HTML. Content files are ours, but raw HTML in them is escaped anyway."""
    converter = markdown.Markdown(extensions=["smarty"], output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return Markup(converter.convert(body))  # noqa: S704 (raw HTML disabled above)
