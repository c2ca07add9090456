"""Random tokens for links in email, stored only as their hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """A fresh token for a link, and the hash of it that we store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # 256 random bits need no salt or slow hash: nothing can be guessed from the digest.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    """HMAC-SHA-256 of `value`: lets organisers group signatures by address, never recover it."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()
