"""Reading and changing the organisation's identity: plain functions over a session."""

from __future__ import annotations

import enum
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from PIL import Image

from campaign.branding.models import OrganisationIdentity
from campaign.database import DbSession
from campaign.uploaded_images import Refusal, UploadRefused, open_uploaded_image

IDENTITY_ID = 1
DEFAULT_ACCENT = "#1d3557"
PAPER = "#ffffff"
# WCAG 2.2 AA for normal text: the accent carries white text (header, buttons) and is the
# colour of links on white, so it must reach 4.5:1 against white.
MINIMUM_CONTRAST = 4.5
MAX_NAME = 120
MAX_URL = 500
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000  # decoding more would be a decompression bomb, not a logo
# Shown at most 48 CSS px high in the header: twice that for sharp screens.
LOGO_BOX = (480, 96)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class NextStep(enum.StrEnum):
    """What the thank-you page asks of a supporter first (sharing is always offered)."""

    SHARE = "share"
    DONATE = "donate"
    CAMPAIGN = "campaign"


class InvalidIdentity(ValueError):
    """A setting that cannot be used; the message says why, for the organiser."""


@dataclass(frozen=True)
class Identity:
    """What the pages and emails show of the organisation (no logo bytes: those are served
    apart, at a URL that changes with them)."""

    name: str | None = None
    accent_colour: str = DEFAULT_ACCENT
    logo_version: str | None = None
    logo_width: int | None = None
    logo_height: int | None = None
    next_step: NextStep = NextStep.SHARE
    donate_url: str | None = None
    next_campaign_slug: str | None = None

    @property
    def accent_dark(self) -> str:
        """The hover shade of the accent: darker, so it keeps (and raises) its contrast."""
        return mix_with_black(self.accent_colour, 0.25)

    @property
    def theme_version(self) -> str | None:
        """Changes with the colours; None while they are the defaults (no theme file then)."""
        if self.accent_colour.lower() == DEFAULT_ACCENT:
            return None
        return hashlib.sha256(self.accent_colour.lower().encode()).hexdigest()[:12]


@dataclass(frozen=True)
class IdentityInput:
    name: str | None
    accent_colour: str | None
    next_step: NextStep
    donate_url: str | None
    next_campaign_slug: str | None
    logo: bytes | None = None  # as uploaded; None keeps the current logo
    remove_logo: bool = False


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour written #rrggbb."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(one: str, other: str) -> float:
    """WCAG's contrast ratio, from 1 (none) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix_with_black(colour: str, amount: float) -> str:
    r, g, b = (int(int(colour[i : i + 2], 16) * (1 - amount)) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _next_step(value: str) -> NextStep:
    try:
        return NextStep(value)
    except ValueError:
        return NextStep.SHARE


def read_identity(session: DbSession) -> Identity:
    """The organisation as the pages show it (the defaults until an administrator sets it)."""
    row = session.get(OrganisationIdentity, IDENTITY_ID)
    if row is None:
        return Identity()
    return Identity(
        name=row.name,
        accent_colour=row.accent_colour or DEFAULT_ACCENT,
        logo_version=_version(row.logo_png) if row.logo_png else None,
        logo_width=row.logo_width,
        logo_height=row.logo_height,
        next_step=_next_step(row.next_step),
        donate_url=row.donate_url,
        next_campaign_slug=row.next_campaign_slug,
    )


def read_logo(session: DbSession) -> bytes | None:
    row = session.get(OrganisationIdentity, IDENTITY_ID)
    return row.logo_png if row is not None else None


def prepare_logo(data: bytes) -> tuple[bytes, int, int]:
    """An uploaded logo, decoded and drawn again as a PNG at most LOGO_BOX: what is stored is
    ours, never the upload (no metadata, no second file hidden in the first). Raises
    InvalidIdentity when it is not a PNG, JPEG or WebP image."""
    try:
        image = open_uploaded_image(data, max_bytes=MAX_LOGO_BYTES, max_pixels=MAX_LOGO_PIXELS)
    except UploadRefused as refused:
        if refused.refusal is Refusal.TOO_MANY_BYTES:
            raise InvalidIdentity(_l("The logo must be at most 2 MB.")) from None
        if refused.refusal is Refusal.TOO_MANY_PIXELS:
            raise InvalidIdentity(_l("The logo is too large: at most 25 million pixels.")) from None
        raise InvalidIdentity(_l("The logo must be a PNG, JPEG or WebP image.")) from None
    logo = image.convert("RGBA")
    logo.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    output = io.BytesIO()
    logo.save(output, format="PNG", optimize=True)
    return output.getvalue(), logo.width, logo.height


def _clean_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(value) > MAX_URL:
        raise InvalidIdentity(_l("The donation link must be a full web address (https://…)."))
    return value


def check_accent(colour: str | None) -> str | None:
    """The colour in lower case if pages may use it; raises InvalidIdentity with the ratio."""
    colour = (colour or "").strip().lower()
    if not colour:
        return None
    if not _COLOUR.fullmatch(colour):
        raise InvalidIdentity(_l("The accent colour must be written #rrggbb, e.g. #1d3557."))
    ratio = contrast_ratio(colour, PAPER)
    shown = f"{ratio:.2f}"
    if ratio < MINIMUM_CONTRAST:
        raise InvalidIdentity(
            _l(
                "The accent colour has a contrast of %(ratio)s:1 with white; at least 4.5:1 is "
                "needed (WCAG AA) so that text on it and links in it can be read. Choose a "
                "darker shade.",
                ratio=shown,
            )
        )
    return colour


def _audited(row: OrganisationIdentity) -> dict[str, object]:
    """What the audit log compares before and after an edit (the logo by its version)."""
    return {
        "name": row.name,
        "accent_colour": row.accent_colour,
        "next_step": row.next_step,
        "donate_url": row.donate_url,
        "next_campaign_slug": row.next_campaign_slug,
        "logo": _version(row.logo_png) if row.logo_png else None,
    }


def update_identity(
    session: DbSession, wanted: IdentityInput, *, now: datetime
) -> dict[str, tuple[object, object]]:
    """Check and apply the settings; what changed, as {field: (before, after)} (the logo as
    its version). Raises InvalidIdentity and changes nothing when a setting cannot be used."""
    name = " ".join((wanted.name or "").split()) or None
    if name is not None and len(name) > MAX_NAME:
        raise InvalidIdentity(_l("The name must be at most 120 characters."))
    accent = check_accent(wanted.accent_colour)
    donate_url = _clean_url(wanted.donate_url)
    slug = (wanted.next_campaign_slug or "").strip() or None
    if wanted.next_step is NextStep.DONATE and donate_url is None:
        raise InvalidIdentity(_l("To ask for a donation, give the donation link."))
    if wanted.next_step is NextStep.CAMPAIGN and slug is None:
        raise InvalidIdentity(_l("To suggest another campaign, choose it."))
    logo = prepare_logo(wanted.logo) if wanted.logo else None

    row = session.get(OrganisationIdentity, IDENTITY_ID)
    if row is None:
        row = OrganisationIdentity(id=IDENTITY_ID, next_step=NextStep.SHARE.value)
        session.add(row)
    before = _audited(row)
    row.name = name
    row.accent_colour = accent
    row.next_step = wanted.next_step.value
    row.donate_url = donate_url
    row.next_campaign_slug = slug
    if logo is not None:
        row.logo_png, row.logo_width, row.logo_height = logo
    elif wanted.remove_logo:
        row.logo_png = row.logo_width = row.logo_height = None
    after = _audited(row)
    changes: dict[str, tuple[object, object]] = {
        key: (before[key], after[key]) for key in after if before[key] != after[key]
    }
    if changes:
        row.updated_at = now
    session.flush()
    return changes
