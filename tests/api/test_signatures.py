"""Reading petitions and confirmed signatures, paging while people sign, and syncing
changes and deletions since a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign.database import utcnow
from campaign.extensions import db
from tests.api.conftest import sign_and_confirm
from tests.factories import add_signature, campaign_by_slug, sign
from tests.helpers import manage_path, signatures

Api = Callable[..., TestResponse]


def _get(api: Api, path: str) -> dict[str, Any]:
    response = api("GET", path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/hal+json"
    body: dict[str, Any] = response.get_json(force=True)
    return body


def _path(url: str) -> str:
    return url.removeprefix("https://petition.example.org/api/v1")


def _all_pages(api: Api, path: str, collection: str = "osdi:signatures") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    body = _get(api, path)
    while True:
        items.extend(body["_embedded"][collection])
        if "next" not in body["_links"]:
            return items
        body = _get(api, _path(body["_links"]["next"]["href"]))


def test_a_petition_in_osdi_shape_with_the_public_count(
    app: Flask, client: FlaskClient, api: Api, campaign: str
) -> None:
    sign_and_confirm(app, client, campaign)
    sign(client, campaign, email="pending@example.org")  # not confirmed: not counted

    petition = _get(api, f"/petitions/{campaign}")

    assert petition["identifiers"] == [f"campaign:{campaign}"]
    assert petition["title"].startswith("Test campaign")
    assert petition["target"] == [{"name": "World leaders"}]
    assert petition["total_signatures"] == 1
    assert petition["browser_url"] == f"https://petition.example.org/campaigns/{campaign}"
    assert "<strong>now</strong>" in petition["description"]
    assert petition["created_date"].endswith("Z")
    assert (
        _path(petition["_links"]["osdi:signatures"]["href"]) == f"/petitions/{campaign}/signatures"
    )


def test_confirmed_signatures_only_with_the_person_in_osdi_shape(
    app: Flask, client: FlaskClient, api: Api, campaign: str
) -> None:
    sign_and_confirm(
        app,
        client,
        campaign,
        email="ada@example.org",
        postcode="N1 9GU",
        opt_in="y",
        source="newsletter",
        query="?lang=fr",
    )
    sign(client, campaign, email="pending@example.org")

    body = _get(api, f"/petitions/{campaign}/signatures")

    assert body["total_records"] == 1 and body["total_pages"] == 1 and body["page"] == 1
    [signature] = body["_embedded"]["osdi:signatures"]
    [stored] = [s for s in signatures(app) if s.email == "ada@example.org"]
    assert signature["identifiers"] == [f"campaign:signature-{stored.id}"]
    assert signature["action_date"] and signature["created_date"] and signature["modified_date"]
    assert signature["origin_system"] == "campaign"
    assert signature["referrer_data"] == {"source": "newsletter"}
    assert signature["person"] == {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email_addresses": [
            {"address": "ada@example.org", "primary": True, "status": "subscribed"}
        ],
        "postal_addresses": [{"postal_code": "N1 9GU", "country": "GB"}],
        "languages_spoken": ["fr"],
        "custom_fields": {},
    }


def test_pages_follow_one_another_with_no_row_missed_or_repeated_while_people_sign(
    app: Flask, api: Api, campaign: str
) -> None:
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        for n in range(7):
            add_signature(db.session, campaign_id, confirmed_at=start + timedelta(seconds=n))
        db.session.commit()

    first = _get(api, f"/petitions/{campaign}/signatures?per_page=3")
    assert first["total_records"] == 7 and first["total_pages"] == 3
    assert "prev" not in first["_links"]
    seen = [s["identifiers"][0] for s in first["_embedded"]["osdi:signatures"]]
    # Between pages: new confirmations, and one of the rows already seen is deleted.
    with app.app_context():
        for n in range(4):
            add_signature(db.session, campaign_id, confirmed_at=utcnow() + timedelta(seconds=n))
        db.session.commit()
    sign_ids = [s.id for s in signatures(app)]
    with app.app_context():
        from campaign.signing.models import Signature

        db.session.delete(db.session.get(Signature, sign_ids[0]))
        db.session.commit()

    body = _get(api, _path(first["_links"]["next"]["href"]))
    assert body["page"] == 2
    pages = [body]
    while "next" in body["_links"]:
        body = _get(api, _path(body["_links"]["next"]["href"]))
        pages.append(body)
    for page in pages:
        seen.extend(s["identifiers"][0] for s in page["_embedded"]["osdi:signatures"])

    assert len(seen) == len(set(seen)) == 11
    assert seen == [f"campaign:signature-{n}" for n in sign_ids]
    back = _get(api, _path(pages[0]["_links"]["prev"]["href"]))
    assert [s["identifiers"][0] for s in back["_embedded"]["osdi:signatures"]] == seen[:3][1:]


def test_a_page_number_alone_reads_that_page(app: Flask, api: Api, campaign: str) -> None:
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        for n in range(5):
            add_signature(db.session, campaign_id, confirmed_at=utcnow() - timedelta(minutes=n))
        db.session.commit()

    body = _get(api, f"/petitions/{campaign}/signatures?page=3&per_page=2")

    assert len(body["_embedded"]["osdi:signatures"]) == 1 and "next" not in body["_links"]
    assert "prev" in body["_links"]


def test_a_sync_sees_unsubscribes_and_deletions_and_deletions_carry_no_personal_data(
    app: Flask, client: FlaskClient, api: Api, campaign: str
) -> None:
    sign_and_confirm(app, client, campaign, email="stays@example.org", opt_in="y")
    sign_and_confirm(app, client, campaign, email="leaves@example.org", opt_in="y")
    leaving = signatures(app)[-1].id
    sign_and_confirm(app, client, campaign, email="quiet@example.org", opt_in="y")
    synced = utcnow() - timedelta(seconds=1)  # the last sync; a second of overlap
    all_rows = _get(api, f"/petitions/{campaign}/signatures")
    assert all_rows["total_records"] == 3

    client.post(manage_path(app, "unsubscribe"))  # quiet@ stops news
    sign(client, campaign, email="leaves@example.org")  # "already signed", with the links
    assert client.post(manage_path(app, "delete")).status_code == 200  # leaves@ deletes

    since = synced.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = _all_pages(api, f"/petitions/{campaign}/signatures?filter=modified_date gt '{since}'")
    deleted_body = _get(
        api, f"/petitions/{campaign}/deleted_signatures?filter=modified_date gt '{since}'"
    )

    by_address = {s["person"]["email_addresses"][0]["address"]: s for s in changed}
    assert (
        by_address["quiet@example.org"]["person"]["email_addresses"][0]["status"] == "unsubscribed"
    )
    assert "leaves@example.org" not in by_address
    assert deleted_body["_embedded"]["campaign:deleted_signatures"] == [
        {
            "identifiers": [f"campaign:signature-{leaving}"],
            "deleted_date": deleted_body["_embedded"]["campaign:deleted_signatures"][0][
                "deleted_date"
            ],
        }
    ]
    assert "leaves" not in str(deleted_body)
    later = (utcnow() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    nothing = _get(api, f"/petitions/{campaign}/signatures?filter=modified_date gt '{later}'")
    assert nothing["total_records"] == 0


def test_a_signature_removed_by_an_organiser_is_listed_as_deleted(
    app: Flask, api: Api, campaign: str
) -> None:
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        kept = add_signature(db.session, campaign_id, confirmed_at=utcnow())
        removed = add_signature(db.session, campaign_id, confirmed_at=utcnow())
        removed.status = "invalidated"
        db.session.commit()
        kept_id, removed_id = kept.id, removed.id

    listed = _get(api, f"/petitions/{campaign}/signatures")["_embedded"]["osdi:signatures"]
    deleted = _get(api, f"/petitions/{campaign}/deleted_signatures")

    assert [s["identifiers"] for s in listed] == [[f"campaign:signature-{kept_id}"]]
    assert [d["identifiers"] for d in deleted["_embedded"]["campaign:deleted_signatures"]] == [
        [f"campaign:signature-{removed_id}"]
    ]
