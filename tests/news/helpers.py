"""Writing and sending news as an organiser would, over HTTP, and delivering it."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign.database import utcnow
from campaign.outbox.delivery import DeliveryReport
from campaign.outbox.worker import deliver_batch
from tests.factories import csrf_from


def compose(
    client: FlaskClient,
    slug: str,
    *,
    subject: str = "We delivered it",
    body: str = "Thank you. **We did it.**",
    subject_fr: str = "",
    body_fr: str = "",
    news_id: int | None = None,
) -> TestResponse:
    """Fill in and save the news form (a new draft, or `news_id`'s)."""
    path = f"/organiser/campaigns/{slug}/news/" + (str(news_id) if news_id else "new")
    page = client.get(path).get_data(as_text=True)
    return client.post(
        path,
        data={
            "csrf_token": csrf_from(page),
            "subject": subject,
            "body": body,
            "subject_fr": subject_fr,
            "body_fr": body_fr,
        },
    )


def news_id_of(response: TestResponse) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.search(r"/news/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def confirm_page(client: FlaskClient, slug: str, news_id: int) -> str:
    response = client.get(f"/organiser/campaigns/{slug}/news/{news_id}/send")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def press_send(
    client: FlaskClient, slug: str, news_id: int, page: str | None = None
) -> TestResponse:
    """Press Send on the confirmation page (`page`: a copy of it loaded earlier, to send the
    same form again)."""
    page = page or confirm_page(client, slug, news_id)
    return client.post(
        f"/organiser/campaigns/{slug}/news/{news_id}/send", data={"csrf_token": csrf_from(page)}
    )


def queue_news(app: Flask) -> DeliveryReport:
    """What the worker does after Send: queue the recipients of every news being sent."""
    total = DeliveryReport()
    with app.app_context():
        while True:
            report = deliver_batch("news_queue")
            total.add(report)
            if report.claimed == 0:
                return total


def deliver_news(app: Flask, *, ahead: timedelta = timedelta(days=1)) -> DeliveryReport:
    """Queue the recipients of news being sent, then deliver every copy due by `ahead` from
    now (their time slots pace them)."""
    queue_news(app)
    total = DeliveryReport()
    with app.app_context():
        while True:
            report = deliver_batch("news", now=lambda: utcnow() + ahead)
            total.add(report)
            if report.claimed == 0 or report.claimed == report.retried:
                return total  # nothing left, or only what the mail server put off


def deliver_email(app: Flask) -> DeliveryReport:
    total = DeliveryReport()
    with app.app_context():
        while True:
            report = deliver_batch("email")
            total.add(report)
            if report.claimed == 0 or report.claimed == report.retried:
                return total
