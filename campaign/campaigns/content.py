"""Campaign content files (Markdown with a metadata header) and loading them into the database.

A campaign is a folder, `content/campaigns/<slug>/`, with one file per language named by its
language code (`en.md`, `fr.md`). The main file, the campaign's own language, is the one that
holds the settings (`goal` and the others); every other file holds only the translated
`title`, `summary`, `target` and text. A single file `content/campaigns/<slug>.md` (with a
`slug` line and an optional `locale`) is a campaign in one language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import markdown
import nh3
from babel import Locale, UnknownLocaleError
from markupsafe import Markup
from sqlalchemy import select

from campaign import signals
from campaign.campaigns.embedding import BadOrigin, parse_origins
from campaign.campaigns.models import SLUG_PATTERN, Campaign, CampaignTranslation
from campaign.campaigns.questions import (
    Question,
    QuestionsError,
    questions_from_toml,
    questions_to_json,
)
from campaign.database import DbSession

TEXT_FIELDS = ("title", "summary", "target")
REQUIRED_FIELDS = ("slug", *TEXT_FIELDS, "goal")
SETTING_FIELDS = (
    "slug",
    "locale",
    "goal",
    "featured",
    "show_recent_signers",
    "opens_at",
    "closes_at",
    "embed_origins",
)
# A language code as Babel and the `translations/` folder name them: `fr`, `pt_BR`, `sr_Latn`.
_LOCALE_NAME = re.compile(r"^[a-z]{2,3}(_[A-Z]{2}|_[A-Z][a-z]{3})?$")


class ContentError(Exception):
    """A content file is missing a field or has one that cannot be read."""


@dataclass(frozen=True)
class TranslatedContent:
    """A campaign's text in one more language."""

    locale: str
    title: str
    summary: str
    target: str
    body: str


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
    translations: tuple[TranslatedContent, ...] = ()
    questions: tuple[Question, ...] = ()
    embed_origins: tuple[str, ...] = ()

    @property
    def locales(self) -> list[str]:
        return [self.locale, *(t.locale for t in self.translations)]


def _parse_time(value: str | None, label: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ContentError(f"{label}: {name} is not an ISO 8601 time") from error
    if parsed.tzinfo is None:
        raise ContentError(f"{label}: {name} needs a time zone, e.g. 2026-12-01T00:00Z")
    return parsed


def _parse_origins(value: str | None, label: str) -> tuple[str, ...]:
    try:
        return parse_origins(value)
    except BadOrigin as error:
        raise ContentError(
            f"{label}: embed_origins: {error} is not an origin like https://example.org"
        ) from error


def _parse_locale(value: str, label: str) -> str:
    try:
        if not _LOCALE_NAME.match(value):
            raise ValueError(value)
        Locale.parse(value)
    except (ValueError, UnknownLocaleError) as error:
        raise ContentError(
            f"{label}: {value!r} is not a language code like en, fr or pt_BR"
        ) from error
    return value


def _read(path: Path) -> tuple[dict[str, str], str]:
    """The `key: value` header and the Markdown body of one file."""
    converter = markdown.Markdown(extensions=["meta"])
    converter.convert(path.read_text(encoding="utf-8"))
    meta = {key: " ".join(values).strip() for key, values in converter.Meta.items()}
    return meta, "\n".join(converter.lines).strip()


def _missing(meta: dict[str, str], names: tuple[str, ...], label: str) -> None:
    missing = [name for name in names if not meta.get(name)]
    if missing:
        raise ContentError(f"{label}: missing {', '.join(missing)}")


def _main_content(
    meta: dict[str, str], body: str, label: str, translations: tuple[TranslatedContent, ...] = ()
) -> CampaignContent:
    _missing(meta, REQUIRED_FIELDS, label)
    try:
        goal = int(meta["goal"])
    except ValueError as error:
        raise ContentError(f"{label}: goal must be a whole number") from error
    if goal <= 0:
        raise ContentError(f"{label}: goal must be positive")
    if not SLUG_PATTERN.fullmatch(meta["slug"]):
        raise ContentError(
            f"{label}: slug must be lowercase letters, digits and hyphens (at most 64)"
        )
    return CampaignContent(
        slug=meta["slug"],
        locale=_parse_locale(meta.get("locale", "en"), label),
        title=meta["title"],
        summary=meta["summary"],
        target=meta["target"],
        body=body,
        goal=goal,
        featured=meta.get("featured", "false").lower() == "true",
        show_recent_signers=meta.get("show_recent_signers", "true").lower() == "true",
        opens_at=_parse_time(meta.get("opens_at"), label, "opens_at"),
        closes_at=_parse_time(meta.get("closes_at"), label, "closes_at"),
        embed_origins=_parse_origins(meta.get("embed_origins"), label),
        translations=translations,
    )


def _read_questions(path: Path) -> tuple[Question, ...]:
    """The campaign's own questions, from its questions file if it has one."""
    if not path.is_file():
        return ()
    try:
        return tuple(questions_from_toml(path.read_text(encoding="utf-8")))
    except QuestionsError as error:
        raise ContentError(f"{path.name}: {error}") from error


def read_content_file(path: Path) -> CampaignContent:
    """Read a one-language campaign: `key: value` lines, a blank line, then the Markdown body
    (and its questions from `<name>.questions.toml` beside it, if there is one)."""
    meta, body = _read(path)
    content = _main_content(meta, body, path.name)
    return replace(content, questions=_read_questions(path.with_suffix(".questions.toml")))


def read_campaign_folder(folder: Path) -> CampaignContent:
    """Read a campaign folder: one `<language>.md` per language, the main one with settings."""
    main: tuple[dict[str, str], str, str] | None = None
    translations = []
    for path in sorted(folder.glob("*.md")):
        label = f"{folder.name}/{path.name}"
        locale = _parse_locale(path.stem, label)
        meta, body = _read(path)
        if "goal" in meta:
            if main is not None:
                raise ContentError(
                    f"{label}: settings such as goal belong in one file only, "
                    f"the campaign's main language ({main[2]} has them too)"
                )
            if meta.setdefault("slug", folder.name) != folder.name:
                raise ContentError(f"{label}: slug must be the folder's name, {folder.name}")
            if meta.setdefault("locale", locale) != locale:
                raise ContentError(f"{label}: locale must match the file's name, {locale}")
            main = (meta, body, label)
            continue
        settings = [name for name in SETTING_FIELDS if name in meta]
        if settings:
            raise ContentError(
                f"{label}: {', '.join(settings)} belong in the main language's file only"
            )
        _missing(meta, TEXT_FIELDS, label)
        translations.append(
            TranslatedContent(
                locale=locale,
                title=meta["title"],
                summary=meta["summary"],
                target=meta["target"],
                body=body,
            )
        )
    if main is None:
        raise ContentError(
            f"{folder.name}/: no file has the settings (goal …); the main language's file must"
        )
    meta, body, label = main
    content = _main_content(meta, body, label, tuple(translations))
    return replace(content, questions=_read_questions(folder / "questions.toml"))


def read_campaigns(directory: Path) -> list[CampaignContent]:
    """Every campaign in `directory`, by slug: folders of languages and single files."""
    contents = [read_content_file(path) for path in directory.glob("*.md")]
    contents += [
        read_campaign_folder(folder)
        for folder in directory.iterdir()
        if folder.is_dir() and any(folder.glob("*.md"))
    ]
    slugs = [content.slug for content in contents]
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise ContentError(f"more than one campaign has the slug {', '.join(repeated)}")
    return sorted(contents, key=lambda content: content.slug)


def _seed_translations(session: DbSession, campaign: Campaign, content: CampaignContent) -> None:
    existing = {
        row.locale: row
        for row in session.scalars(
            select(CampaignTranslation).where(CampaignTranslation.campaign_id == campaign.id)
        )
    }
    for text in content.translations:
        row = existing.pop(text.locale, None)
        if row is None:
            row = CampaignTranslation(campaign_id=campaign.id, locale=text.locale)
            session.add(row)
        row.title = text.title
        row.summary = text.summary
        row.target = text.target
        row.body = text.body
    for stale in existing.values():  # its file was removed: the language goes with it
        session.delete(stale)


class SeedResult(NamedTuple):
    slug: str
    action: str  # "created", "updated" or "kept" (owned by the database: left as it is)
    locales: list[str]
    # For "kept": when organisers first edited it in the browser.
    edited_in_browser_at: datetime | None = None


def seed_campaigns(session: DbSession, directory: Path) -> list[SeedResult]:
    """Create or update a campaign for each content folder or file.

    Text always follows the files, in every language. Settings that organisers may change at
    run time (goal, open and close times, featured, recent signers, the campaign's own
    questions) come from the files only when the campaign is created, so re-seeding never
    undoes their decisions. A campaign whose text organisers have edited in the browser is
    owned by the database: its files are not applied at all ("kept"), whatever they say.
    """
    results = []
    for content in read_campaigns(directory):
        campaign = session.scalar(select(Campaign).where(Campaign.slug == content.slug))
        if campaign is not None and campaign.owned_by_database:
            results.append(
                SeedResult(content.slug, "kept", content.locales, campaign.edited_in_browser_at)
            )
            continue
        if campaign is None:
            campaign = Campaign(
                slug=content.slug,
                goal=content.goal,
                featured=content.featured,
                show_recent_signers=content.show_recent_signers,
                opens_at=content.opens_at,
                closes_at=content.closes_at,
                questions=questions_to_json(list(content.questions)),
                embed_origins="\n".join(content.embed_origins) or None,
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
        if action == "created":
            signals.campaign_published.send(campaign.id, session=session, now=campaign.created_at)
        _seed_translations(session, campaign, content)
        session.flush()
        results.append(SeedResult(content.slug, action, content.locales))
    return results


# What the Markdown converter makes, and nothing more: no images (a picture from another site
# would be a third-party request, and the CSP would block it anyway), no raw HTML, no style.
ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Links to web pages and email addresses; `javascript:`, `data:` and the rest are dropped.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    """Keep only the elements and links Markdown makes (nh3, the Ammonia sanitiser): no
    script, no event handler, no `javascript:` link, whatever the text tried."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_body(body: str) -> Markup:
    """The campaign text as safe HTML, one rule for content files and text written by
    organisers in the browser: raw HTML in the Markdown is escaped (shown as text), and what
    the converter makes goes through `sanitise_html`."""
    converter = markdown.Markdown(extensions=["smarty"], output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return Markup(sanitise_html(converter.convert(body)))  # noqa: S704 (sanitised by nh3)
