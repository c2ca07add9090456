"""A campaign's picture: on its page (WebP, two widths) and on its share card (1200×630 JPEG).

A campaign shows its own picture once an organiser has uploaded one (the organiser area's
picture page, campaigns/image_files.py), else the default picture: the page and the share
card ask this module, so they need not know which.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from campaign.campaigns.image_files import CARD_SIZE, PAGE_SIZES, find_picture
from campaign.campaigns.image_models import CampaignPicture
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.links import public_url_for


@dataclass(frozen=True)
class CampaignImage:
    page_files: tuple[tuple[str, int], ...]  # (URL, width in pixels), smallest first
    card_url: str  # the share card, absolute (a network fetches it from outside): 1200×630 JPEG
    width: int
    height: int
    alt: LazyString | str
    # The alt text's language when it is not the page's (a campaign's own language, used
    # where no alt text was written in the visitor's): for `lang` on the picture.
    alt_locale: str | None = None

    @property
    def src(self) -> str:
        return self.page_files[0][0]

    @property
    def srcset(self) -> str:
        return ", ".join(f"{url} {width}w" for url, width in self.page_files)


_DEFAULT_ALT = _l(
    "A wall of phone numbers; a magnifying glass picks out a few of them, highlighted in "
    "yellow, as targets."
)


def default_image() -> CampaignImage:
    """The picture of every campaign without its own."""
    return CampaignImage(
        page_files=(
            (url_for("static", filename="images/campaign-default-800x420.webp"), 800),
            (url_for("static", filename="images/campaign-default-1200x630.webp"), 1200),
        ),
        card_url=public_url_for("static", filename="images/campaign-default-1200x630.jpg"),
        width=CARD_SIZE[0],
        height=CARD_SIZE[1],
        alt=_DEFAULT_ALT,
    )


def uploaded_image(picture: CampaignPicture, main_locale: str, locale: str) -> CampaignImage:
    """A campaign's own picture, described in `locale`, else in the campaign's language."""
    alts = picture.alt_texts()
    alt_locale = locale if locale in alts else main_locale
    (small_width, _), (large_width, _) = PAGE_SIZES
    return CampaignImage(
        page_files=(
            (url_for("campaign_images.file", name=picture.page_small_file), small_width),
            (url_for("campaign_images.file", name=picture.page_large_file), large_width),
        ),
        card_url=public_url_for("campaign_images.file", name=picture.card_file),
        width=CARD_SIZE[0],
        height=CARD_SIZE[1],
        alt=alts.get(alt_locale) or next(iter(alts.values()), ""),
        alt_locale=alt_locale if alt_locale != locale else None,
    )


def campaign_image(campaign: Campaign) -> CampaignImage:
    """The picture shown for a campaign, described in the page's language."""
    picture = find_picture(db.session, campaign.id)
    if picture is None:
        return default_image()
    return uploaded_image(picture, campaign.locale, str(get_locale()))
