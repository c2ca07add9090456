"""Standard Webhooks signatures: `v1,` and a base64 HMAC-SHA256 of `id.timestamp.body`.

The secret is `whsec_` and base64 of random bytes; the HMAC key is those bytes. See
https://www.standardwebhooks.com and docs/api.md for the receiver's side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """Space-separated signatures, one per secret: during a rotation a receiver that still
    has the previous secret can verify too."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use)
