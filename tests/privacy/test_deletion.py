"""Deleting a signature from the link in an email: gone for good, counts lowered at once,
the supporter sees what was deleted, and only a count per day remains."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import format_datetime
from sqlalchemy import select, update

from campaign.database import utcnow
from campaign.extensions import db
from campaign.mail.delivery import SmtpTransport
from campaign.privacy.controls import erasures_by_day, total_erased
from campaign.privacy.models import ErasureCount
from campaign.signing.models import Signature
from campaign.tallies.models import TallyShard
from campaign.tallies.services import read_tally
from tests.factories import sign
from tests.helpers import (
    confirmation_path,
    confirmed_count,
    count_rows,
    deliver,
    email_text,
    manage_path,
    outbox,
    signatures,
)
from tests.smtp import SmtpServer


def _campaign_id(app: Flask) -> int:
    return signatures(app)[0].campaign_id


def test_opening_the_delete_link_changes_nothing_it_shows_what_would_go(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    client.post(confirmation_path(app))
    path = manage_path(app, "delete")

    response = client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Delete your signature?" in page
    assert "your name, email address, country and postcode" in page
    assert "goes down by one" in page
    assert f'action="{path}"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(signatures(app)) == 1
    assert confirmed_count(app, campaign) == 1


def test_deleting_a_confirmed_signature_removes_it_and_its_emails_and_lowers_the_count_at_once(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    sign(client, campaign, email="stays@example.org", country="FR")
    client.post(confirmation_path(smtp_app))
    sign(client, campaign, first_name="Grace", email="grace@example.org", country="KE")
    client.post(confirmation_path(smtp_app))
    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 2
    sign(client, campaign, email="grace@example.org")  # an "already signed" email, not yet sent
    assert [m.status for m in outbox(smtp_app)] == ["sent", "sent", "pending"]
    before = client.get(f"/campaigns/{campaign}.json").get_json()
    assert before["signature_count"] == 2

    response = client.post(manage_path(smtp_app, "delete"))

    assert response.status_code == 200
    assert [s.email for s in signatures(smtp_app)] == ["stays@example.org"]
    messages = outbox(smtp_app)
    assert "grace@example.org" not in [m.recipient for m in messages if m.signature_id]
    assert [m.signature_id is None for m in messages if m.recipient == "grace@example.org"] == [
        True  # only the receipt of the deletion
    ]
    after = client.get(f"/campaigns/{campaign}.json").get_json()
    assert after["signature_count"] == 1
    assert after["signatures_by_country"] == [
        {"code": "FR", "name": "France", "signature_count": 1}
    ]
    with smtp_app.app_context():
        campaign_id = db.session.scalar(select(Signature.campaign_id))
        assert campaign_id is not None
        assert erasures_by_day(db.session, campaign_id) == [(utcnow().date().isoformat(), 1, 0)]
        assert total_erased(db.session, campaign_id) == 1


def test_the_supporter_sees_what_was_deleted_as_text(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(
        client,
        campaign,
        first_name="<b>Ada</b>",
        last_name="O'Brien & Co",
        email="ada+petition@example.org",
        country="IE",
        postcode="D02 X285",
        opt_in="y",
    )

    page = client.post(manage_path(app, "delete")).get_data(as_text=True)

    assert "Your signature is deleted" in page
    assert "&lt;b&gt;Ada&lt;/b&gt;" in page and "<b>Ada" not in page
    assert "O&#39;Brien &amp; Co" in page
    assert "ada+petition@example.org" in page
    assert "Ireland" in page
    assert "D02 X285" in page
    assert "you wanted news" in page
    assert "not confirmed" in page
    assert "1 email deleted" in page


def test_deleting_an_unconfirmed_signature_leaves_the_count_alone(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="first@example.org")
    client.post(confirmation_path(app))
    sign(client, campaign, email="second@example.org")

    client.post(manage_path(app, "delete"))

    assert [s.email for s in signatures(app)] == ["first@example.org"]
    assert confirmed_count(app, campaign) == 1
    with app.app_context():
        [row] = db.session.scalars(select(ErasureCount)).all()
        assert (row.confirmed_erased, row.pending_erased) == (0, 1)


def test_the_record_of_deletions_holds_counts_only(app: Flask) -> None:
    columns = {column.name for column in ErasureCount.__table__.columns}
    assert columns == {"campaign_id", "day", "confirmed_erased", "pending_erased"}


def test_a_deleted_signatures_links_all_stop_working_and_it_can_sign_again(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    confirm = confirmation_path(app)
    unsubscribe, delete = manage_path(app, "unsubscribe"), manage_path(app, "delete")
    client.post(delete)

    for path in (unsubscribe, delete):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404
            assert "nothing about it is held any more" in response.get_data(as_text=True)
    assert client.post(confirm).status_code == 404
    assert confirmed_count(app, campaign) == 0

    sign(client, campaign)  # a new signature, with new links
    assert client.post(confirmation_path(app)).status_code == 200
    assert confirmed_count(app, campaign) == 1
    assert manage_path(app, "delete") != delete


def test_the_deletion_receipt_is_delivered_and_then_purged(
    smtp_app: Flask, campaign: str, smtp_server: SmtpServer, runner: object
) -> None:
    client = smtp_app.test_client()
    sign(client, campaign, email="gone@example.org", opt_in="y")
    client.post(confirmation_path(smtp_app))
    client.post(manage_path(smtp_app, "unsubscribe"))  # unsubscribed: the receipt still goes
    client.post(manage_path(smtp_app, "delete"))

    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 1
    [received] = smtp_server.received
    assert received.recipients == ["gone@example.org"]
    assert received.message["Subject"].startswith("Your signature is deleted")
    assert received.message["List-Unsubscribe"] is None

    result = smtp_app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert outbox(smtp_app) == []
    assert signatures(smtp_app) == []


def test_deleting_from_many_tabs_at_once_deletes_and_uncounts_once(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="keep@example.org")
    client.post(confirmation_path(app))
    sign(client, campaign, email="tabs@example.org")
    client.post(confirmation_path(app))
    path = manage_path(app, "delete")
    statuses: list[int] = []

    def delete() -> None:
        statuses.append(app.test_client().post(path).status_code)

    threads = [threading.Thread(target=delete) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [404] * 7
    assert confirmed_count(app, campaign) == 1
    assert [s.email for s in signatures(app)] == ["keep@example.org"]
    assert [m.recipient for m in outbox(app) if m.signature_id is None] == ["tabs@example.org"]
    with app.app_context():
        [row] = db.session.scalars(select(ErasureCount)).all()
        assert row.confirmed_erased == 1


def test_counts_stay_exact_per_country_through_many_confirmations_and_deletions(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    app.config["TALLY_SHARDS"] = 3
    countries = ["FR", "KE", "BR"]
    for n in range(18):
        sign(client, campaign, email=f"p{n}@example.org", country=countries[n % 3])
        client.post(confirmation_path(app))
    delete_links = [manage_path(app, "delete", index) for index in range(0, 18, 2)]
    for path in delete_links:  # half of them, from every country
        assert client.post(path).status_code == 200

    remaining = Counter(s.country for s in signatures(app) if s.status == "confirmed")
    with app.app_context():
        tally = read_tally(db.session, _campaign_id(app))
        shards = db.session.scalars(select(TallyShard)).all()
    assert dict(tally.by_country) == dict(remaining)
    assert tally.signature_count == sum(remaining.values()) == 9
    assert sum(shard.signature_count for shard in shards) == 9


def test_an_erasure_request_by_letter_is_handled_with_the_cli(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="Letter.Writer@Example.org")
    client.post(confirmation_path(app))
    sign(client, campaign, email="someone.else@example.org")

    result = app.test_cli_runner().invoke(
        args=["privacy", "erase", "letter.writer@example.org", "--yes"]
    )

    assert result.exit_code == 0, result.output
    assert "confirmed, count lowered" in result.output
    assert [s.email for s in signatures(app)] == ["someone.else@example.org"]
    assert confirmed_count(app, campaign) == 0
    assert [m.recipient for m in outbox(app) if m.signature_id is None] == [
        "Letter.Writer@example.org"
    ]
    again = app.test_cli_runner().invoke(
        args=["privacy", "erase", "letter.writer@example.org", "--yes"]
    )
    assert "No signature" in again.output
    unknown = app.test_cli_runner().invoke(
        args=["privacy", "erase", "x@example.org", "--campaign", "nope", "--yes"]
    )
    assert unknown.exit_code != 0 and "no campaign" in unknown.output
    assert count_rows(app, Signature) == 1


def test_deleting_a_signature_held_as_suspect_leaves_the_public_count_alone(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="counted@example.org")
    client.post(confirmation_path(app))
    sign(client, campaign, email="suspect@example.org")
    with app.app_context():  # as the soft rate limit does: accepted, held back from the count
        db.session.execute(
            update(Signature).where(Signature.email == "suspect@example.org").values(suspect=True)
        )
        db.session.commit()
    client.post(confirmation_path(app))
    assert confirmed_count(app, campaign) == 1

    page = client.post(manage_path(app, "delete")).get_data(as_text=True)

    assert "went down by one" not in page
    assert confirmed_count(app, campaign) == 1
    with app.app_context():
        [row] = db.session.scalars(select(ErasureCount)).all()
        assert row.confirmed_erased == 1  # it was in the confirmed export, if not the count


def test_the_receipt_shows_where_the_supporter_came_from_and_when_they_signed_and_confirmed(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, source="newsletter-autumn")
    client.post(confirmation_path(app))
    with app.app_context():  # signed a while ago: not the time the page is drawn
        db.session.execute(update(Signature).values(signed_at=datetime(2026, 1, 2, 10, tzinfo=UTC)))
        db.session.commit()
    [signature] = signatures(app)

    page = client.post(manage_path(app, "delete")).get_data(as_text=True)

    assert "The link that brought you</dt>\n    <dd>newsletter-autumn</dd>" in page
    with app.test_request_context():
        signed = format_datetime(signature.signed_at, "medium")
        confirmed = format_datetime(signature.confirmed_at, "medium")
    assert f"Signed</dt>\n    <dd>{signed}</dd>" in page
    assert f"Confirmed</dt>\n    <dd>{confirmed}</dd>" in page


def test_erasing_a_confirmed_signature_held_as_suspect_by_address_says_it_was_not_counted(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, email="suspect@example.org")
    with app.app_context():
        db.session.execute(update(Signature).values(suspect=True))
        db.session.commit()
    client.post(confirmation_path(app))

    result = app.test_cli_runner().invoke(args=["privacy", "erase", "suspect@example.org", "--yes"])

    assert result.output.splitlines() == [
        f"deleted: {campaign} (confirmed, was not counted, 1 emails)"
    ]


def test_the_deletion_email_speaks_the_supporters_language_and_links_back_to_the_petition(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr", email="ada@example.org")
    client.post(confirmation_path(app))

    client.post(manage_path(app, "delete"))

    [receipt] = outbox(app)
    assert receipt.subject == (
        "Votre signature est supprimée\xa0: Halte aux logiciels espions\xa0: un moratoire sur"
        " les technologies de surveillance, maintenant"
    )
    text = email_text(app)
    assert "Elle n’est plus comptée" in text  # it was counted: the count went down by one
    assert f"https://petition.example.org/campaigns/{seeded}\n" in text
