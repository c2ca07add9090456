"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # long enough for any passphrase, short enough to hash in bounded time

_hasher = PasswordHasher()  # Argon2id; parameters are stored in each hash


class PasswordRejected(ValueError):
    """A new password that does not meet the rules; the message says why (in English, for
    the command line), `reason` which rule (for a translated message on a page)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


TOO_SHORT, TOO_LONG, IS_EMAIL, TOO_COMMON = "too_short", "too_long", "is_email", "too_common"


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list (from leaked password sets), in
    lower case. Loaded on first use: the list is large and only a new password needs it."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _repeated_unit(text: str) -> str:
    """The shortest piece `text` is made of, repeated ("passwordpassword" -> "password")."""
    position = (text + text).find(text, 1)
    return text[:position] if position < len(text) else text


def is_common_password(password: str) -> bool:
    """A password from the common list (ignoring case and spaces), or one made by repeating
    a common password or a few characters ("passwordpassword", "abcabcabcabc")."""
    common = _common_passwords()
    folded = password.strip().lower()
    for candidate in (folded, folded.replace(" ", "")):
        unit = _repeated_unit(candidate)
        if candidate in common or unit in common or len(unit) <= 3:
            return True
    return False


def check_new_password(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(
            f"The password must have at least {MIN_LENGTH} characters.", TOO_SHORT
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"The password must have at most {MAX_LENGTH} characters.", TOO_LONG)
    if password.strip().lower() == email.strip().lower():
        raise PasswordRejected("The password must not be the email address.", IS_EMAIL)
    if is_common_password(password):
        raise PasswordRejected(
            "That password is one of the most common ones: choose another.", TOO_COMMON
        )


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
