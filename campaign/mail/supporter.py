"""Email to a supporter: every one carries their own links to stop news and to delete their
signature, in the body and as a one-click `List-Unsubscribe` header (RFC 8058)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack
from urllib.parse import urlencode

from flask import current_app
from werkzeug.urls import iri_to_uri

from campaign.database import DbSession
from campaign.links import public_url_prefix
from campaign.mail.models import MessageCategory
from campaign.mail.outbox import Email, email_row, enqueue_email_row
from campaign.tokens import LinkPurpose, make_link_token


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
    unsubscribe = public_url_prefix("privacy.unsubscribe") + make_link_token(
        secret_key, LinkPurpose.UNSUBSCRIBE, manage_key
    )
    delete = public_url_prefix("privacy.delete") + make_link_token(
        secret_key, LinkPurpose.DELETE, manage_key
    )
    return ManageLinks(
        unsubscribe_url=unsubscribe + language,
        delete_url=delete + language,
        one_click_url=unsubscribe,
    )


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
    now: datetime,
    category: MessageCategory = MessageCategory.TRANSACTIONAL,
    **email: Unpack[Email],
) -> None:
    """Queue an email to the person behind a signature, with their manage links (in the
    template context as `manage`, and as the List-Unsubscribe headers)."""
    row = supporter_email_row(manage_key=manage_key, now=now, category=category, **email)
    enqueue_email_row(session, row, signature_id=signature_id)


def supporter_email_row(
    *,
    manage_key: str,
    now: datetime,
    category: MessageCategory = MessageCategory.TRANSACTIONAL,
    **email: Unpack[Email],
) -> dict[str, Any]:
    """`email_supporter`'s outbox row, made before the signature it goes with is written
    (signing makes it before its transaction); `enqueue_email_row` writes it."""
    links = manage_links(manage_key, email["locale"])
    email["context"] = {**email["context"], "manage": links.as_context()}
    return email_row(now=now, headers=list_unsubscribe_headers(links), category=category, **email)
