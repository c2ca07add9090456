"""API keys: printed once, stored hashed, scoped to a campaign or not, read-only or not,
revoked at once, counted when used, and limited in rate."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from campaign.api.models import ApiKey
from campaign.audit.models import AuditEvent
from campaign.extensions import db
from tests.api.conftest import make_key
from tests.factories import make_campaign

RECORD = {
    "person": {
        "given_name": "Grace",
        "family_name": "Hopper",
        "email_addresses": [{"address": "grace@example.org"}],
        "postal_addresses": [{"country": "US"}],
    }
}


def _problem(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    return body


def test_the_key_is_printed_once_on_the_last_line_and_only_its_hash_is_stored(
    app: Flask, runner: FlaskCliRunner, campaign: str
) -> None:
    result = runner.invoke(args=["api-keys", "create", "Our CRM", "--campaign", campaign])

    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("cpk_") and len(key) > 40
    with app.app_context():
        [row] = db.session.scalars(select(ApiKey)).all()
        assert row.name == "Our CRM" and row.campaign_id is not None and not row.read_only
        assert key not in (row.key_hash, row.prefix) and key.startswith(row.prefix)
        [event] = db.session.scalars(select(AuditEvent)).all()
        assert event.action == "api_key.create" and key not in str(event.details)
    listing = runner.invoke(args=["api-keys", "list"]).output
    assert "Our CRM" in listing and campaign in listing and key not in listing


def test_an_unknown_campaign_makes_no_key(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["api-keys", "create", "CRM", "--campaign", "nope"])
    assert result.exit_code != 0 and "No campaign" in result.output


def test_no_key_or_a_wrong_one_gets_401_as_json(client: FlaskClient, campaign: str) -> None:
    body = _problem(client.get("/api/v1/petitions"), 401)
    assert "OSDI-API-Token" in str(body["detail"])
    _problem(client.get("/api/v1/petitions", headers={"OSDI-API-Token": "cpk_wrong"}), 401)
    _problem(client.get("/api/v1/petitions", headers={"Authorization": "Bearer " + "x" * 500}), 401)


def test_a_key_works_in_either_header_and_each_use_is_counted(
    app: Flask, client: FlaskClient, key: str, campaign: str
) -> None:
    assert client.get("/api/v1/petitions", headers={"OSDI-API-Token": key}).status_code == 200
    assert (
        client.get("/api/v1/petitions", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )

    with app.app_context():
        [row] = db.session.scalars(select(ApiKey)).all()
        assert row.use_count == 2 and row.last_used_at is not None


def test_a_key_for_one_campaign_sees_only_that_one_and_others_are_404(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, campaign: str
) -> None:
    with app.app_context():
        other = make_campaign(db.session).slug
        db.session.commit()
    key = make_key(runner, "Partner", "--campaign", campaign)
    headers = {"OSDI-API-Token": key}

    listing = client.get("/api/v1/petitions", headers=headers).get_json()
    assert [p["identifiers"] for p in listing["_embedded"]["osdi:petitions"]] == [
        [f"campaign:{campaign}"]
    ]
    assert client.get(f"/api/v1/petitions/{campaign}", headers=headers).status_code == 200
    for path in (f"/petitions/{other}", f"/petitions/{other}/signatures", "/petitions/nope"):
        _problem(client.get(f"/api/v1{path}", headers=headers), 404)
    _problem(
        client.post(f"/api/v1/petitions/{other}/signatures", headers=headers, json=RECORD), 404
    )


def test_revoking_a_key_takes_effect_at_once(
    client: FlaskClient, runner: FlaskCliRunner, key: str, campaign: str
) -> None:
    headers = {"OSDI-API-Token": key}
    assert client.get("/api/v1/petitions", headers=headers).status_code == 200

    key_id = runner.invoke(args=["api-keys", "list"]).output.split("\t")[0]
    result = runner.invoke(args=["api-keys", "revoke", key_id])
    assert result.exit_code == 0, result.output

    _problem(client.get("/api/v1/petitions", headers=headers), 401)
    assert "revoked" in runner.invoke(args=["api-keys", "list"]).output


def test_a_read_only_key_may_read_but_not_record(
    client: FlaskClient, runner: FlaskCliRunner, campaign: str
) -> None:
    headers = {"OSDI-API-Token": make_key(runner, "Reader", "--read-only")}
    assert (
        client.get(f"/api/v1/petitions/{campaign}/signatures", headers=headers).status_code == 200
    )
    _problem(
        client.post(f"/api/v1/petitions/{campaign}/signatures", headers=headers, json=RECORD), 403
    )


def test_every_error_under_the_api_is_json_never_html(
    api: Callable[..., TestResponse], client: FlaskClient, campaign: str
) -> None:
    _problem(api("GET", "/no-such-thing"), 404)
    _problem(client.get("/api/v1/no-such-thing"), 404)
    body = _problem(api("DELETE", f"/petitions/{campaign}"), 405)
    assert body["title"] == "Method Not Allowed"
    _problem(api("GET", f"/petitions/{campaign}/signatures?per_page=101"), 400)
    _problem(api("GET", f"/petitions/{campaign}/signatures?page=0"), 400)
    _problem(api("GET", f"/petitions/{campaign}/signatures?cursor=garbage"), 400)
    _problem(api("GET", f"/petitions/{campaign}/signatures?filter=name eq 'x'"), 400)
    _problem(api("GET", f"/petitions/{campaign}/signatures?filter=modified_date gt 'soon'"), 400)


def test_stray_query_parameters_are_ignored_and_links_stay_on_our_site(
    api: Callable[..., TestResponse], campaign: str
) -> None:
    # A `slug` in the query used to reach url_for twice (a 500); `_external`, `_scheme` must
    # never choose where our links point.
    response = api(
        "GET", f"/petitions/{campaign}/signatures?slug=x&_scheme=javascript&_external=0&page=1"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    self_link = response.get_json()["_links"]["self"]["href"]
    assert self_link.startswith("https://petition.example.org/api/v1/")
    assert "slug=" not in self_link and "_scheme" not in self_link


def test_a_wrong_key_is_refused_by_a_read_alone(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, campaign: str
) -> None:
    # No write for a made-up key: a flood of them must not queue for SQLite's write lock.
    key = make_key(runner, "crm")
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    response = client.get("/api/v1/petitions", headers={"OSDI-API-Token": key + "x"})
    assert response.status_code == 401
    assert [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))] == []
    assert any(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_each_key_is_limited_in_rate(
    make_app: Callable[..., Flask], key: str, campaign: str
) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_API_PER_KEY="3/minute").test_client()
    headers = {"OSDI-API-Token": key}
    for _ in range(3):
        assert limited.get("/api/v1/petitions", headers=headers).status_code == 200

    response = limited.get("/api/v1/petitions", headers=headers)

    _problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1
