"""A campaign's own picture: drawing its files from an organiser's upload, keeping them in
the operator's upload folder, and recording them with the alt texts.

The upload is decoded (campaign/uploaded_images.py), turned upright, converted to sRGB and
drawn again at the sizes the page and the share card use, cropped to fill them: what is
kept is ours, never the upload, so no EXIF (GPS position, camera, owner) and no second file
hidden in the first survives. Each file is named by the hash of its bytes: a name never
changes meaning, so it may be cached for a year, and a new picture gets new names.

Everything is checked before anything is written: a refused upload leaves no file and no
row. Files no longer used are deleted once the change is committed (`delete_unused_files`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps
from sqlalchemy import or_, select

from campaign.campaigns.image_models import CampaignPicture, CampaignPictureAlt
from campaign.campaigns.models import Campaign
from campaign.database import DbSession
from campaign.uploaded_images import Refusal, UploadRefused, open_uploaded_image

# The page shows the picture at these sizes (srcset), the share card at CARD_SIZE: the
# proportions Facebook, LinkedIn, Mastodon and X crop to (1.91:1).
PAGE_SIZES = ((800, 420), (1200, 630))
CARD_SIZE = (1200, 630)
# Smaller than this, a share card is blurred or refused by the networks.
MIN_SIZE = (600, 315)
# Decoding more would be a decompression bomb, not a photo (a 48-megapixel phone takes 48).
MAX_PIXELS = 50_000_000
# Networks fetch share cards up to a few MB, but the smaller the sooner it shows.
CARD_MAX_BYTES = 600 * 1024
MAX_ALT = 300
FILE_NAME = re.compile(r"[0-9a-f]{32}\.(?:webp|jpg)")
_SRGB = ImageCms.createProfile("sRGB")


class InvalidPicture(ValueError):
    """An upload or an alt text we cannot use; `field` is the form field it is about
    (`image`, or a language code for its alt text), the message says why."""

    def __init__(self, message: LazyString | str, field: str = "image") -> None:
        super().__init__(str(message))
        self.field = field


@dataclass(frozen=True)
class DrawnFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class PreparedPicture:
    """The files drawn from one upload, not yet written anywhere."""

    page_small: DrawnFile
    page_large: DrawnFile
    card: DrawnFile

    @property
    def files(self) -> tuple[DrawnFile, ...]:
        return (self.page_small, self.page_large, self.card)


class UploadFolder:
    """The folder the picture files live in (UPLOAD_FOLDER), flat, one file per name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> UploadFolder:
        """UPLOAD_FOLDER, or `uploads` in the instance folder."""
        folder = config.get("UPLOAD_FOLDER") or Path(config["INSTANCE_PATH"]) / "uploads"
        return cls(Path(folder))

    def path(self, name: str) -> Path | None:
        """Where the file of this name is, if it is one of ours and there."""
        if not FILE_NAME.fullmatch(name):
            return None
        path = self.root / name
        return path if path.is_file() else None

    def write(self, drawn: DrawnFile) -> None:
        """Write the file whole or not at all (another process may serve it meanwhile)."""
        target = self.root / drawn.name
        if target.is_file():
            return  # the same bytes: its name is their hash
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(drawn.data)
                file.flush()
                os.fsync(file.fileno())
            # Readable by a web server that serves the folder itself (docs/deploy.md).
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        if FILE_NAME.fullmatch(name):
            (self.root / name).unlink(missing_ok=True)


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB, as browsers assume of a picture without a profile; a transparent
    picture is laid on white (the page's background)."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken profile: the colours as they are
        if converted is not None:
            return converted
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _encoded(image: Image.Image, size: tuple[int, int], format: str, quality: int) -> bytes:
    fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    fitted.info = {}  # nothing of the upload's metadata goes with it
    output = io.BytesIO()
    if format == "JPEG":
        fitted.save(output, format="JPEG", quality=quality, optimize=True, progressive=True)
    else:
        fitted.save(output, format="WEBP", quality=quality, method=4)
    return output.getvalue()


def _drawn(data: bytes, extension: str) -> DrawnFile:
    return DrawnFile(name=f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}", data=data)


def _card(image: Image.Image) -> bytes:
    for quality in (85, 75, 65, 55):
        data = _encoded(image, CARD_SIZE, "JPEG", quality)
        if len(data) <= CARD_MAX_BYTES:
            break
    return data


def prepare_picture(data: bytes, *, max_bytes: int) -> PreparedPicture:
    """The page's and the share card's files drawn from an upload; raises InvalidPicture
    (with a message for the organiser) when it is not a PNG, JPEG or WebP picture we take."""
    megabytes = f"{max_bytes / (1024 * 1024):.3g}"
    try:
        # A JPEG is decoded at the smallest scale still 1200 pixels each way (turned or not).
        upload = open_uploaded_image(
            data, max_bytes=max_bytes, max_pixels=MAX_PIXELS, draft=(1200, 1200)
        )
    except UploadRefused as refused:
        messages = {
            Refusal.EMPTY: _l("The file is empty. Choose a JPEG, PNG or WebP picture."),
            Refusal.TOO_MANY_BYTES: _l("The file is too large: at most %(mb)s MB.", mb=megabytes),
            Refusal.TOO_MANY_PIXELS: _l(
                "The picture is too large: at most 50 million pixels (e.g. 8000 × 6000)."
            ),
            Refusal.NOT_AN_IMAGE: _l(
                "This file is not a JPEG, PNG or WebP picture, or it is damaged. Other formats "
                "(SVG, GIF, HEIC…) are not accepted: save it as JPEG, PNG or WebP first."
            ),
        }
        raise InvalidPicture(messages[refused.refusal]) from None
    with upload:
        if upload.width < MIN_SIZE[0] or upload.height < MIN_SIZE[1]:
            raise InvalidPicture(
                _l(
                    "The picture is too small (%(width)s × %(height)s pixels): at least "
                    "600 × 315 are needed, and 1200 × 630 or more look best.",
                    width=upload.width,
                    height=upload.height,
                )
            )
        image = _to_srgb(upload)
    small_size, large_size = PAGE_SIZES
    return PreparedPicture(
        page_small=_drawn(_encoded(image, small_size, "WEBP", 80), "webp"),
        page_large=_drawn(_encoded(image, large_size, "WEBP", 80), "webp"),
        card=_drawn(_card(image), "jpg"),
    )


def clean_alt_texts(wanted: Mapping[str, str | None], *, main_locale: str) -> dict[str, str]:
    """The alt texts to keep, by language: spaces tidied, empty ones dropped. The campaign's
    own language must have one. Raises InvalidPicture naming the language's field."""
    texts: dict[str, str] = {}
    for locale, raw in wanted.items():
        text = " ".join((raw or "").split())
        if not text:
            continue
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
            raise InvalidPicture(_l("Remove the control characters from the text."), locale)
        if len(text) > MAX_ALT:
            raise InvalidPicture(_l("At most 300 characters."), locale)
        texts[locale] = text
    if main_locale not in texts:
        raise InvalidPicture(
            _l(
                "Describe the picture in the campaign's own language: people who cannot see "
                "it, and the share cards, need it."
            ),
            main_locale,
        )
    return texts


def find_picture(session: DbSession, campaign_id: int) -> CampaignPicture | None:
    return session.get(CampaignPicture, campaign_id)


@dataclass(frozen=True)
class PictureChange:
    """What a save changed: the card file before and after (None: the default picture), the
    alt texts that changed ({locale: (before, after)}), and the files no longer used."""

    card: tuple[str | None, str | None]
    alts: dict[str, tuple[str | None, str | None]]
    replaced_files: tuple[str, ...]

    def __bool__(self) -> bool:
        return self.card[0] != self.card[1] or bool(self.alts)


def save_campaign_picture(
    session: DbSession,
    campaign: Campaign,
    prepared: PreparedPicture | None,
    alt_texts: Mapping[str, str],
    folder: UploadFolder,
    *,
    now: datetime,
) -> PictureChange:
    """Give the campaign this picture (None: keep the current one) with these alt texts
    (already cleaned); writes the files, flushes the row. Raises InvalidPicture when there
    is neither a new picture nor a current one."""
    picture = find_picture(session, campaign.id)
    if prepared is None and picture is None:
        raise InvalidPicture(_l("Choose a picture: a JPEG, PNG or WebP file."))
    before_card = picture.card_file if picture is not None else None
    before_files = picture.files if picture is not None else ()
    if prepared is not None:
        for drawn in prepared.files:
            folder.write(drawn)
        if picture is None:
            picture = CampaignPicture(campaign_id=campaign.id, uploaded_at=now)
            session.add(picture)
        picture.page_small_file = prepared.page_small.name
        picture.page_large_file = prepared.page_large.name
        picture.card_file = prepared.card.name
        picture.uploaded_at = now
    assert picture is not None
    before_alts = picture.alt_texts()
    alt_changes: dict[str, tuple[str | None, str | None]] = {}
    for alt in list(picture.alts):
        if alt.locale not in alt_texts:
            picture.alts.remove(alt)
        elif alt.text != alt_texts[alt.locale]:
            alt.text = alt_texts[alt.locale]
    for locale, text in alt_texts.items():
        if locale not in before_alts:
            picture.alts.append(CampaignPictureAlt(locale=locale, text=text))
    for locale in sorted(set(before_alts) | set(alt_texts)):
        old, new = before_alts.get(locale), alt_texts.get(locale)
        if old != new:
            alt_changes[locale] = (old, new)
    change = PictureChange(
        card=(before_card, picture.card_file),
        alts=alt_changes,
        replaced_files=tuple(name for name in before_files if name not in picture.files),
    )
    if change:
        picture.updated_at = now
    session.flush()
    return change


def remove_campaign_picture(session: DbSession, campaign: Campaign) -> tuple[str, ...]:
    """Back to the default picture; the files no longer used by this campaign (empty if it
    had none)."""
    picture = find_picture(session, campaign.id)
    if picture is None:
        return ()
    files = picture.files
    session.delete(picture)
    session.flush()
    return files


def delete_unused_files(session: DbSession, folder: UploadFolder, names: Iterable[str]) -> None:
    """After the commit: delete the files that no campaign's picture uses any more (two
    campaigns given the same picture share its files)."""
    names = set(names)
    if not names:
        return
    in_use = session.execute(
        select(
            CampaignPicture.page_small_file,
            CampaignPicture.page_large_file,
            CampaignPicture.card_file,
        ).where(
            or_(
                CampaignPicture.page_small_file.in_(names),
                CampaignPicture.page_large_file.in_(names),
                CampaignPicture.card_file.in_(names),
            )
        )
    ).all()
    used = {name for row in in_use for name in row}
    for name in names - used:
        folder.delete(name)
