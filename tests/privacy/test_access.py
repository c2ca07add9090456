"""A subject access request: `flask privacy show EMAIL` prints everything held about it."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from campaign.mail.delivery import SmtpTransport
from campaign.signing.consent import CURRENT_WORDING
from tests.factories import make_campaign, sign
from tests.helpers import confirmation_path, deliver, manage_path
from tests.smtp import SmtpServer


def show(app: Flask, address: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    result = app.test_cli_runner().invoke(args=["privacy", "show", address])
    assert result.exit_code == 0, result.output
    document, _, rest = result.output.partition("\n}\n")
    return json.loads(document + "\n}"), rest


def test_show_prints_every_signature_and_email_held_for_an_address(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    from campaign.extensions import db

    with app.app_context():
        other_campaign = make_campaign(db.session).slug
        db.session.commit()
    sign(
        client,
        campaign,
        email="Jane.Doe@gmail.com",
        first_name="Jane",
        last_name="Doe",
        postcode="EC1A 1BB",
        opt_in="y",
        query="?source=newsletter",
        source="newsletter",
    )
    client.post(confirmation_path(app))
    client.post(manage_path(app, "unsubscribe"))
    sign(client, other_campaign, email="janedoe+petitions@googlemail.com", first_name="J.")
    sign(client, campaign, email="somebody.else@example.org", first_name="Somebody")

    report, _ = show(app, "  JANE.DOE@gmail.com ")

    assert report["address"] == "JANE.DOE@gmail.com"
    first, second = report["signatures"]
    assert (first["first_name"], first["last_name"], first["email"]) == (
        "Jane",
        "Doe",
        "Jane.Doe@gmail.com",
    )
    assert first["postcode"] == "EC1A 1BB" and first["country"] == "GB"
    assert first["source"] == "newsletter" and first["status"] == "confirmed"
    assert first["opt_in"] is False and first["opt_in_withdrawn_at"]
    assert first["receives_news"] is False
    assert first["consent_version"] == CURRENT_WORDING.version
    assert first["consent_wording"] == str(CURRENT_WORDING.statement)
    assert first["signed_at"] and first["confirmed_at"] and first["ip_hash"]
    assert second["campaign"] == other_campaign and second["first_name"] == "J."
    assert [e["signature_id"] for e in report["emails"]] == [first["id"], second["id"]]
    assert all(e["subject"] for e in report["emails"])
    assert "/confirm/" in report["emails"][0]["body_text"]  # the text, as it is sent
    assert "Somebody" not in json.dumps(report)
    assert "IP address" in report["not_held"]


def test_show_for_an_unknown_address_says_nothing_is_held(app: Flask) -> None:
    report, rest = show(app, "nobody@example.org")
    assert report["signatures"] == [] and report["emails"] == []
    assert "Nothing is held about nobody@example.org" in rest


def test_after_deletion_only_the_receipt_is_held_until_it_is_sent_and_purged(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    sign(client, campaign, email="leaving@example.org")
    client.post(manage_path(smtp_app, "delete"))

    report, _ = show(smtp_app, "leaving@example.org")
    assert report["signatures"] == []
    [receipt] = report["emails"]
    assert receipt["signature_id"] is None and receipt["status"] == "pending"

    deliver(smtp_app, SmtpTransport(timeout=5))
    smtp_app.test_cli_runner().invoke(args=["privacy", "purge"])

    report, rest = show(smtp_app, "leaving@example.org")
    assert report["signatures"] == [] and report["emails"] == []
    assert "Nothing is held" in rest
