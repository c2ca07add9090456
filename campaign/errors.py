"""Our own page for every HTTP error: never a traceback, never SQL."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, Response, has_request_context, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from campaign.extensions import db, limiter

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("We could not understand what your browser sent. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You are not allowed to see this page.")),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address. Check the link, or start from the campaign page."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too much data"), _l("What you sent is too large. Please shorten it and try again.")),
    429: (
        _l("Too many requests"),
        _l("Too many attempts from your connection. Please wait a little and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("Something went wrong on our side. Your data is safe; please try again in a moment."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("The site is busy or under maintenance. Please try again in a moment."),
    ),
}


def _render(code: int, request_id: str | None = None) -> Response:
    title, message = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    if has_request_context() and request.path.startswith(API_PREFIX):
        return _problem(code, HTTP_STATUS_CODES.get(code, "Error"), request_id)
    page = render_template(
        "errors/error.html", code=code, title=title, message=message, request_id=request_id
    )
    response = make_response(page, code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(code: int, title: str, request_id: str | None) -> Response:
    """An error under the API's prefix as programs want it (RFC 9457), never an HTML page."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": code}
    if request_id:
        body["detail"] = f"Request id {request_id}"
    response = Response(json.dumps(body), status=code, mimetype="application/problem+json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _seconds_until_limit_resets() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if isinstance(error, InternalServerError):
            return server_error(error)
        response = _render(error.code or 500)
        for name in ("Retry-After", "Allow"):
            if error.get_response().headers.get(name):
                response.headers[name] = error.get_response().headers[name]
        if error.code == 429:
            response.headers["Retry-After"] = str(_seconds_until_limit_resets())
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> Response:
        # The database is down or restarting: say so, and when to try again; never a 500.
        log.error("Database unavailable: %s", type(error.orig).__name__)
        db.session.rollback()
        response = _render(503)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: Exception) -> Response:
        request_id = uuid.uuid4().hex[:12]
        original = getattr(error, "original_exception", None) or error
        log.error("Unhandled error, request id %s", request_id, exc_info=original)
        return _render(500, request_id)
