"""Races decided on purpose, on PostgreSQL (SQLite runs one writer at a time, so these races
cannot happen there): each test stops one transaction at a chosen statement and runs the
other side into it, so the outcome shows whether the guard (a condition, a row lock, a
snapshot) is there. See tests/races.py and docs/testing.md, "Races"."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.models import EmailMessage, MessageCategory
from campaign.organisers.cleanup import BulkAction, SignatureFilters, apply_batch
from campaign.privacy.controls import stop_news
from campaign.privacy.news import email_news
from campaign.signing.models import Signature
from tests.factories import add_signature, campaign_by_slug, sign
from tests.helpers import confirmation_path, confirmed_count, signatures
from tests.races import at_statement, finished_or_blocked, meet_before, start

pytestmark = pytest.mark.postgres


def reconciles(app: Flask) -> bool:
    result = app.test_cli_runner().invoke(args=["tallies", "reconcile", "--dry-run"])
    return result.exit_code == 0 and "Tallies match" in result.output


def test_two_clicks_on_one_link_at_the_same_moment_count_once(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    assert sign(client, campaign, email="twice@example.org").status_code == 303
    path = confirmation_path(app)
    with app.app_context():
        engine = db.engine
    # Both requests have read the signature as pending before either changes it.
    with meet_before(engine, "UPDATE signatures SET status"):
        clicks = [
            start(lambda: app.test_client().post(path).status_code, f"click {n}") for n in (1, 2)
        ]
        outcomes = [click.outcome() for click in clicks]

    assert outcomes == [200, 200]
    assert confirmed_count(app, campaign) == 1
    assert [s.status for s in signatures(app)] == ["confirmed"]
    assert reconciles(app)


def test_a_confirmation_during_a_reconcile_makes_no_false_difference(
    app: Flask, make_app: Callable[..., Flask], client: FlaskClient, campaign: str
) -> None:
    assert sign(client, campaign, email="late@example.org").status_code == 303
    path = confirmation_path(app)
    other = make_app()  # another process, in effect: its own connections

    def confirm_now() -> None:
        assert start(lambda: other.test_client().post(path).status_code, "confirm").outcome() == 200

    runner = app.test_cli_runner()
    with app.app_context():
        engine = db.engine
    # The reconcile has counted the signatures; the confirmation commits (signature and
    # tally) before it reads the tally.
    with at_statement(engine, "SELECT tally_shards", confirm_now, when="before"):
        result = runner.invoke(args=["tallies", "reconcile", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Tallies match the confirmed signatures." in result.output
    assert confirmed_count(app, campaign) == 1
    assert reconciles(app)


def test_a_clean_up_and_a_confirmation_of_the_same_signature_never_leave_it_counted(
    app: Flask, make_app: Callable[..., Flask], client: FlaskClient, campaign: str
) -> None:
    assert sign(client, campaign, email="bot@bot-farm.example").status_code == 303
    path = confirmation_path(app)
    other = make_app()
    confirming = []

    def confirm_meanwhile() -> None:
        click = start(lambda: other.test_client().post(path).status_code, "confirm")
        confirming.append(click)
        finished_or_blocked(click)  # with the row lock, it waits for the clean-up

    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        with at_statement(db.engine, "SELECT signatures.id, signatures.country", confirm_meanwhile):
            result = apply_batch(
                db.session,
                campaign_id,
                SignatureFilters(domain="bot-farm.example"),
                BulkAction.INVALIDATE,
                secret_key=app.config["SECRET_KEY"],
                now=utcnow(),
                tally_shards=app.config["TALLY_SHARDS"],
            )
            db.session.commit()
    assert result.changed == 1
    confirming[0].outcome()

    assert [s.status for s in signatures(app)] == ["invalidated"]
    assert confirmed_count(app, campaign) == 0
    assert reconciles(app)


def test_news_queued_while_its_supporter_unsubscribes_is_cancelled(
    app: Flask, make_app: Callable[..., Flask], campaign: str
) -> None:
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        signature = add_signature(
            db.session, campaign_id, confirmed_at=utcnow() - timedelta(days=1), opt_in=True
        )
        signature.manage_key = secrets.token_hex(16)  # as signing gives it: a manage link
        db.session.commit()
        signature_id = signature.id
    other = make_app()
    unsubscribing = []

    def unsubscribe() -> None:
        with other.app_context():
            signature = db.session.get(Signature, signature_id)
            assert signature is not None
            stop_news(db.session, signature, now=utcnow())
            db.session.commit()

    def unsubscribe_meanwhile() -> None:
        worker = start(unsubscribe, "unsubscribe")
        unsubscribing.append(worker)
        finished_or_blocked(worker)  # with the row lock, it waits for the news to be queued

    with app.app_context(), at_statement(db.engine, "SELECT signatures.", unsubscribe_meanwhile):
        email_news(
            db.session,
            signature_id,
            subject="News",
            template="news",
            context={},
            now=utcnow(),
        )
        db.session.commit()
    unsubscribing[0].outcome()

    with app.app_context():
        news = db.session.scalars(
            select(EmailMessage).where(EmailMessage.category == MessageCategory.UPDATE)
        ).all()
        assert news == []
        signature = db.session.get(Signature, signature_id)
        assert signature is not None and signature.opt_in is False
