"""A real browser against the real server: Debian's Chromium driven by Playwright, the app
served by gunicorn on loopback, email delivered over SMTP to aiosmtpd.

Skipped, with the reason, where Chromium or axe-core is not installed (`make test` on a bare
machine); required in CI, where `.ci/run` installs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from campaign.mail.cli import deliver_one_batch
from tests.browser.accessibility import AXE, ROOT
from tests.smtp import free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
LOOPBACK = {"127.0.0.1"}


def _missing_browser_tools() -> str | None:
    if not CHROMIUM.exists():
        return "Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does)"
    if not AXE.exists():
        return "axe-core is not installed: npm ci (.ci/run does)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: make install-dev"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _missing_browser_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def live_server(
    browser: Any, database_url: str, _schema: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """gunicorn serving `wsgi:app`, configured as an operator would: by environment."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    instance = tmp_path_factory.mktemp("live-instance")
    log = instance / "gunicorn.log"
    env = {
        **os.environ,
        "SECRET_KEY": "browser-test-secret-key",
        "DATABASE_URL": database_url,
        "PUBLIC_URL": url,
        "TALLY_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "wsgi:app", "-b", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "4", "--log-level", "warning"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        _wait_until_up(f"{url}/healthz", process, log)
        yield LiveServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer in 30 s: {log.read_text(errors='replace')}")


@dataclass
class Visit:
    """One browser context (a person's browser) and what it did: every request it made, every
    console error, and the screenshots of each step."""

    context: Any
    page: Any
    name: str
    server: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    steps: int = 0

    @property
    def folder(self) -> Path:
        return SCREENSHOTS / self.name

    def screenshot(self, step: str) -> Path:
        """Save the whole page, and what a screen reader gets of it, as step NN of this visit."""
        self.steps += 1
        path = self.folder / f"{self.steps:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        aria = self.page.locator("body").aria_snapshot()
        path.with_suffix(".aria.yml").write_text(aria, encoding="utf-8")
        return path


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK


@pytest.fixture
def visit(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open a browser context: `visit(name, viewport=…, javascript=…, locale=…)`.

    Every request is recorded; one that would leave 127.0.0.1 is blocked and fails the test,
    and so does any error in the browser console.
    """
    visits: list[Visit] = []

    def open_visit(
        name: str,
        *,
        viewport: tuple[int, int] = (1280, 800),
        javascript: bool = True,
        locale: str = "en-GB",
        mobile: bool = False,
    ) -> Visit:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            java_script_enabled=javascript,
            locale=locale,
            is_mobile=mobile,
            has_touch=mobile,
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        current = Visit(context, page, name, live_server.url)
        shutil.rmtree(current.folder, ignore_errors=True)
        current.folder.mkdir(parents=True)

        def route(route: Any) -> None:
            url = route.request.url
            current.requests.append(url)
            if _is_local(url):
                route.continue_()
            else:
                current.blocked.append(url)
                route.abort()

        def console(message: Any) -> None:
            location = message.location.get("url", "")
            # The browser reports a page answered with 4xx as a failed load; those pages are
            # meant (404, 410, 422), and their own resources are checked like any other.
            if message.type == "error" and not (
                message.text.startswith("Failed to load resource") and location == page.url
            ):
                current.console_errors.append(f"{message.text} ({location})")

        context.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda error: current.console_errors.append(str(error)))
        visits.append(current)
        return current

    yield open_visit

    for current in visits:
        current.context.close()
    for current in visits:
        assert current.blocked == [], f"{current.name}: requests left 127.0.0.1: {current.blocked}"
        assert current.console_errors == [], f"{current.name}: {current.console_errors}"


@pytest.fixture
def deliver_mail(smtp_app: Flask) -> Any:
    """Deliver what the server queued, over SMTP to the loopback server, as the worker would."""

    def deliver() -> None:
        with smtp_app.app_context():
            report = deliver_one_batch()
        assert report.failed == 0 and report.retried == 0, report.errors

    return deliver
