"""Rate limits: a hard limit that refuses (429), and a soft one that marks signatures suspect.

A real supporter behind a shared address (an office, a university, a mobile network) must
still be able to sign, so between the soft and the hard limit a signature is accepted as
usual but held back from the count until an organiser releases it; only well above, where
it is clearly a script, is the request refused. The signer sees the same page either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar, cast

from flask import current_app, g, request
from limits import RateLimitItem, parse_many

from campaign.extensions import limiter
from campaign.identity import client_address, email_domain_of

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., object])


def email_domain() -> str:
    """The domain of the email address in the submitted form, as addresses are compared
    ('' if none). Worked out once a request: the limits ask for it several times."""
    domain: str | None = g.get("email_domain")
    if domain is None:
        domain = g.email_domain = email_domain_of(request.form.get("email", ""))
    return domain


def domain_is_exempt() -> bool:
    """Large providers (and forms without a usable address) are never limited by domain."""
    domain = email_domain()
    return not domain or domain in current_app.config["RATELIMIT_DOMAIN_ALLOWLIST"]


def sign_limit_per_address() -> str:
    return str(current_app.config["RATELIMIT_SIGN_PER_ADDRESS"])


def sign_limit_per_domain() -> str:
    return str(current_app.config["RATELIMIT_SIGN_PER_DOMAIN"])


def sign_limits(view: View) -> View:
    """The hard limits of a form that takes a signature (the campaign page, the embedded
    form): its POSTs per client address and per email domain, exempt domains aside."""
    per_domain = limiter.limit(
        sign_limit_per_domain,
        methods=["POST"],
        scope="sign-domain",
        key_func=email_domain,
        exempt_when=domain_is_exempt,
    )
    per_address = limiter.limit(sign_limit_per_address, methods=["POST"], scope="sign-address")
    return cast(View, per_address(per_domain(view)))


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
