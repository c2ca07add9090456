"""Confirming: the link shows a button, the button confirms once, and the count follows."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from campaign.database import utcnow
from campaign.extensions import db
from campaign.signing.models import ConfirmationLink, Signature
from tests.factories import sign
from tests.helpers import confirmation_path, confirmed_count, outbox, signatures


def test_opening_the_link_changes_nothing_it_shows_a_confirm_button(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)

    response = client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Confirm my signature" in page
    assert f'action="{path}"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert signatures(app)[0].status == "pending"
    assert confirmed_count(app, campaign) == 0


def test_pressing_the_button_confirms_and_the_public_count_goes_up_by_one(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, country="KE")
    before = client.get(f"/campaigns/{campaign}.json").get_json()

    response = client.post(confirmation_path(app))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "your signature is confirmed" in page
    assert "?source=" in page  # share links
    [signature] = signatures(app)
    assert signature.status == "confirmed"
    assert signature.confirmed_at is not None
    after = client.get(f"/campaigns/{campaign}.json").get_json()
    assert after["signature_count"] == before["signature_count"] + 1 == 1
    assert after["signatures_by_country"] == [{"code": "KE", "name": "Kenya", "signature_count": 1}]
    assert after["updated_at"]
    assert "<strong data-live-count>1</strong>" in client.get(f"/campaigns/{campaign}").get_data(
        as_text=True
    )


def test_each_signer_sees_their_own_count_and_links_when_the_page_is_kept_in_memory(
    app: Flask, make_app: Any, campaign: str
) -> None:
    # As in production: the thank-you page is rendered once and kept a moment; each signer
    # gets their own count (and its plural) and their own link in the language switcher.
    served = make_app(TALLY_CACHE_SECONDS=60)
    sign(app.test_client(), campaign, email="first@example.org")
    first = confirmation_path(app)
    sign(app.test_client(), campaign, email="second@example.org")
    second = confirmation_path(app)

    one = served.test_client().post(first).get_data(as_text=True)
    two = served.test_client().post(second + "?source=mail").get_data(as_text=True)
    again = served.test_client().post(first, headers={"Accept-Language": "fr"})

    assert "<strong data-live-count>1</strong>\n    signature\n" in one
    assert "<strong data-live-count>2</strong>\n    signatures\n" in two
    assert f'href="{first}?lang=fr"' in one
    assert f'href="{second}?source=mail&amp;lang=fr"' in two
    assert first not in two and second not in one
    assert "@@" not in one + two
    french = again.get_data(as_text=True)
    assert "Votre signature est déjà confirmée" in french
    assert "<strong data-live-count>2</strong>" in french
    assert f'href="{first}?lang=en"' in french


def test_confirming_twice_says_already_confirmed_and_counts_once(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)
    client.post(path)

    again = client.post(path)

    assert again.status_code == 200
    assert "already confirmed" in again.get_data(as_text=True)
    assert "already confirmed" in client.get(path).get_data(as_text=True)
    assert confirmed_count(app, campaign) == 1


def test_many_tabs_confirming_one_token_at_once_count_it_once(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)
    statuses: list[int] = []

    def confirm() -> None:
        statuses.append(app.test_client().post(path).status_code)

    threads = [threading.Thread(target=confirm) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 10
    assert confirmed_count(app, campaign) == 1


def test_an_invalid_or_tampered_token_gets_a_plain_not_valid_page(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")

    for bad in (tampered, "/confirm/nonsense", "/confirm/" + "x" * 5000):
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 404, bad
            assert "This link is not valid" in response.get_data(as_text=True)
    for method in (client.get, client.post):  # bytes no link holds: refused before any view
        assert method("/confirm/%00%ff").status_code == 400
    assert confirmed_count(app, campaign) == 0


def test_an_expired_link_says_so_and_signing_again_sends_a_new_one(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)
    path = confirmation_path(app)
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(update(Signature).values(confirmation_expires_at=past))
        db.session.execute(update(ConfirmationLink).values(expires_at=past))
        db.session.commit()

    response = client.post(path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert confirmed_count(app, campaign) == 0

    sign(client, campaign)
    assert len(outbox(app)) == 2
    assert client.post(confirmation_path(app)).status_code == 200
    assert confirmed_count(app, campaign) == 1


def test_only_confirmed_signatures_count_in_public(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    for n in range(3):
        sign(client, campaign, email=f"person{n}@example.org")
    client.post(confirmation_path(app, 0))
    assert client.get(f"/campaigns/{campaign}.json").get_json()["signature_count"] == 1
