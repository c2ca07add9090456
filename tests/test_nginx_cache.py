"""A real nginx, configured as docs/deploy.md says, in front of a live gunicorn: a crowd
opening the campaign page costs the app a handful of requests, and signing still works."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from bench.nginx import NGINX, nginx_in_front
from campaign.signing.models import Signature
from tests.helpers import count_rows, signatures
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def nginx_available() -> None:
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx must be installed in CI (.ci/run installs the Debian package)")
        pytest.skip("nginx is not installed (apt-get install nginx)")


@pytest.fixture
def app_log(tmp_path: Path) -> Path:
    return tmp_path / "gunicorn-access.log"


@pytest.fixture
def proxied(
    nginx_available: None, app: Flask, campaign: str, tmp_path: Path, app_log: Path
) -> Iterator[str]:
    """gunicorn (2 sync workers, as docs/deploy.md starts it) behind nginx; yields nginx's URL."""
    port = free_port()
    env = dict(
        os.environ,
        SECRET_KEY="test-secret-key",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        PUBLIC_URL="http://127.0.0.1",  # replaced below, once nginx's port is known
        TRUSTED_PROXIES="1",
        LOG_LEVEL="WARNING",
    )
    gunicorn = [sys.executable, "-m", "gunicorn", "wsgi:app", "-w", "2"]
    gunicorn += ["-b", f"127.0.0.1:{port}", "--access-logfile", str(app_log)]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    app_base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(app_base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.05)
        with nginx_in_front(app_base, tmp_path / "nginx") as base:
            yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _app_requests(log: Path, path: str) -> int:
    """Requests for `path` that reached the app (gunicorn's access log, one line each)."""
    time.sleep(0.2)  # gunicorn writes the line after the response
    return sum(f'"GET {path} ' in line for line in log.read_text().splitlines())


def _get(url: str, language: str) -> tuple[str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read().decode(), dict(response.headers)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """The status and headers of the answer to a form post (a redirect, or a refusal)."""
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
    with answer.value:
        return answer.value.code, dict(answer.value.headers)


def test_two_hundred_page_views_cost_the_app_a_handful_of_requests(
    proxied: str, campaign: str, app_log: Path
) -> None:
    path = f"/campaigns/{campaign}"
    languages = ["en-GB,en;q=0.9", "fr-FR,fr;q=0.9,en;q=0.5", "de-DE,fr;q=0.7", "en-US"] * 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        views = list(
            pool.map(lambda language: (language, *_get(proxied + path, language)), languages)
        )

    assert len(views) == 200
    for language, page, headers in views:
        expected = "fr" if "fr" in language.split(",")[0] or language.startswith("de") else "en"
        assert f'<html lang="{expected}"' in page
        assert "Set-Cookie" not in headers
        assert headers["Cache-Control"].startswith("public")
    hits = sum(headers.get("X-Cache-Status") == "HIT" for _, _, headers in views)
    reached_app = _app_requests(app_log, path)
    # One per language, and perhaps one more each while the first was in flight or refreshed.
    assert 2 <= reached_app <= 6, reached_app
    assert hits >= 190

    json_path = f"/campaigns/{campaign}.json"
    for _ in range(50):
        _get(proxied + json_path, "en")
    assert _app_requests(app_log, json_path) <= 2


def test_signing_through_nginx_works_from_the_cached_page(
    app: Flask, proxied: str, campaign: str
) -> None:
    path = f"/campaigns/{campaign}"
    for _ in range(2):  # the second view is the cache's copy
        page, headers = _get(proxied + path, "en")
    assert headers["X-Cache-Status"] == "HIT"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    for n in range(3):  # three people at the same cached page, no cookie anywhere
        body = urllib.parse.urlencode(
            {
                "csrf_token": token,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": f"ada{n}@example.org",
                "country": "GB",
            }
        ).encode()
        status, _ = _post(
            proxied + path, body, {"Origin": proxied, "Sec-Fetch-Site": "same-origin"}
        )
        assert status == 303  # no cookie was needed (the answer may set one: see /signed)
    assert count_rows(app, Signature) == 3

    # From another site: refused, through the proxy too.
    assert _post(proxied + path, body, {"Origin": "https://evil.example"})[0] == 403
    assert count_rows(app, Signature) == 3
    assert {s.email for s in signatures(app)} == {f"ada{n}@example.org" for n in range(3)}


def test_slow_clients_tie_up_nginx_not_the_app(proxied: str) -> None:
    """Half-sent requests (slowloris) wait in nginx; the app's two workers never see them."""
    port = int(proxied.rsplit(":", 1)[1])
    sockets = []
    try:
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        started = time.monotonic()
        with urllib.request.urlopen(proxied + "/healthz", timeout=5) as response:  # noqa: S310
            assert response.status == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in sockets:
            sock.close()
