"""Writing and reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, insert, update

from campaign.audit.models import AuditEvent
from campaign.database import DbSession

COMMAND_LINE = "command line"


class Actor(Protocol):
    """Who did it, as the log records them: an organiser account (or anything shaped so).

    A protocol, not the Organiser model: the audit log sits below the organiser area."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


@dataclass(frozen=True)
class Event:
    """One event of the log, before it is written; `actor` None is named `unnamed_actor`."""

    actor: Actor | None
    action: str
    campaign_id: int | None
    details: dict[str, Any]
    now: datetime
    row_count: int | None = None
    completed: bool = True
    unnamed_actor: str = COMMAND_LINE

    def values(self) -> dict[str, Any]:
        return {
            "created_at": self.now,
            "organiser_id": self.actor.id if self.actor is not None else None,
            "actor": self.actor.email if self.actor is not None else self.unnamed_actor,
            "action": self.action,
            "campaign_id": self.campaign_id,
            "details": self.details,
            "row_count": self.row_count,
            "completed": self.completed,
        }


def record_event(
    session: DbSession,
    *,
    actor: Actor | None,
    action: str,
    campaign_id: int | None,
    details: dict[str, Any],
    now: datetime,
    row_count: int | None = None,
    completed: bool = True,
    unnamed_actor: str = COMMAND_LINE,
) -> AuditEvent:
    """Add an event to the log; `actor` None means the command line, unless `unnamed_actor`
    says otherwise."""
    event = Event(actor, action, campaign_id, details, now, row_count, completed, unnamed_actor)
    row = AuditEvent(**event.values())
    session.add(row)
    session.flush()
    return row


def record_event_apart(engine: Engine, event: Event) -> int:
    """Add an event in a transaction of its own, whose first statement is the insert; its id.

    For a download, a GET whose own transaction only reads: on SQLite a transaction that has
    read cannot start writing if anyone else wrote since (SQLite refuses at once, without
    waiting), so the log must not be written in it.
    """
    with engine.begin() as connection:
        event_id = connection.execute(
            insert(AuditEvent).values(**event.values()).returning(AuditEvent.id)
        ).scalar_one()
    return int(event_id)


def finish_export(engine: Engine, event_id: int, row_count: int, completed: bool) -> None:
    """Record how many rows an export sent, in a transaction of its own.

    The export's event is committed before the first row goes out, so even a download that
    is interrupted (or a process that dies) leaves a trace of who started it.
    """
    with engine.begin() as connection:
        connection.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event_id)
            .values(row_count=row_count, completed=completed)
        )
