"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # long enough for any passphrase, short enough to hash in bounded time

_hasher = PasswordHasher()  # Argon2id; parameters are stored in each hash


class PasswordRejected(ValueError):
    """A new password that does not meet the rules; the message says why."""


def check_new_password(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"The password must have at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"The password must have at most {MAX_LENGTH} characters.")
    if password.strip().lower() == email.strip().lower():
        raise PasswordRejected("The password must not be the email address.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; never raises for a wrong password or a damaged hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("a password that no account has")


def spend_verification_time(password: str) -> None:
    """Verify against a hash no account has, so an unknown address takes as long to refuse
    as a wrong password: the answer's timing must not tell which addresses have accounts."""
    verify_password(_dummy_hash(), password[:MAX_LENGTH])
