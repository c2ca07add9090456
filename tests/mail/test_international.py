"""Internationalised addresses: each one delivered where its owner reads mail, with SMTPUTF8
when the server offers it, and none able to hold up the others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.mail.delivery import SmtpTransport
from tests.factories import sign
from tests.helpers import deliver, outbox, signatures
from tests.smtp import SmtpServer


@pytest.fixture
def utf8_server() -> Iterator[SmtpServer]:
    server = SmtpServer(smtputf8=True)
    server.start()
    yield server
    server.stop()


def _deliver_to(app: Flask, server: SmtpServer) -> object:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5)
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = server.port
    return deliver(app, SmtpTransport(timeout=5))


def test_a_non_ascii_mailbox_is_sent_with_smtputf8_when_the_server_offers_it(
    app: Flask, client: FlaskClient, campaign: str, utf8_server: SmtpServer
) -> None:
    assert sign(client, campaign, email="josé@exämple.com").status_code == 303

    report = _deliver_to(app, utf8_server)

    assert (report.sent, report.failed) == (1, 0)  # type: ignore[attr-defined]
    [received] = utf8_server.received
    # The domain in its ASCII form, the mailbox as typed, and SMTPUTF8 said.
    assert received.recipients == ["josé@xn--exmple-cua.com"]
    assert "SMTPUTF8" in received.mail_options
    assert received.message["To"] == "josé@xn--exmple-cua.com"
    assert "Test campaign" in received.message["Subject"]


def test_to_a_server_without_smtputf8_only_the_message_that_needs_it_fails(
    app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    for address in [
        "first@example.org",
        "josé@example.com",
        "anna@straße.example",
        "z@example.org",
    ]:
        assert sign(client, campaign, email=address).status_code == 303

    report = _deliver_to(app, smtp_server)

    assert (report.sent, report.retried, report.failed) == (3, 0, 1)  # type: ignore[attr-defined]
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "anna@xn--strae-oqa.example",
        "first@example.org",
        "z@example.org",
    ]
    [failed] = [m for m in outbox(app) if m.status == "failed"]
    assert failed.recipient == "josé@example.com"
    assert "SMTPUTF8" in (failed.last_error or "")
    assert "josé" not in (failed.last_error or "")
    # Nothing is left in `sending`: a second round has nothing to do.
    assert _deliver_to(app, smtp_server).claimed == 0  # type: ignore[attr-defined]


def test_an_idna_2008_domain_is_stored_and_delivered_in_its_own_ascii_form(
    app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    sign(client, campaign, email="anna@straße.example")
    sign(client, campaign, email="eva@ςx.example")

    _deliver_to(app, smtp_server)

    # IDNA 2003 would map ß to ss and ς to σ: someone else's domain.
    stored = sorted(s.email for s in signatures(app))
    assert stored == ["anna@xn--strae-oqa.example", "eva@xn--x-xmb.example"]
    delivered = sorted(r.recipients[0] for r in smtp_server.received)
    assert delivered == ["anna@xn--strae-oqa.example", "eva@xn--x-xmb.example"]
    assert all("strasse" not in r and "xn--x-zmb" not in r for r in delivered)


def test_an_address_no_server_could_take_is_refused_beside_the_field(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for address in ["fan@👍.example", "ab\u202ec@example.org", "x@١٢٣.example"]:
        response = sign(client, campaign, email=address)

        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Email cannot be delivered to this address" in page
    assert signatures(app) == [] and outbox(app) == []
