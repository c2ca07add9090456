"""Which sites may frame a campaign's embeddable form: its `embed_origins`, one origin
(scheme, host and port, no path) per line."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_ORIGINS = 20
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class BadOrigin(ValueError):
    """An origin that cannot be used; the message names it."""


def parse_origins(text: str | None) -> tuple[str, ...]:
    """The origins in `text` (one per line, or separated by spaces or commas), normalised:
    lowercase, no trailing slash. Raises BadOrigin for anything but https://host[:port]
    (http only for localhost, to try it out)."""
    origins: list[str] = []
    for item in re.split(r"[\s,]+", text or ""):
        if not item:
            continue
        origin = item.strip().rstrip("/").lower()
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError as error:
            raise BadOrigin(item) from error
        host = parts.hostname or ""
        local = host in ("localhost", "127.0.0.1")
        if (
            parts.scheme not in ("https", "http")
            or (parts.scheme == "http" and not local)
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or not _HOST.match(host)
        ):
            raise BadOrigin(item)
        normal = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
        if normal not in origins:
            origins.append(normal)
    if len(origins) > MAX_ORIGINS:
        raise BadOrigin(f"more than {MAX_ORIGINS} origins")
    return tuple(origins)
