from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import NoPersonalData, declare


class OrganisationIdentity(Base):
    """The one row (id 1) that says who runs the campaigns, as the pages and emails show it.

    Absent until an administrator saves the organisation settings: the pages then say
    "Petition" and use the default colours.
    """

    __tablename__ = "organisation_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organisation's public name (header, email sender and footer): not personal data.
    name: Mapped[str | None] = mapped_column(String(120))
    accent_colour: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", AA on white
    # Re-encoded by us as PNG (see branding.services.prepare_logo): never the uploaded bytes.
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_width: Mapped[int | None]
    logo_height: Mapped[int | None]
    # What the thank-you page asks for first: "share", "donate" or "campaign".
    next_step: Mapped[str] = mapped_column(String(16), default="share")
    donate_url: Mapped[str | None] = mapped_column(String(500))
    next_campaign_slug: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


declare(
    NoPersonalData(
        table="organisation_identity",
        why="the organisation that runs the campaigns, as the public sees it",
        not_personal={"name": "the organisation's public name, not a person's"},
    )
)
