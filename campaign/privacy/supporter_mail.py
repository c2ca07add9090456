"""Email to a supporter: every one carries their own links to stop news and to delete their
signature, in the body and as a one-click `List-Unsubscribe` header (RFC 8058)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select
from werkzeug.urls import iri_to_uri

from campaign.database import DbSession
from campaign.links import public_url_for
from campaign.mail.models import MessageCategory
from campaign.mail.outbox import enqueue_email
from campaign.privacy.tokens import LinkPurpose, make_link_token
from campaign.signing.models import Signature, receives_updates_clause


class NotSubscribed(Exception):
    """News may not be sent to this supporter: not opted in, unsubscribed, or gone."""


@dataclass(frozen=True)
class ManageLinks:
    # In the email's language (`?lang=`), so the page behind the link speaks it too.
    unsubscribe_url: str
    delete_url: str
    # For the List-Unsubscribe header: a mail client posts to it, and no one reads a page.
    one_click_url: str

    def as_context(self) -> dict[str, str]:
        """As plain data, for an outbox message's template context."""
        return {"unsubscribe_url": self.unsubscribe_url, "delete_url": self.delete_url}


def manage_links(manage_key: str, locale: str) -> ManageLinks:
    """The supporter's own unsubscribe and delete links, built from PUBLIC_URL."""
    secret_key = current_app.config["SECRET_KEY"]
    language = "?" + urlencode({"lang": locale})
    unsubscribe = _link_prefix("privacy.unsubscribe") + make_link_token(
        secret_key, LinkPurpose.UNSUBSCRIBE, manage_key
    )
    delete = _link_prefix("privacy.delete") + make_link_token(
        secret_key, LinkPurpose.DELETE, manage_key
    )
    return ManageLinks(
        unsubscribe_url=unsubscribe + language,
        delete_url=delete + language,
        one_click_url=unsubscribe,
    )


def _link_prefix(endpoint: str) -> str:
    """`https://…/unsubscribe/`: built once per process, as building a URL costs more than
    the rest of the links (this runs on the signing path). Tokens need no escaping."""
    prefixes: dict[str, str] = current_app.extensions.setdefault("privacy_link_prefixes", {})
    prefix = prefixes.get(endpoint)
    if prefix is None:
        placeholder = "~"  # unreserved in URLs: left as it is
        prefix = public_url_for(endpoint, token=placeholder).removesuffix(placeholder)
        prefixes[endpoint] = prefix
    return prefix


def list_unsubscribe_headers(links: ManageLinks) -> dict[str, str]:
    """One-click unsubscribe for mail clients: they POST `List-Unsubscribe=One-Click` to the
    link, with no cookie and no CSRF token (RFC 8058); the link's token is the proof."""
    # A header is ASCII: an internationalised PUBLIC_URL is written as its ASCII form.
    return {
        "List-Unsubscribe": f"<{iri_to_uri(links.one_click_url)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def email_supporter(
    session: DbSession,
    *,
    signature_id: int,
    manage_key: str,
    recipient: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    locale: str,
    category: MessageCategory = MessageCategory.TRANSACTIONAL,
) -> None:
    """Queue an email to the person behind a signature, with their manage links (in the
    template context as `manage`, and as the List-Unsubscribe headers)."""
    links = manage_links(manage_key, locale)
    enqueue_email(
        session,
        recipient=recipient,
        subject=subject,
        template=template,
        context={**context, "manage": links.as_context()},
        now=now,
        locale=locale,
        signature_id=signature_id,
        headers=list_unsubscribe_headers(links),
        category=category,
    )


def email_update(
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
        .where(receives_updates_clause())
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
