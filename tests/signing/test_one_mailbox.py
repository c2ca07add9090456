"""One mailbox, one signature: the spellings of one address (other scripts' dots, fullwidth
letters, case, +tags) are one signer everywhere addresses are compared."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.extensions import db
from campaign.organisers.cleanup import BulkAction, SignatureFilters, preview
from campaign.signing.models import Signature, SignatureStatus
from tests.factories import csrf_token, make_campaign, sign
from tests.helpers import confirmation_path, confirmed_count, manage_path, outbox, signatures

SPELLINGS = [
    "dup@example.org",
    "dup@example\u3002org",  # ideographic full stop
    "dup@example\uff0eorg",  # fullwidth full stop
    "dup@\uff45xample.org",  # fullwidth e
    "\uff44up@example.org",  # fullwidth d
    "DUP+petition@Example.ORG",
]


def test_every_spelling_of_one_mailbox_is_one_signature_counted_once(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for address in SPELLINGS:
        assert sign(client, campaign, email=address).status_code == 303

    [signature] = signatures(app)
    assert signature.email_normalised == "dup@example.org"
    # One confirmation and then the resend cap, as for any address signing again.
    assert len(outbox(app)) == 1 + app.config["CONFIRMATION_RESENDS"]
    for n in range(len(outbox(app))):
        client.post(confirmation_path(app, n))
    assert confirmed_count(app, campaign) == 1


def test_privacy_show_and_erase_find_the_signature_under_any_spelling(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="dup@example.org")
    client.post(confirmation_path(app))
    runner = app.test_cli_runner()

    for address in SPELLINGS:
        shown = runner.invoke(args=["privacy", "show", address])
        assert shown.exit_code == 0, shown.output
        report = json.loads(shown.output[: shown.output.rindex("}") + 1])
        assert len(report["signatures"]) == 1, address

    erased = runner.invoke(args=["privacy", "erase", "dup@\uff45xample\u3002org", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert signatures(app) == []
    assert confirmed_count(app, campaign) == 0


def test_the_clean_up_matches_every_spelling_of_an_address_and_of_a_domain(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="anna@b\u00fccher.example")
    sign(client, campaign, email="ben@example.org")
    with app.app_context():
        campaign_id = db.session.scalar(select(Signature.campaign_id))
        assert campaign_id is not None

        def count(wanted: SignatureFilters) -> int:
            return preview(
                db.session, campaign_id, wanted, BulkAction.INVALIDATE, "test-secret-key"
            )

        assert count(SignatureFilters(domain="B\u00dcCHER\u3002example")) == 1
        assert count(SignatureFilters(domain="xn--bcher-kva.example")) == 1
        assert count(SignatureFilters(email="\uff41nna@b\u00fccher.example")) == 1


def test_the_limit_by_domain_counts_every_spelling_of_the_domain_as_one(
    make_app: Callable[..., Flask], campaign: str
) -> None:
    limited = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_SIGN_PER_DOMAIN="4/minute",
        RATELIMIT_SIGN_SUSPECT_PER_DOMAIN="100/minute",
    )
    client = limited.test_client()
    domains = [
        "bot-farm.example",
        "bot-farm\u3002example",
        "\uff42ot-farm.example",
        "BOT-FARM\uff0eexample",
    ]
    statuses = []
    for n in range(6):
        path = f"/campaigns/{campaign}"
        response = client.post(
            path,
            data={
                "csrf_token": csrf_token(client, path),
                "first_name": "Bot",
                "last_name": f"Number {n}",
                "email": f"bot{n}@{domains[n % len(domains)]}",
                "country": "FR",
            },
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        statuses.append(response.status_code)

    assert statuses == [303] * 4 + [429] * 2


def _add_duplicate(app: Flask, address: str) -> None:
    """A duplicate as the fold migration leaves one: kept, pointing at the earlier row."""
    with app.app_context():
        kept = db.session.scalars(select(Signature)).one()
        db.session.add(
            Signature(
                campaign_id=kept.campaign_id,
                first_name="Dup",
                last_name="Licate",
                email=address,
                email_normalised=kept.email_normalised,
                country="FR",
                status=SignatureStatus.DUPLICATE,
                duplicate_of_id=kept.id,
                consent_version=kept.consent_version,
            )
        )
        db.session.commit()


def test_a_duplicate_is_not_counted_and_goes_with_its_signature_when_erased(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="dup@example.org")
    client.post(confirmation_path(app))
    _add_duplicate(app, "dup@example.org")
    assert confirmed_count(app, campaign) == 1
    shown = app.test_cli_runner().invoke(args=["privacy", "show", "dup@example\u3002org"])
    assert shown.output.count('"status": "duplicate"') == 1

    response = client.post(manage_path(app, "delete", 0))

    assert response.status_code == 200
    assert signatures(app) == []
    assert confirmed_count(app, campaign) == 0


def test_erasing_by_address_sends_one_receipt_per_mailbox(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="dup@example.org")
    client.post(confirmation_path(app))
    _add_duplicate(app, "dup@example.org")

    result = app.test_cli_runner().invoke(args=["privacy", "erase", "DUP@example.org", "--yes"])

    assert result.exit_code == 0, result.output
    assert signatures(app) == []
    assert [m.template for m in outbox(app)] == ["deleted"]


def test_erasing_on_one_campaign_leaves_the_others_and_erasing_all_goes_past_a_duplicate(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="dup@example.org")
    client.post(confirmation_path(app))
    _add_duplicate(app, "dup@example.org")
    with app.app_context():
        second, third = make_campaign(db.session).slug, make_campaign(db.session).slug
        db.session.commit()
    for slug in (second, third):
        sign(client, slug, email="dup@example.org")
    runner = app.test_cli_runner()

    one = runner.invoke(args=["privacy", "erase", "dup@example.org", "--campaign", third, "--yes"])

    assert one.exit_code == 0, one.output
    assert one.output.splitlines() == [f"deleted: {third} (unconfirmed, 1 emails)"]
    assert len(signatures(app)) == 3

    every = runner.invoke(args=["privacy", "erase", "dup@example.org", "--yes"])

    assert every.output.splitlines() == [
        f"deleted: {campaign} (confirmed, count lowered, 1 emails)",
        f"deleted: {second} (unconfirmed, 1 emails)",
    ]
    assert signatures(app) == []
