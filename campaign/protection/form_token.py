"""The public signing form's token: stateless, signed, time-limited, the same for everyone.

The campaign page is served to every visitor of one language with the same bytes, so a
shared cache (nginx, a CDN) can keep it; a per-session CSRF token would make that
impossible. Instead the form carries a token that says "this server issued a form for this
campaign at this time": an HMAC (itsdangerous, salted for this one purpose) of the campaign's
slug and a timestamp. It is checked with the current SECRET_KEY and every key in
SECRET_KEY_FALLBACKS, so a key rotation does not refuse forms already open in browsers.

What it proves, and what it does not, is in docs/security.md: a post carrying it came from
someone who loaded the form recently; it says nothing about *who* (anyone may load the page),
which is why cross-site posts are refused by their Origin / Sec-Fetch-Site headers
(`campaign.protection.same_origin`) and why double opt-in decides what counts.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Iterable

from flask import current_app, request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from campaign.protection.same_origin import is_cross_site_post, origin_of

# Never reused for anything else, so a form token cannot stand in for any other signed value.
_SALT = "campaign.signing-form-token"
# Web processes on several machines may disagree on the time by a little: a token from a
# clock slightly ahead is not "from the future".
_CLOCK_SKEW_SECONDS = 60


class FormTokenCheck(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"  # ours, but older than the limit (or from the future)
    INVALID = "invalid"  # missing, forged, for another campaign, or signed with an unknown key


class _Signer(TimestampSigner):
    """A TimestampSigner whose clock is given, so tests and callers decide what "now" is."""

    def __init__(self, keys: list[str], now: float) -> None:
        super().__init__(keys, salt=_SALT, digest_method=hashlib.sha256)
        self._now = int(now)

    def get_timestamp(self) -> int:
        return self._now


def _keys(secret_key: str, fallbacks: Iterable[str]) -> list[str]:
    # itsdangerous signs with the last key and accepts any of them.
    return [*reversed([key for key in fallbacks if key]), secret_key]


def issue_form_token(secret_key: str, scope: str, now: float) -> str:
    """A token for a form of `scope` (the campaign's slug) issued at `now` (epoch seconds)."""
    signed = _Signer([secret_key], now).sign(scope).decode("ascii")
    # `slug.timestamp.signature`: the slug is known from the URL, so it is left out.
    return signed[len(scope) + 1 :]


def check_form_token(
    token: str | None,
    scope: str,
    *,
    secret_key: str,
    fallbacks: Iterable[str] = (),
    max_age_seconds: int,
    now: float,
) -> FormTokenCheck:
    """Whether `token` is one we issued for `scope`, at most `max_age_seconds` before `now`."""
    if not token or len(token) > 200:
        return FormTokenCheck.INVALID
    signer = _Signer(_keys(secret_key, fallbacks), now + _CLOCK_SKEW_SECONDS)
    try:
        signer.unsign(f"{scope}.{token}", max_age=max_age_seconds + _CLOCK_SKEW_SECONDS)
    except SignatureExpired:
        return FormTokenCheck.EXPIRED
    except BadSignature:
        return FormTokenCheck.INVALID
    return FormTokenCheck.VALID


# In a request: the campaign page's token, and the checks of a post.


def current_form_token(scope: str) -> str:
    """A fresh token for the form of `scope`, signed with the current SECRET_KEY."""
    return issue_form_token(current_app.config["SECRET_KEY"], scope, time.time())


def check_posted_form_token(scope: str) -> FormTokenCheck:
    """The check of this request's `csrf_token` field (the name forms have always used)."""
    config = current_app.config
    return check_form_token(
        request.form.get("csrf_token"),
        scope,
        secret_key=config["SECRET_KEY"],
        fallbacks=config.get("SECRET_KEY_FALLBACKS") or (),
        max_age_seconds=int(config["FORM_TOKEN_HOURS"] * 3600),
        now=time.time(),
    )


def posted_from_another_site() -> bool:
    """Whether the browser says this post was sent by a page that is not ours."""
    own = {origin_of(current_app.config["PUBLIC_URL"]), origin_of(request.host_url)}
    headers = request.headers
    return is_cross_site_post(headers.get("Sec-Fetch-Site"), headers.get("Origin"), own)
