"""The app under gunicorn with several worker processes, over real HTTP."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask import Flask

from campaign.signing.models import Signature
from tests.helpers import count_rows
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def live_server(app: Flask, campaign: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = dict(
        os.environ,
        SECRET_KEY="test-secret-key",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "-w", "3", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
        assert b"database is locked" not in stderr, stderr.decode(errors="replace")[-2000:]


def test_many_signers_at_once_through_several_processes_all_get_in(
    app: Flask, campaign: str, live_server: str
) -> None:
    """SQLite takes the write lock at BEGIN IMMEDIATE and waits: no 'database is locked'."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{live_server}/campaigns/{campaign}").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
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
            opener.open(f"{live_server}/campaigns/{campaign}", data=data, timeout=30)
        except urllib.error.HTTPError as response:
            statuses.append(response.code)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [303] * 40
    assert count_rows(app, Signature) == 40


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


def test_a_chunked_body_is_held_to_the_same_limit_as_one_with_a_length(
    app: Flask, campaign: str, live_server: str
) -> None:
    """gunicorn hands a chunked body on without a length; Werkzeug alone would cut it at
    MAX_CONTENT_LENGTH and process the rest."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{live_server}/campaigns/{campaign}").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
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

    assert _chunked_post(live_server, path, form + b"&padding=" + b"x" * 70_000, cookie) == 413
    assert count_rows(app, Signature) == 0
    assert _chunked_post(live_server, path, form, cookie) == 303
    assert count_rows(app, Signature) == 1
