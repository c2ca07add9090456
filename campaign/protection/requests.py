"""Refuse malformed requests before any view sees them: bad bytes get a 400, not a guess."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, request
from werkzeug.wsgi import get_content_length

from campaign.campaigns.models import SLUG_PATTERN

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

F = TypeVar("F", bound=Callable[..., object])

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _refuse_if_malformed(raw: bytes) -> None:
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        abort(400)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)


def _refuse_malformed_path() -> None:
    """A NUL byte or invalid UTF-8 in the (percent-decoded) path gets 400.

    PostgreSQL refuses a string holding NUL, so without this `/campaigns/x%00` would be a
    500 with a traceback, one per request, for anyone to flood the log with. Werkzeug
    decodes the path with U+FFFD for invalid bytes (and no link of ours holds one).
    """
    if "\x00" in request.path or "\ufffd" in request.path:
        abort(400)


def _refuse_bad_slug() -> None:
    """Anything in a URL's `<slug>` that no campaign can have gets 404 before any query."""
    slug = (request.view_args or {}).get("slug")
    if isinstance(slug, str) and not SLUG_PATTERN.fullmatch(slug):
        abort(404)


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


# Set by StreamedBodyLimit when a body sent without a length went over the limit.
_TOO_LARGE = "campaign.body_too_large"


class StreamedBodyLimit:
    """WSGI middleware: a body sent without Content-Length (chunked) is read in full here,
    and refused above MAX_CONTENT_LENGTH like one announced with a length.

    Werkzeug reads such a stream up to MAX_CONTENT_LENGTH and then stops without a word, so
    an oversized chunked form would be cut at the limit and processed. A body within the
    limit is handed on with its real length, as if it had been sent with one; a larger one
    is dropped and flagged, and the early request check answers 413 with our page.
    """

    def __init__(self, wsgi_app: WSGIApplication, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Werkzeug's own test: no Content-Length, or one that `chunked` overrides.
        if "wsgi.input_terminated" in environ and get_content_length(environ) is None:
            self._buffer(environ, self.app.config.get("MAX_CONTENT_LENGTH"))
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _buffer(environ: WSGIEnvironment, limit: int | None) -> None:
        stream = environ["wsgi.input"]
        body = bytearray()
        while chunk := stream.read(64 * 1024):
            body += chunk
            if limit is not None and len(body) > limit:
                environ[_TOO_LARGE] = True
                body.clear()
                break
        environ["wsgi.input"] = io.BytesIO(bytes(body))
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        del environ["wsgi.input_terminated"]


# Endpoints that take a file (an administrator's logo), with the body size they accept
# instead of MAX_CONTENT_LENGTH (or a function of the app's settings that says it). Every
# other form takes text fields only.
_UPLOADS: dict[str, int | Callable[[], int]] = {}


def allow_upload(endpoint: str, max_bytes: int | Callable[[], int]) -> None:
    """Let `endpoint` take multipart bodies with files, up to `max_bytes` (the view checks
    who may, and what the file is); a function is asked on each request, in the app."""
    _UPLOADS[endpoint] = max_bytes


_ACCEPTS = "_accepts_body"  # the attribute set on a view by `accepts_body`


def accepts_body(*mimetypes: str) -> Callable[[F], F]:
    """Let one view take bodies of other types than forms (JSON, for the API, which reads
    and checks it itself). The mark is on the view function, like `token_in_url`; file
    uploads go through `allow_upload` instead."""

    def mark(view: F) -> F:
        setattr(view, _ACCEPTS, tuple(mimetypes))
        return view

    return mark


def _accepted_types() -> tuple[str, ...]:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    accepted = getattr(view, _ACCEPTS, ())
    return accepted if isinstance(accepted, tuple) else ()


def _refuse_non_form_body() -> None:
    """Public forms take urlencoded or multipart bodies with text fields only, unless the
    view says otherwise (`accepts_body`, `allow_upload`).

    Flask-WTF would read a JSON body as the form: numbers, lists and objects then reach
    validators written for text (500s), and the rate limit by email domain, which reads
    `request.form`, would never see the address. A file part is refused the same way.
    """
    if not _has_body():
        return
    if request.mimetype in _accepted_types():
        return
    if request.mimetype not in _FORM_TYPES:
        abort(415)
    files_allowed = request.endpoint in _UPLOADS
    if request.mimetype == "multipart/form-data" and not files_allowed and request.files:
        abort(400)


def init_request_checks(app: Flask) -> None:
    def refuse_malformed_input() -> None:
        """Malformed paths, bodies and queries get a 4xx before anything reads them.

        Null bytes and invalid UTF-8, in the path, the query string or a form, get 400:
        Werkzeug would otherwise replace invalid bytes with U+FFFD and let a mangled name
        reach the database. A body that is not a form gets 415; a body over
        MAX_CONTENT_LENGTH gets 413, announced or chunked.
        """
        _refuse_malformed_path()
        _refuse_bad_slug()
        if request.query_string:
            _refuse_if_malformed(request.query_string)
        if request.environ.get(_TOO_LARGE):
            abort(413)
        if request.method in _BODY_METHODS:
            if request.endpoint in _UPLOADS:
                limit = _UPLOADS[request.endpoint]
                request.max_content_length = limit() if callable(limit) else limit
            _refuse_non_form_body()
            if request.mimetype == "application/x-www-form-urlencoded":
                _refuse_if_malformed(request.get_data(cache=True))
            elif request.mimetype in _FORM_TYPES:
                for value in request.form.values():
                    if "\x00" in value or "\ufffd" in value:
                        abort(400)

    app.wsgi_app = StreamedBodyLimit(app.wsgi_app, app)  # type: ignore[method-assign]
    # First of all: the CSRF check and the rate limits (registered before) read the form.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed_input)
