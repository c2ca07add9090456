"""Property-based tests (Hypothesis): whatever is sent, the outcome is all or nothing and
never a server error."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from campaign.extensions import db
from campaign.identity import normalise_email
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.factories import csrf_token
from tests.helpers import confirmed_count, count_rows

FIXTURES = settings(
    max_examples=60,
    # No shrinking: each example is a real request (about 0.1 s), and shrinking a failure took
    # minutes; the first failing example is reported as it was generated.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
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


def _post(client: FlaskClient, campaign: str, fields: dict[str, str]) -> int:
    token = csrf_token(client, f"/campaigns/{campaign}")
    body = "&".join(
        f"{quote(k)}={quote(v, safe='')}"
        for k, v in {"csrf_token": token, **fields}.items()
        if v != ""
    )
    response = client.post(
        f"/campaigns/{campaign}",
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/x-www-form-urlencoded",
    )
    return response.status_code


# Valid forms, built so that every example is valid: each run checks the success property.
names = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo")), min_size=1, max_size=40
).filter(lambda name: name.strip() != "")
addresses = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"[A-Za-z0-9]{1,20}([._+-][a-z0-9]{1,10})?", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9]{1,15}", fullmatch=True),
    st.sampled_from(["org", "com", "net", "fr", "co.uk"]),
)
valid_forms = st.fixed_dictionaries(
    {
        "first_name": names,
        "last_name": names,
        "email": addresses,
        "country": st.sampled_from(["GB", "FR", "KE", "BR", "IN"]),
        "postcode": st.from_regex(r"[A-Z0-9 ]{0,10}", fullmatch=True),
        "opt_in": st.sampled_from(["", "y"]),
    }
)
# One field made invalid on purpose, in each example: each run checks the refusal property.
BREAKS = st.sampled_from(
    [
        ("first_name", ""),
        ("last_name", "   "),
        ("first_name", "x" * 101),
        ("last_name", "Ada\x00"),
        ("first_name", "line\nbreak"),
        ("email", "not-an-address"),
        ("email", "a@b"),
        ("email", "x" * 250 + "@example.org"),
        ("country", "ZZ"),
        ("country", ""),
        ("postcode", "x" * 17),
    ]
)


@FIXTURES
@given(
    form=valid_forms,
    extra=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40),
)
def test_a_valid_form_stores_one_signature_and_queues_one_email_to_its_address(
    app: Flask, client: FlaskClient, campaign: str, form: dict[str, str], extra: str
) -> None:
    _empty(app)

    status = _post(client, campaign, {**form, "unknown": extra})

    assert status == 303
    with app.app_context():
        stored = db.session.scalars(select(Signature)).all()
        queued = db.session.scalars(select(OutboxMessage)).all()
        assert [s.email_normalised for s in stored] == [normalise_email(form["email"])]
        assert [s.country for s in stored] == [form["country"]]
        assert [s.opt_in for s in stored] == [form["opt_in"] == "y"]
        assert [(m.recipient, m.template) for m in queued] == [(form["email"], "confirm")]


@FIXTURES
@given(form=valid_forms, broken=BREAKS)
def test_a_form_with_one_invalid_field_is_refused_with_a_4xx_and_stores_nothing(
    app: Flask, client: FlaskClient, campaign: str, form: dict[str, str], broken: tuple[str, str]
) -> None:
    _empty(app)
    field, value = broken

    status = _post(client, campaign, {**form, field: value})

    assert 400 <= status < 500, (field, status)
    assert (count_rows(app, Signature), count_rows(app, OutboxMessage)) == (0, 0)


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
def test_signing_with_any_input_is_all_or_nothing_and_never_a_server_error(
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
    """Anything at all (mostly invalid): the outcome is all or nothing, never a 5xx. The
    properties of valid and invalid forms are checked above on every run."""
    _empty(app)
    fields = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "country": country,
        "postcode": postcode,
        "opt_in": opt_in,
        "unknown": extra,
    }

    status = _post(client, campaign, fields)

    stored, sent = count_rows(app, Signature), count_rows(app, OutboxMessage)
    assert status < 500, status
    assert (stored, sent) in ((0, 0), (1, 1)), status
    assert (stored == 1) == (200 <= status < 400), status


@FIXTURES
@given(token=st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.hex())))
def test_confirming_with_any_token_never_errors_and_counts_nothing(
    app: Flask, client: FlaskClient, campaign: str, token: str
) -> None:
    path = "/confirm/" + quote(token, safe="")
    for response in (client.get(path), client.post(path)):
        assert response.status_code in (400, 404, 405, 308), response.status_code
    assert confirmed_count(app, campaign) == 0
