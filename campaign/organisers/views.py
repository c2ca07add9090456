"""Logging in and out, the campaign settings page, and the audit log (admins)."""

from __future__ import annotations

import math
import time
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.database import utcnow
from campaign.extensions import csrf, db, limiter
from campaign.identity import client_address
from campaign.organisers.audit_log import recent_events
from campaign.organisers.auth import (
    LOGIN_AT,
    campaign_for_organiser,
    current_organiser,
    known_browser,
    remember_browser,
    safe_next,
    throttle_policy,
)
from campaign.organisers.forms import LoginForm
from campaign.organisers.services import LoginAttempt, check_login, finish_login
from campaign.organisers.settings import (
    CampaignSettings,
    InvalidSettings,
    update_campaign_settings,
)
from campaign.organisers.settings_form import CampaignSettingsForm
from campaign.protection.limits import login_limit_per_address

# Nested in the organiser area (organisers/area.py), which gives the /organiser prefix.
bp = Blueprint("organisers", __name__)


def _login_page(form: LoginForm, status: int = 200, **context: object) -> Response:
    return make_response(render_template("organisers/login.html", form=form, **context), status)


def _refused(form: LoginForm, until: datetime, now: datetime) -> Response:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    response = _login_page(form, 429, blocked_minutes=minutes)
    response.headers["Retry-After"] = str(minutes * 60)
    return response


# The form checks its own CSRF token, so an expired one shows the form again with a clear
# message rather than a bare error page.
@csrf.exempt
@bp.route("/login", methods=["GET", "POST"])
# Beside the per-account throttle: a burst from one address at any accounts is refused.
@limiter.limit(login_limit_per_address, methods=["POST"], scope="login-address")
def login() -> BaseResponse:
    form = LoginForm()
    if request.method in ("GET", "HEAD"):  # HEAD is a GET without the body (uptime checks)
        asked = request.args.get("next")
        if asked and not safe_next(asked):
            # Drop a hostile `next` from the address itself, so no link on the page
            # (the language switcher keeps the query) carries it on. Only `lang` goes on:
            # `url_for` would obey `_external`, `_scheme` or `_anchor` from the query.
            return redirect(url_for("organiser.organisers.login", lang=request.args.get("lang")))
        form.next.data = safe_next(asked) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("organiser.dashboard.index"))
        return _login_page(form)

    if not form.validate_on_submit():
        return _login_page(form, 400 if "csrf_token" in form.errors else 422)

    attempt = LoginAttempt(
        email=form.email.data,
        password=form.password.data,
        client_address=client_address(),
        known_browser=known_browser(),
    )
    secret_key, policy, now = current_app.config["SECRET_KEY"], throttle_policy(), utcnow()
    check = check_login(db.session, attempt, secret_key=secret_key, policy=policy, now=now)
    # Nothing held while the password is hashed or the answer slowed down: on SQLite an
    # open write transaction would stop every signature meanwhile.
    db.session.rollback()
    if check.blocked_until is not None:
        return _refused(form, check.blocked_until, now)
    time.sleep(check.delay_seconds)
    matched = check.password_matches(attempt.password)
    organiser = finish_login(
        db.session, check, attempt.password, matched, policy=policy, now=utcnow()
    )
    db.session.commit()  # failures are counted even when the answer is "no"
    if organiser is None:
        form.password.data = ""
        return _login_page(form, 422, failed=True)

    # A fresh session: nothing from before the login (a planted CSRF token, a stale id).
    session.clear()
    login_user(organiser)
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    response = redirect(safe_next(form.next.data) or url_for("organiser.dashboard.index"), code=303)
    remember_browser(response, organiser)
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    logout_user()
    session.clear()
    return redirect(url_for("organiser.organisers.login"), code=303)


@bp.get("/audit")
@login_required
def audit() -> Response:
    if not current_organiser().is_admin:
        abort(403)
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) <= 12 else None
    events = recent_events(db.session, limit=100, before_id=before_id)
    return make_response(render_template("organisers/audit.html", events=events))


@bp.route("/campaigns/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    form = CampaignSettingsForm()
    error = None
    if request.method in ("GET", "HEAD"):
        form.fill_from(CampaignSettings.of(campaign))
    elif form.validate_on_submit():
        try:
            changes = update_campaign_settings(
                db.session, campaign, form.settings(), actor=current_organiser(), now=utcnow()
            )
        except InvalidSettings as invalid:
            db.session.rollback()
            error = str(invalid)
        else:
            db.session.commit()
            return redirect(
                url_for("organiser.organisers.settings", slug=slug, saved=1 if changes else 0),
                code=303,
            )
    status = 422 if request.method == "POST" else 200
    saved = request.args.get("saved")
    return make_response(
        render_template(
            "organisers/settings.html", campaign=campaign, form=form, error=error, saved=saved
        ),
        status,
    )
