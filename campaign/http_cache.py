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

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface, SessionMixin

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


def init_app(app: Flask) -> None:
    app.session_interface = PublicResponseGuard()
