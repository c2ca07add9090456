"""Refuse a form post that a browser says came from another site.

Browsers tell us where a POST comes from: `Sec-Fetch-Site` (every current browser) and
`Origin` (every browser since about 2020 on a POST). A page on another site that makes its
visitors' browsers post our form (to sign with addresses it chose, spread over thousands of
visitors' addresses so no rate limit sees it) is refused here. A client that sends neither
header is not a browser that could be tricked into it; the form token and the rate limits
apply to it as to everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

# `none`: the user made the request themselves (typed, bookmarked); `same-origin`: our page.
_ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, as a browser writes it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site_post(
    fetch_site: str | None, origin: str | None, own_origins: Iterable[str]
) -> bool:
    """True when the browser says (in `Sec-Fetch-Site`, else in `Origin`) that this request
    was sent by a page that is not ours.

    `own_origins`: the public address (PUBLIC_URL) and the address the request came in on.
    `Sec-Fetch-Site: same-site` (a sibling subdomain) counts as another site: nothing of
    ours posts this form from anywhere but its own page.
    """
    if fetch_site is not None:
        return fetch_site.strip().lower() not in _ALLOWED_FETCH_SITES
    if origin is None:
        return False
    # `null` is what a sandboxed frame or a cross-origin redirect sends: not our page.
    return origin.strip().lower() not in {o.lower() for o in own_origins}
