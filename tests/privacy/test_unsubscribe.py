"""Stopping news: a link in every email (and a one-click header for mail clients); opening it
changes nothing, the POST stops news for good; the supporter's own emails still go."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import campaign_text
from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import SmtpTransport
from campaign.mail.models import MessageCategory
from campaign.privacy.news import NotSubscribed, email_news
from campaign.signing.models import Signature, receives_news_clause
from campaign.signing.services import email_campaign
from campaign.tokens import LinkPurpose, make_link_token
from tests.factories import sign
from tests.helpers import (
    confirmation_path,
    confirmed_count,
    deliver,
    manage_path,
    outbox,
    signatures,
)
from tests.smtp import SmtpServer


def _queue_news(app: Flask, signature_id: int) -> None:
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        email_news(
            db.session,
            signature_id,
            subject="News",
            template="update",
            context={
                "campaign": email_campaign(campaign_text(db.session, campaign, "en")),
                "message": "We did it.",
            },
            now=utcnow(),
        )
        db.session.commit()


def _signed_and_confirmed(app: Flask, client: FlaskClient, campaign: str, **form: str) -> int:
    sign(client, campaign, opt_in="y", **form)
    client.post(confirmation_path(app))
    return signatures(app)[-1].id


def test_opening_the_unsubscribe_link_changes_nothing_it_shows_a_button(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    path = manage_path(app, "unsubscribe")

    response = client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Stop news" in page
    assert f'action="{path}"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    [signature] = signatures(app)
    assert signature.opt_in is True and signature.opt_in_withdrawn_at is None


def test_pressing_the_button_stops_news_for_good_and_the_signature_still_counts(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)

    response = client.post(manage_path(app, "unsubscribe"))

    assert response.status_code == 200
    assert "no more news" in response.get_data(as_text=True)
    [signature] = signatures(app)
    assert signature.opt_in is False
    assert signature.opt_in_withdrawn_at is not None
    assert signature.status == "confirmed"
    assert confirmed_count(app, campaign) == 1
    with app.app_context():
        assert db.session.scalars(select(Signature).where(receives_news_clause())).all() == []
    page = client.get(manage_path(app, "unsubscribe")).get_data(as_text=True)
    assert "You receive no news from this campaign" in page


def test_a_mail_clients_one_click_post_works_without_cookie_or_csrf_token(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    path = manage_path(app, "unsubscribe")
    mail_provider = app.test_client(use_cookies=False)

    # RFC 8058: the body is "List-Unsubscribe=One-Click", as a form, urlencoded or multipart.
    response = mail_provider.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert signatures(app)[0].opt_in is False
    again = mail_provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200  # multipart, and repeated: still fine


def test_every_email_carries_one_click_unsubscribe_headers_over_smtp(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: SmtpServer
) -> None:
    sign(smtp_app.test_client(), campaign, opt_in="y")
    path = manage_path(smtp_app, "unsubscribe")

    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 1

    [received] = smtp_server.received
    assert received.message["List-Unsubscribe"] == f"<https://petition.example.org{path}>"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        smtp_app.test_client(use_cookies=False)
        .post(path, data={"List-Unsubscribe": "One-Click"})
        .status_code
        == 200
    )
    assert signatures(smtp_app)[0].opt_in is False


def test_a_link_made_for_one_purpose_never_works_for_another(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    sign(client, campaign, email="other@example.org")  # still pending: a live confirm token
    unsubscribe = manage_path(app, "unsubscribe", 0)
    delete = manage_path(app, "delete", 0)
    confirm = confirmation_path(app)
    unsubscribe_token = unsubscribe.rsplit("/", 1)[1]
    delete_token = delete.rsplit("/", 1)[1]
    confirm_token = confirm.rsplit("/", 1)[1]

    for wrong in (
        f"/delete/{unsubscribe_token}",
        f"/unsubscribe/{delete_token}",
        f"/unsubscribe/{confirm_token}",
        f"/delete/{confirm_token}",
        f"/confirm/{unsubscribe_token}",
        f"/confirm/{delete_token}",
    ):
        for method in (client.get, client.post):
            response = method(wrong)
            assert response.status_code == 404, wrong
    first, second = signatures(app)
    assert first.opt_in is True and second.status == "pending"
    assert confirmed_count(app, campaign) == 1


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "x" * 5000,
        "<svg onload=alert(1)>",
        "' OR 1=1 --",
        "0" * 32 + "." + "A" * 43,
        "é" * 32 + "." + "A" * 43,
        # A well-formed key with a mac of the right length in other letters: refused before
        # any comparison (a constant-time comparison of non-ASCII text raises).
        "0" * 32 + "." + "é" * 43,
    ],
)
def test_made_up_or_hostile_links_get_a_plain_not_valid_page(
    app: Flask, client: FlaskClient, campaign: str, token: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    for purpose in ("unsubscribe", "delete"):
        for method in (client.get, client.post):
            response = method(f"/{purpose}/{token}")
            assert response.status_code == 404
            page = response.get_data(as_text=True)
            assert "This link does not work" in page
            assert "<svg" not in page
    assert signatures(app)[0].opt_in is True
    assert confirmed_count(app, campaign) == 1


def test_a_link_with_bytes_no_link_holds_is_refused_before_any_view(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    for purpose in ("unsubscribe", "delete"):
        for method in (client.get, client.post):
            response = method(f"/{purpose}/%00%ff")
            assert response.status_code == 400
            assert "could not understand" in response.get_data(as_text=True)
    assert signatures(app)[0].opt_in is True
    assert confirmed_count(app, campaign) == 1


def test_a_changed_link_does_not_work(app: Flask, client: FlaskClient, campaign: str) -> None:
    _signed_and_confirmed(app, client, campaign)
    path = manage_path(app, "unsubscribe")
    key, mac = path.rsplit("/", 1)[1].split(".")
    other_key = ("1" if key[0] != "1" else "2") + key[1:]
    changed_mac = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in (
        f"/unsubscribe/{other_key}.{mac}",
        f"/unsubscribe/{key}.{changed_mac}",
        f"/unsubscribe/{key.upper()}.{mac}",
        f"/unsubscribe/{key}.{mac}x",
        f"/unsubscribe/{key}{mac}",
        f"/unsubscribe/{key}.{mac}%0A",
    ):
        assert client.post(bad).status_code == 404, bad
    assert signatures(app)[0].opt_in is True


def test_links_need_our_secret_key_and_survive_its_rotation(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    _signed_and_confirmed(app, client, campaign)
    manage_key = signatures(app)[0].manage_key
    assert manage_key
    forged = make_link_token("a-guessed-key", LinkPurpose.UNSUBSCRIBE, manage_key)
    assert client.post(f"/unsubscribe/{forged}").status_code == 404

    path = manage_path(app, "unsubscribe")
    app.config.update(SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["test-secret-key"])
    assert client.get(path).status_code == 200
    # Emails sent since the rotation carry links made with the new key: they work too, while
    # the old key is still accepted (whichever of the keys comes last).
    fresh = make_link_token("the-new-key", LinkPurpose.UNSUBSCRIBE, manage_key)
    assert client.get(f"/unsubscribe/{fresh}").status_code == 200
    app.config.update(SECRET_KEY_FALLBACKS=[])
    assert client.get(path).status_code == 404
    assert client.get(f"/unsubscribe/{fresh}").status_code == 200


def test_news_is_never_queued_for_someone_who_unsubscribed_or_never_opted_in(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    subscribed = _signed_and_confirmed(app, client, campaign, email="yes@example.org")
    _queue_news(app, subscribed)  # opted in, confirmed: news may go
    sign(client, campaign, email="no@example.org")  # never ticked the box
    client.post(confirmation_path(app))
    never = signatures(app)[-1].id
    sign(client, campaign, email="pending@example.org", opt_in="y")  # not confirmed
    pending = signatures(app)[-1].id
    client.post(manage_path(app, "unsubscribe", 0))  # "yes@" changes their mind
    for signature_id in (subscribed, never, pending, 999_999):
        with pytest.raises(NotSubscribed):
            _queue_news(app, signature_id)
    assert [m.category for m in outbox(app)].count(MessageCategory.UPDATE) == 0


def test_unsubscribing_cancels_news_already_queued_but_not_the_supporters_own_emails(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    signature_id = _signed_and_confirmed(app, client, campaign)
    _queue_news(app, signature_id)
    assert [m.category for m in outbox(app)] == ["transactional", "update"]

    client.post(manage_path(app, "unsubscribe"))

    assert [m.category for m in outbox(app)] == ["transactional"]
    # Signing again still gets its answer ("already signed"), and never turns news back on.
    sign(client, campaign, opt_in="y")
    messages = outbox(app)
    assert len(messages) == 2 and messages[-1].subject.startswith("You have already signed")
    assert signatures(app)[0].opt_in is False


def test_unsubscribing_while_unconfirmed_keeps_the_confirmation_working(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, opt_in="y")
    client.post(manage_path(app, "unsubscribe"))

    assert client.post(confirmation_path(app)).status_code == 200

    [signature] = signatures(app)
    assert signature.status == "confirmed" and signature.opt_in is False
    assert confirmed_count(app, campaign) == 1


def test_news_goes_out_with_the_one_click_header_and_the_supporters_links(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    signature_id = _signed_and_confirmed(smtp_app, client, campaign)
    deliver(smtp_app, SmtpTransport(timeout=5))
    _queue_news(smtp_app, signature_id)

    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 1

    news = smtp_server.received[-1].message
    text = news.get_body(("plain",)).get_content()
    assert "We did it." in text
    unsubscribe = manage_path(smtp_app, "unsubscribe")
    assert f"https://petition.example.org{unsubscribe}" in text
    assert news["List-Unsubscribe"] == f"<https://petition.example.org{unsubscribe}>"
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
