"""Public responses that any shared cache (nginx, a CDN) may keep: the campaign page and its
JSON. See docs/deploy.md for the nginx lines and docs/security.md for why the page may be
the same for everyone.

A response marked public must be the same bytes for everyone who sends the same URL (and the
same `Accept-Language`, when the language follows it: `campaign.i18n` adds the `Vary`). So
it must never carry a cookie or depend on one. The guard below turns a public response that
touched the session into a private, uncached one, and logs it: a slower page, never one
visitor's cookie served to another.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

log = logging.getLogger(__name__)


def cache_publicly(response: Response, seconds: int) -> Response:
    """Let browsers and shared caches keep `response` for `seconds`, and serve it a little
    stale while they fetch a fresh copy (a crowd then costs one request, not many)."""
    response.headers["Cache-Control"] = (
        f"public, max-age={seconds}, s-maxage={seconds}, stale-while-revalidate={seconds}"
    )
    return response


def is_public(response: Response) -> bool:
    return "public" in (response.headers.get("Cache-Control") or "")


class PublicResponseGuard(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, plus the guard: it runs last, after the session has
    been saved, so it sees every cookie and every use of the session by the request."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds one for opening and one for saving the session of every request;
        # it only depends on the keys (a rotation is a new entry).
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            if len(self._serializers) > 8:
                self._serializers.clear()
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if is_public(response) and not (session.accessed or session.modified):
            # Not even the refresh of a logged-in organiser's cookie: the page is the same
            # for them as for everyone (their login's lifetime does not depend on it).
            if "Set-Cookie" in response.headers:
                self._make_private(response)
            return
        super().save_session(app, session, response)
        if is_public(response):
            self._make_private(response)

    @staticmethod
    def _make_private(response: Response) -> None:
        log.warning("A public response used the session or set a cookie: sent as private")
        response.headers["Cache-Control"] = "private, no-store"


StartResponse = Callable[..., Any]
_Entry = tuple[float, str, list[tuple[str, str]], bytes]
MAX_BYTES = 32 * 1024 * 1024  # per process: a few hundred pages in every language


class PublicResponseCache:
    """WSGI middleware: each process keeps the public responses it made (the campaign page,
    the JSON) for `seconds`, as a shared cache would, and answers from them without
    entering Flask. Where no cache stands in front of the app, a crowd costs a dictionary
    lookup per request instead of a trip through every hook of the framework.

    The key is what such a response may depend on: scheme, host, path, query, and the
    language `Accept-Language` picks (with the app's own rule), and only responses that say
    they vary on nothing else are kept. Never a POST, never a response with a cookie.
    """

    def __init__(
        self,
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        seconds: float,
        languages: list[str],
        default_language: str,
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.languages = list(languages)
        self.default_language = default_language
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._bytes = 0
        self._chosen: dict[str, str] = {}
        self._lock = threading.Lock()

    def _language(self, header: str) -> str:
        chosen = self._chosen.get(header)
        if chosen is None:
            best = parse_accept_header(header, LanguageAccept).best_match(self.languages)
            chosen = best or self.default_language
            if len(self._chosen) > 1000:  # bounded, whatever headers arrive
                self._chosen.clear()
            self._chosen[header] = chosen
        return chosen

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.seconds <= 0 or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        key = (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            self._language(environ.get("HTTP_ACCEPT_LANGUAGE", "")),
        )
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            start_response(entry[1], list(entry[2]))
            return [entry[3]]

        answer: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if not answer or not _keepable(answer[0], answer[1]):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        with self._lock:
            # Bounded in bytes, whatever queries arrive (`?x=1`, `?x=2` … are all new keys):
            # past the bound everything is dropped and the next visitors fill it again.
            if self._bytes + len(data) > MAX_BYTES:
                self._entries.clear()
                self._bytes = 0
            self._entries[key] = (now + self.seconds, answer[0], list(answer[1]), data)
            self._bytes += len(data)
        return [data]


def _keepable(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith("200"):
        return False
    named = {name.lower(): value for name, value in headers}
    if "set-cookie" in named or "public" not in named.get("cache-control", ""):
        return False
    varies = {v.strip().lower() for v in named.get("vary", "").split(",") if v.strip()}
    return varies <= {"accept-language"}


def init_app(app: Flask) -> None:
    app.session_interface = PublicResponseGuard()
    app.wsgi_app = PublicResponseCache(  # type: ignore[method-assign]
        app.wsgi_app,
        seconds=app.config.get("TALLY_CACHE_SECONDS", 0),
        languages=app.config.get("LANGUAGES", ["en"]),
        default_language=app.config.get("BABEL_DEFAULT_LOCALE", "en"),
    )
