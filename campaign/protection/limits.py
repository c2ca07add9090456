"""Rate limits: a hard limit that refuses (429), and a soft one that marks signatures suspect.

A real supporter behind a shared address (an office, a university, a mobile network) must
still be able to sign, so between the soft and the hard limit a signature is accepted as
usual but held back from the count until an organiser releases it; only well above, where
it is clearly a script, is the request refused. The signer sees the same page either way.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import current_app, request
from limits import RateLimitItem, parse_many

from campaign.extensions import limiter

log = logging.getLogger(__name__)


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


def email_domain() -> str:
    """The domain of the email address in the submitted form, lowercased ('' if none)."""
    value = request.form.get("email", "")
    return value.rpartition("@")[2].strip().lower()[:253] if "@" in value else ""


def domain_is_exempt() -> bool:
    """Large providers (and forms without a usable address) are never limited by domain."""
    domain = email_domain()
    return not domain or domain in current_app.config["RATELIMIT_DOMAIN_ALLOWLIST"]


def sign_limit_per_address() -> str:
    return str(current_app.config["RATELIMIT_SIGN_PER_ADDRESS"])


def sign_limit_per_domain() -> str:
    return str(current_app.config["RATELIMIT_SIGN_PER_DOMAIN"])


def login_limit_per_address() -> str:
    return str(current_app.config["RATELIMIT_LOGIN_PER_ADDRESS"])


def confirm_limit_per_address() -> str:
    return str(current_app.config["RATELIMIT_CONFIRM_PER_ADDRESS"])


def _soft_limits(setting: str) -> list[RateLimitItem]:
    return list(parse_many(current_app.config[setting]))


def signing_looks_suspect() -> bool:
    """Count this signature against the soft limits; True when one of them is exceeded.

    Never raises: if the limit storage (Redis) is unreachable the signature is simply not
    marked, and the site goes on taking signatures.
    """
    if not limiter.enabled:
        return False
    address = client_address()
    domain = email_domain()
    suspect = False
    try:
        strategy = limiter.limiter
        for item in _soft_limits("RATELIMIT_SIGN_SUSPECT_PER_ADDRESS"):
            if not strategy.hit(item, "sign-suspect-address", address):
                suspect = True
        if not domain_is_exempt():
            for item in _soft_limits("RATELIMIT_SIGN_SUSPECT_PER_DOMAIN"):
                if not strategy.hit(item, "sign-suspect-domain", domain):
                    suspect = True
    except Exception:  # the storage is down: never refuse or flag a signer because of it
        log.warning("Rate-limit storage unavailable; signature not checked for suspicion")
        return False
    return suspect
