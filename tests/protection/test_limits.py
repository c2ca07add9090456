"""Rate limits: real supporters behind one address get in (some held as suspect), scripts
get a 429, forged forwarding headers gain nothing, and Redis going away breaks nothing."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import limiter
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.factories import login
from tests.helpers import confirmation_path, confirmed_count, count_rows, signatures

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_SIGN_SUSPECT_PER_ADDRESS": "3/minute",
    "RATELIMIT_SIGN_PER_ADDRESS": "6/minute",
    "RATELIMIT_SIGN_SUSPECT_PER_DOMAIN": "4/minute",
    "RATELIMIT_SIGN_PER_DOMAIN": "8/minute",
    "RATELIMIT_CONFIRM_PER_ADDRESS": "5/minute",
}


@pytest.fixture
def limited_app(make_app: Callable[..., Flask]) -> Flask:
    """The test app rebuilt with small limits switched on (limits are read at start-up)."""
    return make_app(**LIMITS)


@pytest.fixture
def limited_client(limited_app: Flask) -> FlaskClient:
    return limited_app.test_client()


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_overrides": {"REMOTE_ADDR": address}}


def signer(
    client: FlaskClient,
    slug: str,
    n: int,
    address: str = "203.0.113.7",
    domain: str = "example.org",
    **headers: str,
):  # type: ignore[no-untyped-def]
    from tests.factories import csrf_token

    path = f"/campaigns/{slug}"
    token = csrf_token(client, path)
    return client.post(
        path,
        data={
            "csrf_token": token,
            "first_name": "Shared",
            "last_name": f"Office {n}",
            "email": f"person{n}@{domain}",
            "country": "FR",
        },
        environ_overrides={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_between_the_soft_and_hard_limits_signatures_are_accepted_but_held_as_suspect(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    responses = [signer(limited_client, campaign, n, domain="gmail.com") for n in range(6)]

    assert [r.status_code for r in responses] == [303] * 6
    assert len({r.headers["Location"] for r in responses}) == 1  # a bot learns nothing
    rows = signatures(limited_app)
    assert [s.suspect for s in rows] == [False, False, False, True, True, True]
    assert count_rows(limited_app, OutboxMessage) == 6  # their emails go out as usual


def test_well_above_the_limit_a_script_gets_429_with_retry_after_and_nothing_is_stored(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    for n in range(6):
        signer(limited_client, campaign, n, domain="gmail.com")

    refused = signer(limited_client, campaign, 99, domain="gmail.com")

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page and "<html" in page
    assert count_rows(limited_app, Signature) == 6
    # Another address is not affected.
    assert signer(limited_client, campaign, 100, address="198.51.100.1").status_code == 303


def test_a_suspect_signature_is_not_counted_when_confirmed(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    for n in range(4):
        signer(limited_client, campaign, n, domain="gmail.com")
    for index in range(4):
        limited_client.post(confirmation_path(limited_app, index))

    assert confirmed_count(limited_app, campaign) == 3
    assert limited_client.get(f"/campaigns/{campaign}.json").get_json()["signature_count"] == 3
    result = limited_app.test_cli_runner().invoke(args=["tallies", "reconcile", "--dry-run"])
    assert result.exit_code == 0, result.output


def test_a_script_posting_forms_without_an_address_is_limited_like_any_other(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    from tests.factories import csrf_token

    path = f"/campaigns/{campaign}"
    token = csrf_token(limited_client, path)
    statuses = [
        limited_client.post(
            path,
            data={"csrf_token": token, "first_name": "No", "last_name": "Address"},
            environ_overrides={"REMOTE_ADDR": "203.0.113.77"},
        ).status_code
        for _ in range(8)
    ]
    assert statuses[-2:] == [429, 429]
    assert 429 not in statuses[:6]
    assert count_rows(limited_app, Signature) == 0


def test_many_signatures_from_one_small_domain_are_limited_but_large_providers_never(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    # Each from a different address: only the domain rule can catch them.
    small = [
        signer(limited_client, campaign, n, address=f"198.51.100.{n}", domain="bot-farm.example")
        for n in range(10)
    ]
    assert [r.status_code for r in small] == [303] * 8 + [429] * 2
    assert sum(s.suspect for s in signatures(limited_app)) == 4

    large = [
        signer(limited_client, campaign, 100 + n, address=f"192.0.2.{n}", domain="gmail.com")
        for n in range(10)
    ]
    assert [r.status_code for r in large] == [303] * 10
    assert sum(s.suspect for s in signatures(limited_app)) == 4


def test_the_domain_limit_counts_each_domain_on_its_own(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    # Three from each of two small domains (each address once): each domain stays under
    # its soft limit (4/minute), so none is held back, though six came in together.
    for n, domain in enumerate(["one-small.example"] * 3 + ["other-small.example"] * 3):
        signer(limited_client, campaign, n, address=f"198.51.100.{n}", domain=domain)
    assert [s.suspect for s in signatures(limited_app)] == [False] * 6


def test_a_forged_forwarded_for_header_gains_nothing_without_trusted_proxies(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    statuses = [
        signer(
            limited_client, campaign, n, domain="gmail.com", **{"X-Forwarded-For": f"10.0.0.{n}"}
        ).status_code
        for n in range(8)
    ]
    assert statuses == [303] * 6 + [429] * 2


def _sign_forwarded(app: Flask, campaign: str, forwarded_for: list[str]) -> list[int]:
    """One signature (with a gmail.com address) per X-Forwarded-For value; the statuses."""
    client = app.test_client()
    return [
        signer(client, campaign, n, domain="gmail.com", **{"X-Forwarded-For": value}).status_code
        for n, value in enumerate(forwarded_for)
    ]


def test_behind_one_trusted_proxy_each_forwarded_client_has_its_own_limit(
    make_app: Callable[..., Flask], campaign: str
) -> None:
    proxied = make_app(**LIMITS, TRUSTED_PROXIES=1)
    statuses = _sign_forwarded(proxied, campaign, [f"spoofed, 198.51.100.{n}" for n in range(8)])
    assert statuses == [303] * 8
    assert not any(s.suspect for s in signatures(proxied))


@pytest.mark.parametrize(
    "forwarded",
    ["[2001:db8:1:2::{n}]:{port}", "[2001:db8:1:2::{n}]", "203.0.113.9:{port}"],
    ids=["ipv6 with port", "ipv6 in brackets", "ipv4 with port"],
)
def test_behind_a_trusted_proxy_a_forwarded_port_is_not_a_new_address(
    make_app: Callable[..., Flask], campaign: str, forwarded: str
) -> None:
    """Some proxies write `[2001:db8::5]:443`: each port (and each address of one /64) is
    still the one subscriber, held to one limit."""
    proxied = make_app(**LIMITS, TRUSTED_PROXIES=1)
    statuses = _sign_forwarded(
        proxied, campaign, [forwarded.format(n=n + 1, port=40000 + n) for n in range(7)]
    )
    assert statuses == [303] * 6 + [429]
    assert [s.suspect for s in signatures(proxied)] == [False] * 3 + [True] * 3
    assert len({s.ip_hash for s in signatures(proxied)}) == 1


def test_an_ipv6_subscriber_counts_as_one_address_across_its_64(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    statuses = [
        signer(
            limited_client, campaign, n, address=f"2001:db8:1:2::{n + 1:x}", domain="gmail.com"
        ).status_code
        for n in range(7)
    ]
    assert statuses == [303] * 6 + [429]


def test_login_is_rate_limited_per_address(make_app: Callable[..., Flask], organiser: str) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_PER_ADDRESS="3/minute")
    client = limited.test_client()
    statuses = [
        login(
            client, f"nobody{n}@example.org", "wrong password here", address="203.0.113.5"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    # Another address can still log in.
    assert login(client, organiser, address="198.51.100.9").status_code == 303


def test_confirming_is_limited_per_address(
    limited_app: Flask, limited_client: FlaskClient, campaign: str
) -> None:
    statuses = [
        limited_client.post(f"/confirm/made-up-{n}", **_from("203.0.113.50")).status_code
        for n in range(6)
    ]
    assert statuses == [404] * 5 + [429]


def test_rate_limits_can_be_switched_off_for_load_tests(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    assert app.config["RATELIMIT_ENABLED"] is False
    statuses = [signer(client, campaign, n, domain="gmail.com").status_code for n in range(40)]
    assert statuses == [303] * 40
    assert not any(s.suspect for s in signatures(app))


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        if os.environ.get("CI"):  # .ci/run starts Redis: missing there is a failure
            pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield url
    redis.Redis.from_url(url).flushdb()


def test_limits_in_redis_hold_across_processes(
    make_app: Callable[..., Flask], campaign: str, redis_url: str
) -> None:
    prefix = uuid.uuid4().hex
    settings = {
        **LIMITS,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first, second = make_app(**settings), make_app(**settings)
    statuses = [
        signer(
            (first if n % 2 else second).test_client(), campaign, n, domain="gmail.com"
        ).status_code
        for n in range(8)
    ]
    assert statuses == [303] * 6 + [429] * 2


def test_when_redis_is_unreachable_the_site_stays_up_and_says_so_in_the_log(
    make_app: Callable[..., Flask], campaign: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken = make_app(**LIMITS, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = broken.test_client()
    caplog.set_level(logging.WARNING)

    assert client.get(f"/campaigns/{campaign}").status_code == 200
    assert client.get(f"/campaigns/{campaign}.json").status_code == 200
    assert signer(client, campaign, 1, domain="gmail.com").status_code == 303
    assert count_rows(broken, Signature) == 1
    assert "falling back to in-memory storage" in caplog.text


def test_with_no_storage_to_count_in_a_signature_is_taken_and_not_marked_suspect(
    make_app: Callable[..., Flask],
    campaign: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the in-memory fallback, an unreachable Redis makes every count fail: the soft
    limits cannot be checked, and a signer is never refused or held back because of it."""
    # The one global Limiter keeps "storage dead, use the fallback" from an earlier app of
    # this test process (a real process has one app): start as a fresh process would.
    monkeypatch.setattr(limiter, "_storage_dead", False)
    monkeypatch.setattr(limiter, "_in_memory_fallback_enabled", False)
    broken = make_app(
        **LIMITS,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False,
    )
    caplog.set_level(logging.WARNING)

    assert signer(broken.test_client(), campaign, 1, domain="bot-farm.example").status_code == 303
    assert [s.suspect for s in signatures(broken)] == [False]
    assert "Rate-limit storage unavailable; signature not checked for suspicion" in [
        record.getMessage() for record in caplog.records if record.levelno == logging.WARNING
    ]


def test_reading_the_page_is_never_limited(limited_client: FlaskClient, campaign: str) -> None:
    statuses = {
        limited_client.get(f"/campaigns/{campaign}", **_from("203.0.113.9")).status_code
        for _ in range(50)
    }
    assert statuses == {200}
