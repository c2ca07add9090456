"""Security headers on every response (flask-talisman), and the stricter rules for pages
whose URL carries a secret token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, request

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

_TOKEN_IN_URL_ENDPOINTS: set[str] = set()


def token_in_url(endpoint: str) -> Callable[[F], F]:
    """Mark a view whose URL carries a secret: never sent on as a referrer, never cached."""
    _TOKEN_IN_URL_ENDPOINTS.add(endpoint)

    def mark(view: F) -> F:
        return view

    return mark


def init_security_headers(app: Flask) -> None:
    https = app.config["PUBLIC_URL"].startswith("https://")

    # Registered before Talisman's own hook, so it runs after it (Flask runs them in
    # reverse) and its stricter Referrer-Policy wins on token pages.
    @app.after_request
    def protect_token_urls(response: Response) -> Response:
        if request.endpoint in _TOKEN_IN_URL_ENDPOINTS:
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
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
