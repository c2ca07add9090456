"""The app under gunicorn with several worker processes (`live_server`), over real HTTP."""

from __future__ import annotations

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
