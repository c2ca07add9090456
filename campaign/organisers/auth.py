"""The organiser's session: who is logged in, for how long, and what they may see."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import cast
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import find_campaign_by_slug
from campaign.extensions import db, login_manager
from campaign.organisers.models import Organiser
from campaign.organisers.services import may_see
from campaign.organisers.throttle import ThrottlePolicy

LOGIN_AT = "organiser_login_at"
KNOWN_BROWSER_COOKIE = "organiser_browser"
_KNOWN_BROWSER_SALT = "organiser-known-browser"


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "organiser.organisers.login"
    # Our pages say why the login page is shown; a flashed message would pile up unseen.
    login_manager.login_message = None
    login_manager.user_loader(load_organiser)


def load_organiser(user_id: str) -> Organiser | None:
    """The organiser of this session, if it is still valid: an active account, the same
    password as when the session began, and not older than ORGANISER_SESSION_HOURS."""
    organiser_id, _, fingerprint = user_id.partition(":")
    if not organiser_id.isdigit() or len(organiser_id) > 18:
        return None
    login_at = session.get(LOGIN_AT)
    lifetime = current_app.config["ORGANISER_SESSION_HOURS"] * 3600
    if not isinstance(login_at, int | float) or time.time() - login_at > lifetime:
        return None
    organiser = db.session.get(Organiser, int(organiser_id))
    if organiser is None or not organiser.active:
        return None
    if not secrets.compare_digest(fingerprint, organiser.session_fingerprint()):
        return None
    return organiser


def current_organiser() -> Organiser:
    """The logged-in organiser (views behind @login_required only)."""
    return cast(Organiser, current_user._get_current_object())


def campaign_for_organiser(slug: str) -> Campaign:
    """The campaign, if the logged-in organiser may see it: 404 if there is no such
    campaign, 403 if it is not theirs."""
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        abort(404)
    if not may_see(db.session, current_organiser(), campaign):
        abort(403)
    return campaign


def throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        slowdown_after=config["LOGIN_SLOWDOWN_AFTER"],
        slowdown_seconds=config["LOGIN_SLOWDOWN_SECONDS"],
        slowdown_max_seconds=config["LOGIN_SLOWDOWN_MAX_SECONDS"],
        account_limit=config["LOGIN_ACCOUNT_LIMIT"],
        address_limit=config["LOGIN_ADDRESS_LIMIT"],
        block=timedelta(minutes=config["LOGIN_BLOCK_MINUTES"]),
    )


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never another host, not even
    through `//host`, `/\\host`, a scheme, or characters a browser would strip."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith(("//", "/\\")) or "\\" in target:
        return None
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _browser_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_KNOWN_BROWSER_SALT)


def known_browser() -> tuple[int, str] | None:
    """(organiser id, browser token) from this browser's signed cookie, if it has a valid one."""
    value = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not value or len(value) > 500:
        return None
    max_age = current_app.config["LOGIN_KNOWN_BROWSER_DAYS"] * 86400
    try:
        data = _browser_serializer().loads(value, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, list) or len(data) != 2:
        return None
    organiser_id, token = data
    if not isinstance(organiser_id, int) or not isinstance(token, str):
        return None
    return organiser_id, token


def remember_browser(response: Response, organiser: Organiser) -> None:
    """Mark this browser as one the organiser logs in from (see organisers/throttle.py)."""
    current = known_browser()
    token = current[1] if current and current[0] == organiser.id else secrets.token_urlsafe(16)
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _browser_serializer().dumps([organiser.id, token]),
        max_age=current_app.config["LOGIN_KNOWN_BROWSER_DAYS"] * 86400,
        path="/organiser",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
