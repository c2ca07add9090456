"""Who is who, without keeping who: address normalisation, keyed hashes, the client address.

Used by every layer, so it imports nothing of the project: a feature may import it, and it
never reaches back into one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from functools import lru_cache

import idna
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from flask import request

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Anything that looks like an email address, for redaction: broad on purpose, since
# removing a little too much from a log line or an error costs nothing.
EMAIL_PATTERN = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")


# Full stops of other scripts that mail software treats as the dot between labels.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def delivery_address(address: str) -> str | None:
    """The form of an address we store and deliver to, or None if no mail server could take it.

    email-validator's `ascii_email`: the domain in its IDNA 2008 ASCII form (so `straße`
    stays `xn--strae-oqa`, never becomes `strasse`), NFKC-mapped, with the full stops of
    every script read as dots. A local part that is not ASCII has no ASCII form: it is kept
    (NFC) before the ASCII domain, and needs a server that offers SMTPUTF8.
    """
    return _delivery(_validated(address.strip()))


def normalise_email(address: str) -> str:
    """The form of an address that decides whether it already signed: one mailbox, one form.

    First email-validator's normalisation (NFKC, dots of every script, the domain in IDNA
    2008 ASCII form), then the local part NFKC and lowercased, without a `+tag`; Gmail
    ignores dots and answers to googlemail.com too, so those are folded. An address that
    does not validate (typed to a privacy command, say) gets the same treatment part by part.
    """
    stripped = address.strip()
    return _normalised(stripped, _validated(stripped))


def mailbox(address: str) -> tuple[str | None, str]:
    """`delivery_address` and `normalise_email` of one address, validated once (signing
    needs both, and validating is the costly part)."""
    stripped = address.strip()
    valid = _validated(stripped)
    return _delivery(valid), _normalised(stripped, valid)


def checked_email(address: str) -> ValidatedEmail | None:
    """email-validator's verdict on `address` (None: no mail server could take it)."""
    return _validated(address)


# The last address only: the signing form checks an address and the service then needs its
# two forms (`mailbox`), so one validation serves both, and no list of addresses is kept.
@lru_cache(maxsize=1)
def _validated(address: str) -> ValidatedEmail | None:
    try:
        return validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None


def _delivery(valid: ValidatedEmail | None) -> str | None:
    if valid is None:
        return None
    return valid.ascii_email or f"{valid.local_part}@{valid.ascii_domain}"


def _normalised(stripped: str, valid: ValidatedEmail | None) -> str:
    if valid is not None:
        local, domain = valid.local_part, valid.ascii_domain
    else:
        local, _, domain = stripped.rpartition("@")
    local = unicodedata.normalize("NFKC", local).lower()
    domain = normalise_domain(domain)
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def normalise_domain(domain: str) -> str:
    """A domain as addresses are compared: NFKC, every script's dots, lowercase, IDNA 2008
    ASCII form (kept as it is, mapped, when it has none)."""
    mapped = unicodedata.normalize("NFKC", domain.strip().translate(_DOTS)).translate(_DOTS)
    mapped = mapped.lower().strip(".")
    try:
        return idna.encode(mapped, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return mapped


def email_domain_of(address: str) -> str:
    """The domain of an address as addresses are compared ('' if it has none)."""
    return normalise_email(address).rpartition("@")[2][:253] if "@" in address else ""


def redact_email(text: str) -> str:
    """`text` with every address-like run replaced by `<address>`."""
    return EMAIL_PATTERN.sub("<address>", text)


def keyed_digest(secret_key: str, message: str) -> bytes:
    """HMAC-SHA-256 of `message` keyed with `secret_key`: the one keyed hash of the project."""
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()


def keyed_hash(secret_key: str, value: str) -> str:
    """The keyed hash as hex: lets organisers group rows by a value, never recover it."""
    return keyed_digest(secret_key, value).hex()


def bare_address(value: str) -> str:
    """The IP address alone, from what a proxy wrote in X-Forwarded-For.

    Some proxies write the client's port too: `[2001:db8::5]:443` (RFC 3986's brackets) or
    `203.0.113.7:51234`. Kept as it is, each port would be a new rate-limit key and the
    IPv6 /64 grouping would be lost. A bare IPv6 address (many colons) is left alone.
    """
    value = value.strip()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    host, colon, port = value.rpartition(":")
    if colon and "." in host and ":" not in host and port.isdigit():
        return host
    return value


def client_address() -> str:
    """The address a limit applies to: the client's IPv4 address, or its IPv6 /64.

    `request.remote_addr` is the peer, or the address given by the number of trusted proxies
    in front of us (ProxyFix, TRUSTED_PROXIES); a forged X-Forwarded-For gains nothing. One
    IPv6 subscriber usually holds a whole /64, so the /64 is what counts as one address.
    """
    remote = bare_address(request.remote_addr or "unknown")
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
