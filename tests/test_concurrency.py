"""A crowd at once: signing, confirming and sending in parallel, then everything reconciles."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from flask.testing import FlaskClient

from campaign.mail.delivery import SmtpTransport
from campaign.signing.models import Signature
from tests.factories import sign
from tests.helpers import (
    confirmed_count,
    count_rows,
    deliver,
    link_in,
    outbox,
    render_outbox_text,
)
from tests.smtp import SmtpServer


def test_signing_confirming_and_sending_at_once_loses_nothing_and_doubles_nothing(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer
) -> None:
    app = smtp_app
    signers, per_signer = 6, 8
    errors: list[BaseException] = []
    done = threading.Event()

    def crowd(n: int) -> None:
        try:
            client: FlaskClient = app.test_client()
            for k in range(per_signer):
                # Everyone also signs one shared address, at the same time as the others.
                email = f"crowd{n}-{k}@example.org" if k else "shared@example.org"
                assert sign(client, campaign, email=email, country="FR").status_code == 303
        except BaseException as error:
            errors.append(error)

    def send() -> None:
        try:
            while not done.is_set():
                deliver(app, SmtpTransport(timeout=5))
        except BaseException as error:
            errors.append(error)

    senders = [threading.Thread(target=send) for _ in range(2)]
    crowds = [threading.Thread(target=crowd, args=(n,)) for n in range(signers)]
    for thread in senders + crowds:
        thread.start()
    for thread in crowds:
        thread.join()

    # Confirm every signature from several threads at once, each link opened twice.
    paths = sorted(
        {
            link_in(render_outbox_text(app, message)).removeprefix("https://petition.example.org")
            for message in outbox(app)
            if message.template == "confirm"
        }
    )
    expected = signers * (per_signer - 1) + 1
    assert count_rows(app, Signature) == expected

    def confirm(chunk: list[str]) -> None:
        try:
            client = app.test_client()
            for path in chunk + chunk:
                assert client.post(path).status_code in (200, 404)
        except BaseException as error:
            errors.append(error)

    confirmers = [threading.Thread(target=confirm, args=(paths[i::4],)) for i in range(4)]
    for thread in confirmers:
        thread.start()
    for thread in confirmers:
        thread.join()
    done.set()
    for thread in senders:
        thread.join()
    deliver(app, SmtpTransport(timeout=5))

    assert not errors, errors
    assert confirmed_count(app, campaign) == expected
    reconcile = app.test_cli_runner().invoke(args=["tallies", "reconcile", "--dry-run"])
    assert reconcile.exit_code == 0, reconcile.output
    # Every message queued was delivered exactly once.
    delivered = Counter(r.message["Message-ID"] for r in smtp_server.received)
    assert set(delivered.values()) == {1}
    assert len(delivered) == count_rows(app, type(outbox(app)[0]))
