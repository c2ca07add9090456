"""The secrets in email links: confirmation tokens and the supporter's own link tokens.

Confirmation tokens are random and stored only as their hash.

A supporter link token is `<manage key>.<mac>`: the manage key is a random handle stored on
the signature (unique, so it names one row and is never reused), and the mac is a keyed hash
of the purpose and that key, keyed with SECRET_KEY. So:

- a token for one purpose never works for another (the purpose is inside the mac);
- the database alone cannot make a token (the key is not in it), and a token can be
  checked before any query, in constant time;
- every email to one signature carries the same links, so a link in an old email still
  works; deleting or anonymising the signature (which clears its key) ends them all.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from campaign.identity import keyed_digest

_KEY = re.compile(r"[0-9a-f]{32}")
_MAC = re.compile(r"[A-Za-z0-9_-]{43}")


class TokenInvalid(Exception):
    """No signature answers to this link's token: mistyped, tampered, made up, for another
    purpose, or the signature was deleted or anonymised since."""


def new_token() -> tuple[str, str]:
    """A fresh token for a link, and the hash of it that we store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # 256 random bits need no salt or slow hash: nothing can be guessed from the digest.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class LinkPurpose(enum.StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    DELETE = "delete"


def new_manage_key() -> str:
    return secrets.token_hex(16)


def _mac(secret_key: str, purpose: LinkPurpose, manage_key: str) -> str:
    digest = keyed_digest(secret_key, f"signature-link:{purpose.value}:{manage_key}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_link_token(secret_key: str, purpose: LinkPurpose, manage_key: str) -> str:
    return f"{manage_key}.{_mac(secret_key, purpose, manage_key)}"


def read_link_token(token: str, purpose: LinkPurpose, secret_keys: Iterable[str]) -> str | None:
    """The manage key in `token` if it was made for `purpose` with one of the keys, else None.

    Every key is tried (the current one and those being rotated out), with a constant-time
    comparison, so neither the answer time nor the key that matched tells anything.
    """
    if len(token) > 100:
        return None
    manage_key, dot, mac = token.partition(".")
    if not dot or not _KEY.fullmatch(manage_key) or not _MAC.fullmatch(mac):
        return None
    matched = False
    for secret_key in secret_keys:
        matched |= hmac.compare_digest(mac, _mac(secret_key, purpose, manage_key))
    return manage_key if matched else None
