"""Every API error as JSON (RFC 9457 problem details), never an HTML page."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
