"""The organisation's logo and colours as files the pages link to, and `organisation` in
every template (pages and emails), read from the database at most once a moment."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    has_request_context,
    make_response,
    url_for,
)
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from campaign.branding.services import Identity, read_identity, read_logo
from campaign.cache import ShortLivedCache
from campaign.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("branding", __name__)

# The URLs carry a version that changes with the content: a browser or a cache may keep
# them for a year.
LONG_CACHE = "public, max-age=31536000, immutable"
_CACHE_KEY = "organisation_identity"


def current_identity() -> Identity:
    """The organisation as pages and emails show it, at most TALLY_CACHE_SECONDS old."""
    cache: ShortLivedCache[Identity] = current_app.extensions[_CACHE_KEY]
    return cache.get("identity", _load_identity)


def _load_identity() -> Identity:
    # On a connection of its own, closed at once: read from a page, an email being rendered
    # or the mail worker, it must not open (and leave open) a transaction in their session.
    # (`read_only`: on SQLite it begins deferred, so it never waits for a writer's lock.)
    try:
        with (
            db.engine.connect().execution_options(read_only=True) as connection,
            Session(bind=connection) as session,
        ):
            return read_identity(session)
    except (OperationalError, ProgrammingError) as error:
        # The database is down (the error page still needs a header) or not migrated yet:
        # the defaults, and the page says what is wrong as it would have anyway.
        log.warning("Organisation identity unavailable: %s", type(error).__name__)
        return Identity()


def forget_identity() -> None:
    """After a change: this process shows it at once (others within a moment)."""
    cache: ShortLivedCache[Identity] = current_app.extensions[_CACHE_KEY]
    cache.clear()


@bp.get("/organisation/logo.png")
def logo() -> Response:
    data = read_logo(db.session)
    if data is None:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = LONG_CACHE
    return response


@bp.get("/organisation/theme.css")
def theme() -> Response:
    """The accent colour as CSS custom properties: a file, so the Content-Security-Policy
    keeps forbidding inline style."""
    identity = current_identity()
    css = f":root{{--accent:{identity.accent_colour};--accent-dark:{identity.accent_dark}}}\n"
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = LONG_CACHE
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers and crawlers ask for it whatever the page says: answer, and for long."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


def _template_values() -> dict[str, Any]:
    identity = current_identity()
    if not has_request_context():  # an email, rendered by the worker: the name is enough
        return {"organisation": identity}
    return {
        "organisation": identity,
        "organisation_logo_url": (
            url_for("branding.logo", v=identity.logo_version) if identity.logo_version else None
        ),
        "organisation_theme_url": (
            url_for("branding.theme", v=identity.theme_version) if identity.theme_version else None
        ),
    }


def init_app(app: Flask) -> None:
    app.extensions[_CACHE_KEY] = ShortLivedCache[Identity](app.config["TALLY_CACHE_SECONDS"])
    app.context_processor(_template_values)
