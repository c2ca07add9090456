"""A campaign's own picture: the files we drew from an organiser's upload, and its alt text
in each language. Without a row, the campaign shows the default picture."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.database import Base, utcnow
from campaign.personal_data import NoPersonalData, declare


class CampaignPicture(Base):
    """The files of one campaign's picture, named by the hash of their bytes (so a replaced
    picture has new names, and every name may be cached for a year). Where the files are
    is the operator's setting (UPLOAD_FOLDER): only their names are stored here."""

    __tablename__ = "campaign_images"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    # The page's two sizes (WebP, 800×420 and 1200×630) and the share card (JPEG, 1200×630).
    page_small_file: Mapped[str] = mapped_column(String(80))
    page_large_file: Mapped[str] = mapped_column(String(80))
    card_file: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    alts: Mapped[list[CampaignPictureAlt]] = relationship(
        back_populates="picture",
        cascade="all, delete-orphan",
        order_by="CampaignPictureAlt.locale",
        lazy="selectin",
    )

    @property
    def files(self) -> tuple[str, ...]:
        return (self.page_small_file, self.page_large_file, self.card_file)

    def alt_texts(self) -> dict[str, str]:
        return {alt.locale: alt.text for alt in self.alts}


class CampaignPictureAlt(Base):
    """What the picture shows, in one language, for those who cannot see it (and for the
    share card's `og:image:alt`)."""

    __tablename__ = "campaign_image_alts"
    __table_args__ = (UniqueConstraint("campaign_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_images.campaign_id", ondelete="CASCADE")
    )
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(300))

    picture: Mapped[CampaignPicture] = relationship(back_populates="alts")


declare(
    NoPersonalData(
        table="campaign_images",
        why="the names of the files of a campaign's public picture",
    )
)
declare(
    NoPersonalData(
        table="campaign_image_alts",
        why="the public description of a campaign's picture",
        not_personal={"text": "describes the public picture, written by the organisers"},
    )
)
