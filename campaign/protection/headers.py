"""Security headers on every response (flask-talisman), and the stricter rules for pages
whose URL carries a secret token, and the framing a campaign's embeddable form allows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Flask, Response, current_app, g, request

from campaign.extensions import talisman

F = TypeVar("F", bound=Callable[..., object])

# No inline script or style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = dict.fromkeys(
    (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    ),
    "()",
)

_MARK = "_token_in_url"  # the attribute set on a marked view


def token_in_url(view: F) -> F:
    """Mark a view whose URL carries a secret: never sent on as a referrer, never cached.

    The mark is on the view function itself (not on an endpoint name), so renaming or
    moving the view keeps it; `functools.wraps` in decorators above or below carries it.
    """
    setattr(view, _MARK, True)
    return view


def has_token_in_url(endpoint: str | None) -> bool:
    """Whether the view of `endpoint` in the current app is marked `token_in_url`."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, _MARK, False))


def allow_framing_by(origins: Sequence[str]) -> None:
    """Let these origins (already checked: scheme://host[:port]) frame this response, and no
    other; every response without this call keeps `frame-ancestors 'none'`."""
    g.frame_ancestors = tuple(origins)


def _frame_ancestors(response: Response) -> None:
    origins: tuple[str, ...] | None = g.get("frame_ancestors")
    if not origins:
        return
    policy = response.headers.get("Content-Security-Policy", "")
    response.headers["Content-Security-Policy"] = policy.replace(
        "frame-ancestors 'none'", "frame-ancestors " + " ".join(origins)
    )
    # X-Frame-Options cannot name several sites; CSP's frame-ancestors says it all.
    response.headers.pop("X-Frame-Options", None)


def init_security_headers(app: Flask) -> None:
    https = app.config["PUBLIC_URL"].startswith("https://")

    # Registered before Talisman's own hook, so it runs after it (Flask runs them in
    # reverse) and its stricter Referrer-Policy wins on token pages.
    @app.after_request
    def protect_token_urls(response: Response) -> Response:
        if has_token_in_url(request.endpoint):
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        _frame_ancestors(response)
        return response

    talisman.init_app(
        app,
        # TLS is the reverse proxy's job, and so is redirecting http to https.
        force_https=False,
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        document_policy={},
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
