"""Refuse malformed requests before any view sees them: bad bytes get a 400, not a guess."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_if_malformed(raw: bytes) -> None:
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        abort(400)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)


def init_request_checks(app: Flask) -> None:
    @app.before_request
    def refuse_malformed_input() -> None:
        """Null bytes and invalid UTF-8, in the query string or a form, get 400.

        Werkzeug would otherwise replace invalid bytes with U+FFFD and let a mangled name
        reach the database. Bodies larger than MAX_CONTENT_LENGTH get 413 on reading.
        """
        if request.query_string:
            _refuse_if_malformed(request.query_string)
        if request.method in ("POST", "PUT", "PATCH"):
            if request.mimetype == "application/x-www-form-urlencoded":
                _refuse_if_malformed(request.get_data(cache=True))
            elif request.mimetype in _FORM_TYPES:
                for value in request.form.values():
                    if "\x00" in value or "\ufffd" in value:
                        abort(400)
