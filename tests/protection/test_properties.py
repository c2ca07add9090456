"""Property-based tests (Hypothesis): whatever is sent, the outcome is all or nothing and
never a server error."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.factories import csrf_token
from tests.helpers import confirmed_count, count_rows

FIXTURES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "Ada",
            "=cmd|' /C calc'!A0",
            "<script>x</script>",
            "a@b",
            "GB",
            "ada@example.org",
            "x" * 5000,
            "\u202e",
            "\x00",
            "http://x.example",
        ]
    ),
)
emails = st.one_of(st.emails(), text)
countries = st.one_of(st.sampled_from(["GB", "FR", "KE", "BR", "ZZ", "", "gb"]), text)


def _empty(app: Flask) -> None:
    with app.app_context():
        for model in (OutboxMessage, Signature):
            db.session.query(model).delete()
        db.session.commit()


@FIXTURES
@given(
    first_name=text,
    last_name=text,
    email=emails,
    country=countries,
    postcode=text,
    opt_in=st.sampled_from(["", "y", "on", "no", "\x00"]),
    extra=text,
)
def test_signing_with_any_input_stores_one_signature_and_one_email_or_nothing(
    app: Flask,
    client: FlaskClient,
    campaign: str,
    first_name: str,
    last_name: str,
    email: str,
    country: str,
    postcode: str,
    opt_in: str,
    extra: str,
) -> None:
    _empty(app)
    token = csrf_token(client, f"/campaigns/{campaign}")
    fields = {
        "csrf_token": token,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "country": country,
        "postcode": postcode,
        "opt_in": opt_in,
        "unknown": extra,
    }
    body = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in fields.items() if v != "")

    response = client.post(
        f"/campaigns/{campaign}",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/x-www-form-urlencoded",
    )

    stored, sent = count_rows(app, Signature), count_rows(app, OutboxMessage)
    if 200 <= response.status_code < 400:
        assert (stored, sent) == (1, 1), response.status_code
    else:
        assert 400 <= response.status_code < 500, response.status_code
        assert (stored, sent) == (0, 0)


@FIXTURES
@given(token=st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.hex())))
def test_confirming_with_any_token_never_errors_and_counts_nothing(
    app: Flask, client: FlaskClient, campaign: str, token: str
) -> None:
    path = "/confirm/" + quote(token, safe="")
    for response in (client.get(path), client.post(path)):
        assert response.status_code in (400, 404, 405, 308), response.status_code
    assert confirmed_count(app, campaign) == 0
