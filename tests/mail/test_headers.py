"""Extra headers per message (List-Unsubscribe and the like): stored with the message,
sent as they are, and never a way to inject headers of one's own."""

from __future__ import annotations

import pytest
from flask import Flask

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import SmtpTransport
from campaign.mail.outbox import enqueue_email
from tests.factories import make_campaign
from tests.helpers import deliver, outbox
from tests.smtp import SmtpServer


def _enqueue(app: Flask, headers: dict[str, str]) -> None:
    with app.app_context():
        campaign = make_campaign(db.session)
        enqueue_email(
            db.session,
            recipient="someone@example.org",
            subject="Hello",
            template="already_signed",
            context={
                "campaign": {"slug": campaign.slug, "title": campaign.title},
                "campaign_url": "https://petition.example.org/",
            },
            now=utcnow(),
            locale="en",
            headers=headers,
        )
        db.session.commit()


def test_extra_headers_are_stored_with_the_message_and_sent_as_they_are(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    _enqueue(smtp_app, {"List-Unsubscribe": "<https://petition.example.org/u/1>", "X-Tag": "a"})
    assert outbox(smtp_app)[0].headers == {
        "List-Unsubscribe": "<https://petition.example.org/u/1>",
        "X-Tag": "a",
    }

    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 1

    [received] = smtp_server.received
    assert received.message["List-Unsubscribe"] == "<https://petition.example.org/u/1>"
    assert received.message["X-Tag"] == "a"
    assert received.message["Bcc"] is None


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "fine\r\nBcc: victim@example.org"},
        {"X-Note": "fine\nBcc: victim@example.org"},
        {"X-Note": "nul\0byte"},
        {"X-Note": "x" * 2001},
        {"X-Note": "café"},
        {"Bcc": "victim@example.org"},
        {"To": "victim@example.org"},
        {"Subject": "Replaced"},
        {"X-Bad Name": "value"},
        {"X-Bad:Name": "value"},
        {"": "value"},
    ],
)
def test_a_header_that_could_inject_or_replace_others_is_refused(
    app: Flask, headers: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="header"):
        _enqueue(app, headers)
    assert outbox(app) == []
