"""The daily purge, run with the clock moved forward: unconfirmed signatures and old emails
go, closed campaigns' signatures are anonymised (unless an admin postponed it, with a
reason), the totals survive, and running it twice changes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import SmtpTransport
from campaign.privacy.models import AnonymisationPostponement
from campaign.privacy.retention import (
    RetentionPolicy,
    add_months,
    anonymisation_schedule,
    purge,
)
from tests.factories import make_campaign, sign
from tests.helpers import (
    confirmation_links,
    confirmation_path,
    confirmed_count,
    deliver,
    manage_path,
    outbox,
    signatures,
)
from tests.smtp import SmtpServer

POLICY = RetentionPolicy(pending_days=30, outbox_days=30, anonymise_months=6)


def run_purge(app: Flask, at: datetime, *extra: str) -> str:
    result = app.test_cli_runner().invoke(
        args=["privacy", "purge", "--now", at.isoformat(), *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


def close_campaign(app: Flask, slug: str, at: datetime) -> None:
    with app.app_context():
        db.session.execute(update(Campaign).where(Campaign.slug == slug).values(closes_at=at))
        db.session.commit()


def test_unconfirmed_signatures_and_their_emails_go_once_past_retention(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="never@example.org")
    sign(client, campaign, email="confirmed@example.org")
    client.post(confirmation_path(app))
    now = utcnow()

    assert "deleted 0 unconfirmed" in run_purge(app, now + timedelta(days=29))
    assert len(signatures(app)) == 2

    output = run_purge(app, now + timedelta(days=31))

    assert "deleted 1 unconfirmed signatures" in output
    assert [s.email for s in signatures(app)] == ["confirmed@example.org"]
    assert "never@example.org" not in [m.recipient for m in outbox(app)]
    assert confirmed_count(app, campaign) == 1


def test_an_unconfirmed_signature_stays_while_its_newest_link_still_works(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    with app.app_context():  # signed 40 days ago; signed again today, so a fresh link
        from campaign.signing.models import Signature

        db.session.execute(update(Signature).values(signed_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    sign(client, campaign)

    run_purge(app, utcnow() + timedelta(days=1))

    assert len(signatures(app)) == 1
    assert client.post(confirmation_path(app)).status_code == 200
    run_purge(app, utcnow() + timedelta(days=400))
    assert len(signatures(app)) == 1  # confirmed: only anonymisation touches it


def test_emails_go_once_delivered_or_failed_long_enough_ago_and_pending_ones_stay(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    sign(client, campaign, email="sent@example.org")
    client.post(confirmation_path(smtp_app))
    sign(client, campaign, email="bounced@example.org")
    client.post(confirmation_path(smtp_app))
    smtp_server.refuse("bounced@example.org", "550 5.1.1 no such user")
    deliver(smtp_app, SmtpTransport(timeout=5))
    sign(client, campaign, email="sent@example.org")  # queued, not yet delivered
    assert [m.status for m in outbox(smtp_app)] == ["sent", "failed", "pending"]

    run_purge(smtp_app, utcnow() + timedelta(days=29))
    assert len(outbox(smtp_app)) == 3

    output = run_purge(smtp_app, utcnow() + timedelta(days=31))

    assert "deleted 2 emails" in output
    assert [m.status for m in outbox(smtp_app)] == ["pending"]


def test_a_closed_campaigns_signatures_are_anonymised_and_the_totals_survive(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(
        client,
        campaign,
        query="?source=mastodon",
        source="mastodon",
        email="a@example.org",
        country="FR",
        postcode="75011",
        opt_in="y",
    )
    client.post(confirmation_path(app))
    sign(client, campaign, email="b@example.org", country="KE")
    client.post(confirmation_path(app))
    sign(client, campaign, email="pending@example.org", country="BR")
    unsubscribe_link = manage_path(app, "unsubscribe", 0)
    json_before = client.get(f"/campaigns/{campaign}.json").get_json()
    closed = utcnow() + timedelta(days=1)
    close_campaign(app, campaign, closed)

    assert "anonymised 0" in run_purge(app, add_months(closed, 6) - timedelta(minutes=1))
    assert signatures(app)[0].first_name == "Ada"

    output = run_purge(app, add_months(closed, 6) + timedelta(minutes=1))

    assert f"anonymised 2 signatures ({campaign})" in output
    rows = signatures(app)
    assert len(rows) == 2  # the unconfirmed one is gone
    assert confirmation_links(app) == []  # no link of theirs works any more
    for row in rows:
        assert (row.first_name, row.last_name, row.email) == ("", "", "")
        assert row.email_normalised is None and row.postcode is None
        assert row.ip_hash is None and row.manage_key is None
        assert row.confirmation_expires_at is None
        assert row.anonymised_at is not None
        assert row.signed_at.time() == row.confirmed_at.time() == datetime.min.time()  # type: ignore[union-attr]
        assert row.signed_at.tzinfo is not None
    assert [(r.country, r.source, r.opt_in, r.status) for r in rows] == [
        ("FR", "mastodon", True, "confirmed"),
        ("KE", None, False, "confirmed"),
    ]
    assert rows[0].signed_at.date() == utcnow().date()
    json_after = client.get(f"/campaigns/{campaign}.json").get_json()
    assert json_after["signature_count"] == json_before["signature_count"] == 2
    assert json_after["signatures_by_country"] == json_before["signatures_by_country"]
    assert outbox(app) == []
    assert client.post(unsubscribe_link).status_code == 404  # no key, no links

    again = run_purge(app, add_months(closed, 7))
    assert "anonymised 0 signatures" in again and "deleted 0" in again


def test_a_campaign_with_no_closing_date_is_never_anonymised(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    client.post(confirmation_path(app))

    run_purge(app, utcnow() + timedelta(days=3650))

    assert signatures(app)[0].email == "ada@example.org"


def test_the_purge_is_safe_to_run_twice_and_a_dry_run_changes_nothing(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="never@example.org")
    later = utcnow() + timedelta(days=31)

    dry = run_purge(app, later, "--dry-run")
    assert "would delete 1 unconfirmed signatures" in dry
    assert len(signatures(app)) == 1 and len(outbox(app)) == 1

    first = run_purge(app, later)
    second = run_purge(app, later)
    assert "deleted 1 unconfirmed" in first
    assert second.splitlines() == [
        "deleted 0 unconfirmed signatures",
        "deleted 0 emails",
        "anonymised 0 signatures (no campaign)",
    ]


def test_an_admin_can_postpone_anonymisation_with_a_recorded_reason(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    client.post(confirmation_path(app))
    closed = utcnow() + timedelta(hours=1)
    close_campaign(app, campaign, closed)
    due = add_months(closed, 6)
    until = (due + timedelta(days=60)).date().isoformat()

    result = app.test_cli_runner().invoke(
        args=[
            "privacy",
            "postpone",
            campaign,
            "--until",
            until,
            "--reason",
            "Petition handed in late: the ministry asked for the list\n again",
            "--by",
            "Data protection officer",
        ]
    )

    assert result.exit_code == 0, result.output
    assert f"anonymised on {until}T00:00:00+00:00" in result.output
    with app.app_context():
        [record] = db.session.scalars(select(AnonymisationPostponement)).all()
        assert record.reason == "Petition handed in late: the ministry asked for the list again"
        assert record.recorded_by == "Data protection officer"
        assert record.recorded_at is not None
    schedule = app.test_cli_runner().invoke(args=["privacy", "schedule"]).output
    assert f"{campaign}: {until}T00:00:00+00:00 (postponed until" in schedule
    assert "the ministry asked" in schedule

    run_purge(app, due + timedelta(days=1))
    assert signatures(app)[0].email == "ada@example.org"
    run_purge(app, due + timedelta(days=61))
    assert signatures(app)[0].email == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--until", "2999-01-01", "--reason", "   "], "needs a reason"),
        (["--until", "2999-01-01", "--reason", "x" * 501], "at most 500"),
        (["--until", "2001-01-01", "--reason", "Legal hold"], "in the future"),
        (["--until", "next tuesday", "--reason", "Legal hold"], "not an ISO 8601"),
        (["--until", "2999-01-01"], "Missing option '--reason'"),
    ],
)
def test_a_postponement_needs_a_reason_and_a_future_date(
    app: Flask, campaign: str, options: list[str], message: str
) -> None:
    result = app.test_cli_runner().invoke(args=["privacy", "postpone", campaign, *options])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalars(select(AnonymisationPostponement)).all() == []


def test_postponing_an_unknown_campaign_says_so(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["privacy", "postpone", "no-such-campaign", "--until", "2999-01-01", "--reason", "x"]
    )
    assert result.exit_code != 0 and "no campaign 'no-such-campaign'" in result.output


def test_organisers_can_see_when_each_campaign_will_be_anonymised(app: Flask) -> None:
    closes = datetime(2027, 8, 31, 18, 0, tzinfo=UTC)
    with app.app_context():
        closing = make_campaign(db.session, slug="closing", closes_at=closes)
        open_ended = make_campaign(db.session, slug="open-ended")
        db.session.commit()
        schedule = anonymisation_schedule(db.session, closing, 6)
        assert schedule.anonymise_at == datetime(2028, 2, 29, 18, 0, tzinfo=UTC)
        assert schedule.postponed_until is None
        assert not schedule.is_due(datetime(2028, 2, 29, 17, 59, tzinfo=UTC))
        assert schedule.is_due(datetime(2028, 2, 29, 18, 0, tzinfo=UTC))
        assert anonymisation_schedule(db.session, open_ended, 6).anonymise_at is None
    output = app.test_cli_runner().invoke(args=["privacy", "schedule"]).output
    assert "closing: 2028-02-29T18:00:00+00:00" in output
    assert "open-ended: not scheduled: the campaign has no closing date" in output


def test_a_postponement_never_brings_anonymisation_forward(app: Flask) -> None:
    closes = datetime(2027, 1, 15, tzinfo=UTC)
    with app.app_context():
        closing = make_campaign(db.session, closes_at=closes)
        db.session.add(
            AnonymisationPostponement(
                campaign_id=closing.id,
                postponed_until=datetime(2027, 3, 1, tzinfo=UTC),
                reason="typo",
                recorded_at=datetime(2027, 1, 1, tzinfo=UTC),
            )
        )
        db.session.commit()
        assert anonymisation_schedule(db.session, closing, 6).anonymise_at == datetime(
            2027, 7, 15, tzinfo=UTC
        )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-01-31T10:00:00+00:00", 1, "2026-02-28T10:00:00+00:00"),
        ("2027-08-31T00:00:00+00:00", 6, "2028-02-29T00:00:00+00:00"),
        ("2026-12-15T00:00:00+00:00", 1, "2027-01-15T00:00:00+00:00"),
        ("2026-07-01T00:00:00+00:00", 18, "2028-01-01T00:00:00+00:00"),
        ("2026-07-01T00:00:00+00:00", 0, "2026-07-01T00:00:00+00:00"),
    ],
)
def test_months_are_calendar_months(start: str, months: int, expected: str) -> None:
    assert add_months(datetime.fromisoformat(start), months) == datetime.fromisoformat(expected)


def test_the_purge_service_reports_what_it_did(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    with app.app_context():
        report = purge(db.session, now=utcnow() + timedelta(days=31), policy=POLICY)
        db.session.commit()
    # The unconfirmed signature, with its confirmation email.
    assert (report.pending_deleted, report.emails_deleted, report.signatures_anonymised) == (
        1,
        1,
        0,
    )
