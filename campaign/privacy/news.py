"""News to supporters: the one way it may be sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from campaign.database import DbSession
from campaign.mail.models import MessageCategory
from campaign.mail.supporter import email_supporter
from campaign.signing.models import Signature, receives_news_clause


class NotSubscribed(Exception):
    """News may not be sent to this supporter: not opted in, unsubscribed, or gone."""


def email_news(
    session: DbSession,
    signature_id: int,
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
) -> None:
    """Queue news for one supporter, to be written in their language, only if they may
    receive it; raises NotSubscribed if not. `context` is plain JSON data.

    The one way news may be sent. The row is locked while the message is queued, so an
    unsubscribe running at the same moment either comes first (and nothing is queued) or
    waits and then cancels this message (see `privacy.controls.stop_news`).
    """
    signature = session.scalar(
        select(Signature)
        .where(Signature.id == signature_id)
        .where(receives_news_clause())
        .with_for_update()
    )
    if signature is None or signature.manage_key is None:
        raise NotSubscribed(signature_id)
    email_supporter(
        session,
        signature_id=signature.id,
        manage_key=signature.manage_key,
        recipient=signature.email,
        subject=subject,
        template=template,
        context=context,
        now=now,
        locale=signature.locale,
        category=MessageCategory.UPDATE,
    )
