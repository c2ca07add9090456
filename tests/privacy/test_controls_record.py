"""What a supporter's own links tell the rest of the system and the operator: the signals
that webhooks and the audit trail subscribe to, the log lines (no address in them), and the
per-day count of deletions organisers see."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign import signals
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.privacy.controls import (
    erase_signature,
    erasures_by_day,
    stop_news,
    total_erased,
)
from campaign.signing.models import Signature
from tests.factories import sign
from tests.helpers import confirmation_path

DAY_ONE = datetime(2030, 3, 1, 23, 59, tzinfo=UTC)
DAY_TWO = datetime(2030, 3, 2, 0, 0, tzinfo=UTC)


def _signature(email: str) -> Signature:
    signature = db.session.scalar(select(Signature).where(Signature.email == email))
    assert signature is not None
    return signature


def test_stopping_news_is_told_once_to_subscribers_and_the_log(
    app: Flask, client: FlaskClient, campaign: str, caplog: pytest.LogCaptureFixture
) -> None:
    sign(client, campaign, email="news@example.org", opt_in="y")
    client.post(confirmation_path(app))
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    caplog.set_level(logging.INFO, logger="campaign.privacy.controls")
    with app.app_context(), signals.signature_unsubscribed.connected_to(listen):
        signature = _signature("news@example.org")
        assert stop_news(db.session, signature, now=DAY_ONE) is True
        assert (signature.opt_in, signature.opt_in_withdrawn_at) == (False, DAY_ONE)
        assert stop_news(db.session, signature, now=DAY_TWO) is False  # already stopped
        assert signature.opt_in_withdrawn_at == DAY_ONE
        db.session.commit()
        campaign_id, signature_id = signature.campaign_id, signature.id

    assert [(sender, kwargs["signature_id"], kwargs["now"]) for sender, kwargs in heard] == [
        (campaign_id, signature_id, DAY_ONE)
    ]
    assert heard[0][1]["session"] is not None
    assert [r.getMessage() for r in caplog.records if r.name == "campaign.privacy.controls"] == [
        f"Signature {signature_id} unsubscribed from news"
    ]


def test_each_deletion_is_told_logged_and_counted_on_its_day(
    app: Flask, client: FlaskClient, campaign: str, caplog: pytest.LogCaptureFixture
) -> None:
    for email in ("one@example.org", "two@example.org", "three@example.org"):
        sign(client, campaign, email=email)
        client.post(confirmation_path(app))
    sign(client, campaign, email="pending@example.org")
    heard: list[tuple[Any, dict[str, Any]]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    caplog.set_level(logging.INFO, logger="campaign.privacy.controls")
    with app.app_context(), signals.signature_deleted.connected_to(listen):
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        assert campaign_id is not None
        ids = {}
        for email, now in (
            ("one@example.org", DAY_ONE),
            ("pending@example.org", DAY_ONE),
            ("two@example.org", DAY_TWO),
            ("three@example.org", DAY_TWO),
        ):
            signature = _signature(email)
            ids[email] = signature.id
            receipt = erase_signature(db.session, signature, now=now, tally_shards=1)
            assert receipt.email == email
            db.session.commit()

        assert erasures_by_day(db.session, campaign_id) == [
            ("2030-03-01", 1, 1),
            ("2030-03-02", 2, 0),
        ]
        assert total_erased(db.session, campaign_id) == 3
        assert erasures_by_day(db.session, campaign_id + 1) == []
        assert total_erased(db.session, campaign_id + 1) == 0

    assert [(s, k["signature_ids"], k["reason"], k["now"]) for s, k in heard] == [
        (campaign_id, [ids["one@example.org"]], "erased", DAY_ONE),
        (campaign_id, [ids["pending@example.org"]], "erased", DAY_ONE),
        (campaign_id, [ids["two@example.org"]], "erased", DAY_TWO),
        (campaign_id, [ids["three@example.org"]], "erased", DAY_TWO),
    ]
    assert all(k["session"] is not None for _, k in heard)
    assert [r.getMessage() for r in caplog.records if r.name == "campaign.privacy.controls"] == [
        f"Signature {ids['one@example.org']} deleted at its supporter's request "
        f"(campaign {campaign}, confirmed)",
        f"Signature {ids['pending@example.org']} deleted at its supporter's request "
        f"(campaign {campaign}, pending)",
        f"Signature {ids['two@example.org']} deleted at its supporter's request "
        f"(campaign {campaign}, confirmed)",
        f"Signature {ids['three@example.org']} deleted at its supporter's request "
        f"(campaign {campaign}, confirmed)",
    ]


def test_deletions_are_listed_oldest_day_first_whatever_order_they_came_in(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for email in ("one@example.org", "two@example.org"):
        sign(client, campaign, email=email)
    with app.app_context():
        for email, now in (("two@example.org", DAY_TWO), ("one@example.org", DAY_ONE)):
            erase_signature(db.session, _signature(email), now=now, tally_shards=1)
            db.session.commit()
        campaign_id = _campaign_id(campaign)

        assert erasures_by_day(db.session, campaign_id) == [
            ("2030-03-01", 0, 1),
            ("2030-03-02", 0, 1),
        ]


def _campaign_id(slug: str) -> int:
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    assert campaign_id is not None
    return campaign_id
