"""Absolute links for email, built from PUBLIC_URL and never from a request's Host header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url_for(endpoint: str, **values: Any) -> str:
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def public_url_prefix(endpoint: str) -> str:
    """`public_url_for(endpoint, token=…)` up to the token: `https://…/confirm/`. Built
    once per process, as building a URL costs more than the rest of a link (these are on
    the signing path); a token of URL-safe characters is then appended as it is."""
    prefixes: dict[str, str] = current_app.extensions.setdefault("public_url_prefixes", {})
    prefix = prefixes.get(endpoint)
    if prefix is None:
        placeholder = "~"  # unreserved in URLs: left as it is
        prefix = public_url_for(endpoint, token=placeholder).removesuffix(placeholder)
        prefixes[endpoint] = prefix
    return prefix
