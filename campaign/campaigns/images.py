"""A campaign's picture: on its page (WebP, two widths) and on its share card (1200×630 JPEG).

Every campaign shows the default picture until campaigns carry their own (the campaign
editor's upload): the page and the share card ask this module, so only it will change.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from campaign.campaigns.models import Campaign
from campaign.links import public_url_for


@dataclass(frozen=True)
class CampaignImage:
    page_files: tuple[tuple[str, int], ...]  # (static file, width in pixels), smallest first
    card_file: str  # the share card: 1200×630, JPEG, under 600 KB
    width: int
    height: int
    alt: LazyString | str

    @property
    def card_url(self) -> str:
        """Absolute, from PUBLIC_URL: a social network fetches it from outside."""
        return public_url_for("static", filename=self.card_file)


DEFAULT_IMAGE = CampaignImage(
    page_files=(
        ("images/campaign-default-800x420.webp", 800),
        ("images/campaign-default-1200x630.webp", 1200),
    ),
    card_file="images/campaign-default-1200x630.jpg",
    width=1200,
    height=630,
    alt=_l(
        "A wall of phone numbers; a magnifying glass picks out a few of them, highlighted in "
        "yellow, as targets."
    ),
)


def campaign_image(campaign: Campaign) -> CampaignImage:
    """The picture shown for a campaign."""
    return DEFAULT_IMAGE
