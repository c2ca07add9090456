from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from campaign.database import Base, utcnow
from campaign.personal_data import (
    CREATED_BY,
    Match,
    NoPersonalData,
    declare,
    staff_table,
)


class ApiKey(Base):
    """A key a CRM (or any program) uses to read a campaign's signatures, and to add some.

    Only a SHA-256 of the key is kept: the key is shown once, when it is made. A key for one
    campaign (`campaign_id`) sees nothing of the others; a read-only key cannot sign.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the key, shown in listings so a key can be recognised.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))  # an organiser's address or the CLI
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    use_count: Mapped[int] = mapped_column(default=0)


class SignatureDeletion(Base):
    """That a confirmed signature was deleted, and when: what a syncing CRM needs to delete
    its copy. Only identifiers: nothing about the person is kept.

    Written by a database trigger on `signatures`, so no way of deleting a row (a supporter's
    link, an erasure request, the purge, a future one) can forget it.
    """

    __tablename__ = "signature_deletions"
    __table_args__ = (
        Index("ix_signature_deletions_campaign_deleted", "campaign_id", "deleted_at"),
    )

    signature_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


declare(
    staff_table(
        table="api_keys",
        personal={"created_by": CREATED_BY},
        found_by={"created_by": Match.EMAIL_IGNORING_CASE},
        not_personal={"name": "what the key is for, e.g. the CRM's name"},
        why_kept="accountability: who gave a program access to supporters' data",
    )
)
declare(
    NoPersonalData(
        table="signature_deletions",
        why="ids and times of deleted signatures, for a syncing CRM: nothing about the person",
    )
)


# The same text in the migration. SQLite's timestamp text matches what SQLAlchemy writes
# (microseconds padded to six digits), so it compares and reads back like the others.
SQLITE_DELETION_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS signatures_record_deletion AFTER DELETE ON signatures
WHEN OLD.status = 'confirmed'
BEGIN
    INSERT OR REPLACE INTO signature_deletions (signature_id, campaign_id, deleted_at)
    VALUES (OLD.id, OLD.campaign_id, strftime('%Y-%m-%d %H:%M:%f000', 'now'));
END
"""
POSTGRESQL_DELETION_FUNCTION = """
CREATE OR REPLACE FUNCTION signatures_record_deletion() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'confirmed' THEN
        INSERT INTO signature_deletions (signature_id, campaign_id, deleted_at)
        VALUES (OLD.id, OLD.campaign_id, clock_timestamp())
        ON CONFLICT (signature_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at;
    END IF;
    RETURN OLD;
END
$$ LANGUAGE plpgsql
"""
POSTGRESQL_DELETION_TRIGGER = """
CREATE TRIGGER signatures_record_deletion AFTER DELETE ON signatures
FOR EACH ROW EXECUTE FUNCTION signatures_record_deletion()
"""

# For `create_all` (tests): after every table exists, as the trigger needs both. (DDL
# text goes through %-formatting: the strftime pattern's % signs are doubled.)
event.listen(
    Base.metadata,
    "after_create",
    DDL(SQLITE_DELETION_TRIGGER.replace("%", "%%")).execute_if(dialect="sqlite"),
)
event.listen(
    Base.metadata,
    "after_create",
    DDL(POSTGRESQL_DELETION_FUNCTION).execute_if(dialect="postgresql"),
)
event.listen(
    Base.metadata,
    "after_create",
    DDL(
        "DROP TRIGGER IF EXISTS signatures_record_deletion ON signatures;"
        + POSTGRESQL_DELETION_TRIGGER
    ).execute_if(dialect="postgresql"),
)
