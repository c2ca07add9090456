"""The app under gunicorn with several worker processes (`live_server`), over real HTTP."""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from flask import Flask

from campaign.signing.models import Signature
from tests.factories import csrf_from
from tests.fixtures.servers import LiveServer
from tests.helpers import count_rows


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.mark.parametrize("live_server", [3], indirect=True, ids=["3-workers"])
def test_many_signers_at_once_through_several_processes_all_get_in(
    app: Flask, campaign: str, live_server: LiveServer
) -> None:
    """SQLite takes the write lock at BEGIN IMMEDIATE and waits: no 'database is locked'."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{live_server.url}/campaigns/{campaign}").read().decode()
    token = csrf_from(page)
    statuses: list[int] = []

    def sign(n: int) -> None:
        data = urllib.parse.urlencode(
            {
                "csrf_token": token,
                "first_name": "Live",
                "last_name": f"Signer {n}",
                "email": f"live{n}@example.org",
                "country": "DE",
            }
        ).encode()
        try:
            opener.open(f"{live_server.url}/campaigns/{campaign}", data=data, timeout=30)
        except urllib.error.HTTPError as response:
            statuses.append(response.code)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * 40
    assert count_rows(app, Signature) == 40
    live_server.assert_no_lock_errors()


def _chunked_post(base: str, path: str, body: bytes, cookie: str) -> int:
    """POST `body` with Transfer-Encoding: chunked (no Content-Length), as a raw client."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    connection.request(
        "POST",
        path,
        body=chunks,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        encode_chunked=True,
    )
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.parametrize("server", ["live_server", "dev_server"], ids=["gunicorn", "werkzeug"])
def test_a_chunked_body_is_held_to_the_same_limit_as_one_with_a_length(
    app: Flask, campaign: str, server: str, request: pytest.FixtureRequest
) -> None:
    """Both servers hand a chunked body on without a length; Werkzeug alone would cut it at
    MAX_CONTENT_LENGTH and process the rest."""
    running = request.getfixturevalue(server)
    base = running.url if isinstance(running, LiveServer) else running
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = csrf_from(opener.open(f"{base}/campaigns/{campaign}").read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    form = urllib.parse.urlencode(
        {
            "csrf_token": token,
            "first_name": "Chunked",
            "last_name": "Signer",
            "email": "chunked@example.org",
            "country": "DE",
        }
    ).encode()
    path = f"/campaigns/{campaign}"

    assert _chunked_post(base, path, form + b"&padding=" + b"x" * 70_000, cookie) == 413
    assert count_rows(app, Signature) == 0
    assert _chunked_post(base, path, form, cookie) == 303
    assert count_rows(app, Signature) == 1
