"""Account pages: the second factor at login, password reset, invitations, the organiser's
own account (password, address, second factor, sessions) and the admins' team page.

Every response is `Cache-Control: no-store` and `noindex` (the organiser area's rule); pages
whose URL carries a token also send no referrer.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db, limiter
from campaign.i18n import language_name
from campaign.identity import client_address
from campaign.organisers import throttle
from campaign.organisers.account_forms import (
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    NewEmailForm,
    NewPasswordForm,
    PasswordCheckForm,
    ReplaceFactorForm,
    RequireSecondFactorForm,
    password_rule_message,
)
from campaign.organisers.account_models import AccountLinkPurpose
from campaign.organisers.accounts import (
    AccountError,
    accept_invitation,
    change_password,
    confirm_email_change,
    find_account_link,
    find_invitation,
    invite,
    record_account_event,
    request_email_change,
    request_password_reset,
    reset_password,
    set_campaign_creation,
    set_role,
)
from campaign.organisers.auth import (
    SESSION_KEY,
    current_organiser,
    known_browser,
    throttle_policy,
)
from campaign.organisers.login_flow import complete_login, pending_organiser, renew_login
from campaign.organisers.models import Organiser
from campaign.organisers.passwords import PasswordRejected, verify_password
from campaign.organisers.second_factor import (
    SecondFactorError,
    confirm_enrolment,
    grouped,
    new_pending_secret,
    new_recovery_codes,
    provisioning_uri,
    qr_code_data_uri,
    recovery_codes_left,
    remove_second_factor,
    reset_second_factor,
    second_factor_required,
    set_second_factor_required,
    verify_code,
)
from campaign.organisers.services import LoginAttempt, list_organisers, throttle_keys
from campaign.organisers.sessions import (
    end_every_session,
    end_session,
    hash_session_key,
    open_sessions,
)
from campaign.protection.headers import token_in_url
from campaign.protection.limits import login_limit_per_address

# Nested in the organiser area (organisers/area.py): the /organiser prefix, and no-store and
# noindex on every response.
bp = Blueprint("accounts", __name__)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(f"organisers/{template}.html", **context), status)


def _form_status(form: Any) -> int:
    return 400 if "csrf_token" in form.errors else 422


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["ORGANISER_SESSION_HOURS"])


def _languages() -> list[SelectChoice]:
    return [SelectChoice(code, language_name(code)) for code in current_app.config["LANGUAGES"]]


def _page_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _too_many(template: str, until: datetime, now: datetime, **context: Any) -> Response:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    response = _page(template, 429, wait_seconds=seconds, **context)
    response.headers["Retry-After"] = str(seconds)
    return response


# The second factor at login


def _code_keys(organiser: Organiser) -> list[throttle.ThrottleKey]:
    attempt = LoginAttempt(organiser.email, "", client_address(), known_browser())
    return throttle_keys(attempt, organiser, current_app.config["SECRET_KEY"])


def _count_wrong_code(organiser: Organiser, keys: list[throttle.ThrottleKey]) -> None:
    now = utcnow()
    throttle.record_failure(db.session, keys, now, throttle_policy())
    record_account_event(
        db.session, actor=organiser, action="organiser.second_factor_failed", details={}, now=now
    )
    db.session.commit()


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit_per_address, methods=["POST"], scope="login-address")
def login_code() -> BaseResponse:
    """After the password: the code from the authenticator app, or a recovery code."""
    pending = pending_organiser()
    if pending is None or not pending[0].has_second_factor:
        return redirect(url_for("organiser.organisers.login"))
    organiser, next_url = pending
    form = CodeForm()
    if request.method != "POST":
        return _page("login_code", form=form)
    if not form.validate_on_submit():
        return _page("login_code", _form_status(form), form=form)
    keys, now = _code_keys(organiser), utcnow()
    decision = throttle.check_throttle(db.session, keys, now, throttle_policy())
    if decision.refused_until is not None:
        return _too_many("login_code", decision.refused_until, now, form=form)
    used = verify_code(db.session, organiser, form.code.data or "", now)
    if used is None:
        db.session.rollback()
        _count_wrong_code(organiser, keys)
        return _page("login_code", 422, form=CodeForm(formdata=None), wrong=True)
    throttle.clear(db.session, [key for key in keys if key.scope != throttle.ADDRESS])
    if used == "recovery":
        record_account_event(
            db.session,
            actor=organiser,
            action="organiser.recovery_code_used",
            details={"left": recovery_codes_left(db.session, organiser)},
            now=now,
        )
    response = redirect(next_url or url_for("organiser.dashboard.index"), code=303)
    complete_login(organiser, response)
    return response


def _password_ok(organiser: Organiser, form: Any) -> bool:
    """Whether the form's current password is the account's; if not, the field says so."""
    if verify_password(organiser.password_hash, form.current_password.data or ""):
        return True
    form.current_password.errors = [_("That is not your current password.")]
    return False


def _enrolment_context(organiser: Organiser, secret: str) -> dict[str, Any]:
    issuer = current_app.config["ORGANISER_TOTP_ISSUER"]
    return {
        "qr_code": qr_code_data_uri(provisioning_uri(secret, organiser.email, issuer)),
        "secret": grouped(secret),
        "issuer": issuer,
    }


def _pending_secret(organiser: Organiser) -> str:
    """The secret being enrolled: the same one if the page is loaded again (an app may
    already have scanned it), a new one otherwise."""
    if organiser.totp_pending_secret is not None:
        return organiser.totp_pending_secret
    secret = new_pending_secret(db.session, organiser)
    db.session.commit()
    return secret


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> BaseResponse:
    """At login, for an account without a second factor when one is required of everyone."""
    pending = pending_organiser()
    if pending is None:
        return redirect(url_for("organiser.organisers.login"))
    organiser, next_url = pending
    if organiser.has_second_factor:
        return redirect(url_for("organiser.accounts.login_code"))
    form = CodeForm()
    if request.method != "POST" or organiser.totp_pending_secret is None:
        secret = _pending_secret(organiser)
        return _page("enrol", form=form, at_login=True, **_enrolment_context(organiser, secret))
    context = _enrolment_context(organiser, organiser.totp_pending_secret)
    if not form.validate_on_submit():
        return _page("enrol", _form_status(form), form=form, at_login=True, **context)
    keys, now = _code_keys(organiser), utcnow()
    decision = throttle.check_throttle(db.session, keys, now, throttle_policy())
    if decision.refused_until is not None:
        return _too_many("enrol", decision.refused_until, now, form=form, at_login=True, **context)
    try:
        codes = confirm_enrolment(db.session, organiser, form.code.data or "", now)
    except SecondFactorError:
        db.session.rollback()
        _count_wrong_code(organiser, keys)
        form = CodeForm(formdata=None)
        return _page("enrol", 422, form=form, at_login=True, wrong=True, **context)
    throttle.clear(db.session, [key for key in keys if key.scope != throttle.ADDRESS])
    record_account_event(
        db.session, actor=organiser, action="organiser.second_factor_enabled", details={}, now=now
    )
    response = _page(
        "recovery_codes", codes=codes, next_url=next_url or url_for("organiser.dashboard.index")
    )
    complete_login(organiser, response)
    return response


# Password reset


@bp.route("/password/forgot", methods=["GET", "POST"])
# Beside the cap of three emails an hour per account: a burst from one address is refused.
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reset-address")
def forgot_password() -> BaseResponse:
    """The same answer, in the same time, whether or not the address has an account."""
    form = ForgotPasswordForm()
    if request.method != "POST":
        return _page("forgot_password", form=form)
    if not form.validate_on_submit():
        return _page("forgot_password", _form_status(form), form=form)
    request_password_reset(
        db.session,
        form.email.data or "",
        now=utcnow(),
        default_locale=current_app.config["BABEL_DEFAULT_LOCALE"],
    )
    db.session.commit()
    return redirect(url_for("organiser.accounts.forgot_password", sent=1), code=303)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@token_in_url
def reset_password_page(token: str) -> BaseResponse:
    now = utcnow()
    if find_account_link(db.session, token, AccountLinkPurpose.PASSWORD_RESET, now) is None:
        return _page("link_invalid", 404)
    form = NewPasswordForm()
    if request.method != "POST" or not form.validate_on_submit():
        status = 200 if request.method != "POST" else _form_status(form)
        return _page("reset_password", status, form=form, token=token)
    try:
        reset_password(
            db.session,
            token,
            form.password.data or "",
            now=now,
            secret_key=current_app.config["SECRET_KEY"],
        )
    except PasswordRejected as error:
        db.session.rollback()
        return _page(
            "reset_password", 422, form=form, token=token, rule=password_rule_message(error)
        )
    except AccountError:
        db.session.rollback()
        return _page("link_invalid", 404)
    db.session.commit()
    return redirect(url_for("organiser.organisers.login", reset=1), code=303)


# Invitations


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@token_in_url
def accept_invitation_page(token: str) -> BaseResponse:
    now = utcnow()
    invitation = find_invitation(db.session, token, now)
    if invitation is None:
        return _page("link_invalid", 404)
    form = NewPasswordForm()
    context = {"form": form, "token": token, "email": invitation.email}
    if request.method != "POST" or not form.validate_on_submit():
        status = 200 if request.method != "POST" else _form_status(form)
        return _page("invitation", status, **context)
    try:
        accept_invitation(db.session, token, form.password.data or "", now)
    except PasswordRejected as error:
        db.session.rollback()
        return _page("invitation", 422, rule=password_rule_message(error), **context)
    except AccountError:
        db.session.rollback()
        return _page("link_invalid", 404)
    db.session.commit()
    return redirect(url_for("organiser.organisers.login", welcome=1), code=303)


# The organiser's own account


def _account_page(status: int = 200, **context: Any) -> Response:
    organiser = current_organiser()
    language = LanguageForm(formdata=None, locale=organiser.locale or "")
    language.locale.choices = [SelectChoice("", _("The site's default")), *_languages()]
    forms = {
        "password_form": ChangePasswordForm(formdata=None),
        "email_form": NewEmailForm(formdata=None, prefix="email"),
        "remove_form": PasswordCheckForm(formdata=None, prefix="remove"),
        "language_form": language,
    }
    forms.update({k: v for k, v in context.items() if k.endswith("_form")})
    rest = {k: v for k, v in context.items() if not k.endswith("_form")}
    key = session.get(SESSION_KEY)
    return _page(
        "account",
        status,
        organiser=organiser,
        sessions=open_sessions(db.session, organiser, now=utcnow(), lifetime=_lifetime()),
        this_session_hash=hash_session_key(key) if isinstance(key, str) else "",
        codes_left=recovery_codes_left(db.session, organiser),
        required=second_factor_required(db.session),
        now=utcnow(),
        **forms,
        **rest,
    )


@bp.get("/account")
@login_required
def account() -> Response:
    done = request.args.get("done", "")
    return _account_page(done=done if done in _ACCOUNT_OUTCOMES else "")


_ACCOUNT_OUTCOMES = {
    "password",
    "email",
    "language",
    "session",
    "sessions",
    "second_factor_removed",
    "email_changed",
}


def _done(outcome: str) -> BaseResponse:
    return redirect(url_for("organiser.accounts.account", done=outcome), code=303)


@bp.post("/account/password")
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reauth-address")
@login_required
def change_password_view() -> BaseResponse:
    organiser = current_organiser()
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(_form_status(form), password_form=form)
    if not _password_ok(organiser, form):
        return _account_page(422, password_form=form)
    try:
        change_password(db.session, organiser, form.password.data or "", now=utcnow())
    except PasswordRejected as error:
        db.session.rollback()
        form.password.errors = [password_rule_message(error)]
        return _account_page(422, password_form=form)
    renew_login(organiser)
    db.session.commit()
    return _done("password")


@bp.post("/account/email")
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reauth-address")
@login_required
def change_email_view() -> BaseResponse:
    organiser = current_organiser()
    form = NewEmailForm(prefix="email")
    if not form.validate_on_submit():
        return _account_page(_form_status(form), email_form=form)
    if not _password_ok(organiser, form):
        return _account_page(422, email_form=form)
    locale = organiser.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        request_email_change(
            db.session, organiser, form.email.data or "", now=utcnow(), locale=locale
        )
    except AccountError as error:
        db.session.rollback()
        form.email.errors = [_account_error(error)]
        return _account_page(422, email_form=form)
    db.session.commit()
    return _done("email")


def _account_error(error: AccountError) -> str:
    """What went wrong, in the page's language."""
    messages = {
        "invalid_email": _("That is not a valid email address."),
        "already_exists": _("Another account already has that address."),
        "same_email": _("That is already your address."),
        "last_admin": _("There must be at least one active admin."),
    }
    return messages.get(error.reason, _("That address cannot be used."))


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@token_in_url
def confirm_email_page(token: str) -> BaseResponse:
    """Confirmed with a button, not by opening the link: a mail scanner's GET does nothing."""
    now = utcnow()
    link = find_account_link(db.session, token, AccountLinkPurpose.NEW_EMAIL, now)
    if link is None:
        return _page("link_invalid", 404)
    if request.method != "POST":
        return _page("confirm_email", new_email=link.new_email, token=token)
    try:
        confirm_email_change(db.session, token, now=now)
    except AccountError:
        db.session.rollback()
        return _page("link_invalid", 404)
    db.session.commit()
    return redirect(url_for("organiser.organisers.login", email_changed=1), code=303)


@bp.post("/account/language")
@login_required
def set_language() -> BaseResponse:
    organiser = current_organiser()
    chosen = request.form.get("locale", "")
    if chosen and chosen not in current_app.config["LANGUAGES"]:
        abort(422)
    organiser.locale = chosen or None
    db.session.commit()
    return _done("language")


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session_view(session_id: int) -> BaseResponse:
    organiser = current_organiser()
    if end_session(db.session, organiser, session_id, utcnow()):
        record_account_event(
            db.session, actor=organiser, action="organiser.session_end", details={}, now=utcnow()
        )
    db.session.commit()
    return _done("session")


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> BaseResponse:
    """Every other browser is logged out; this one carries on under a new generation."""
    organiser = current_organiser()
    end_every_session(db.session, organiser, utcnow())
    record_account_event(
        db.session, actor=organiser, action="organiser.sessions_end", details={}, now=utcnow()
    )
    renew_login(organiser)
    db.session.commit()
    return _done("sessions")


@bp.route("/account/second-factor", methods=["GET", "POST"])
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reauth-address")
@login_required
def second_factor() -> BaseResponse:
    """Enrol an authenticator app (or replace it): scan, then type a code to confirm."""
    organiser = current_organiser()
    replacing = organiser.has_second_factor
    form = ReplaceFactorForm() if replacing else CodeForm()
    if request.method != "POST" or organiser.totp_pending_secret is None:
        secret = _pending_secret(organiser)
        return _page("enrol", form=form, **_enrolment_context(organiser, secret))
    context = _enrolment_context(organiser, organiser.totp_pending_secret)
    if not form.validate_on_submit():
        return _page("enrol", _form_status(form), form=form, **context)
    if replacing and not _password_ok(organiser, form):
        return _page("enrol", 422, form=form, **context)
    now = utcnow()
    try:
        codes = confirm_enrolment(db.session, organiser, form.code.data or "", now)
    except SecondFactorError:
        return _page("enrol", 422, form=CodeForm(formdata=None), wrong=True, **context)
    record_account_event(
        db.session, actor=organiser, action="organiser.second_factor_enabled", details={}, now=now
    )
    db.session.commit()
    return _page("recovery_codes", codes=codes, next_url=url_for("organiser.accounts.account"))


@bp.post("/account/second-factor/recovery-codes")
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reauth-address")
@login_required
def new_recovery_codes_view() -> BaseResponse:
    organiser = current_organiser()
    form = PasswordCheckForm(prefix="codes")
    if not organiser.has_second_factor:
        return _done("second_factor_removed")
    if not form.validate_on_submit() or not _password_ok(organiser, form):
        return _account_page(422, codes_form=form)
    now = utcnow()
    codes = new_recovery_codes(db.session, organiser, now)
    record_account_event(
        db.session, actor=organiser, action="organiser.recovery_codes_new", details={}, now=now
    )
    db.session.commit()
    return _page("recovery_codes", codes=codes, next_url=url_for("organiser.accounts.account"))


@bp.post("/account/second-factor/remove")
@limiter.limit(login_limit_per_address, methods=["POST"], scope="reauth-address")
@login_required
def remove_second_factor_view() -> BaseResponse:
    organiser = current_organiser()
    form = PasswordCheckForm(prefix="remove")
    if second_factor_required(db.session):
        abort(403)
    if not form.validate_on_submit() or not _password_ok(organiser, form):
        return _account_page(422, remove_form=form)
    now = utcnow()
    remove_second_factor(db.session, organiser)
    record_account_event(
        db.session, actor=organiser, action="organiser.second_factor_removed", details={}, now=now
    )
    db.session.commit()
    return _done("second_factor_removed")


# The team (admins)


def _admin() -> Organiser:
    organiser = current_organiser()
    if not organiser.is_admin:
        abort(403)
    return organiser


def _invite_form(*, submitted: bool) -> InviteForm:
    """The invitation form, read from this request if it is the one being sent."""
    form = InviteForm() if submitted else InviteForm(formdata=None)
    campaigns = db.session.execute(select(Campaign.id, Campaign.slug).order_by(Campaign.slug))
    form.campaigns.choices = [
        SelectChoice(str(campaign_id), slug) for campaign_id, slug in campaigns
    ]
    form.locale.choices = _languages()
    if not form.locale.data:
        form.locale.data = _page_locale()
    return form


_TEAM_OUTCOMES = {"invited", "role", "creation", "factor_reset", "policy", "unchanged"}


def _team_page(status: int = 200, **context: Any) -> Response:
    _admin()
    policy_form = RequireSecondFactorForm(
        formdata=None, required=second_factor_required(db.session)
    )
    context.setdefault("invite_form", _invite_form(submitted=False))
    return _page(
        "team",
        status,
        organisers=list_organisers(db.session),
        policy_form=policy_form,
        **context,
    )


@bp.get("/team")
@login_required
def team() -> Response:
    done = request.args.get("done", "")
    return _team_page(done=done if done in _TEAM_OUTCOMES else "")


def _team_done(outcome: str) -> BaseResponse:
    return redirect(url_for("organiser.accounts.team", done=outcome), code=303)


@bp.post("/team/invite")
@login_required
def invite_view() -> BaseResponse:
    admin = _admin()
    form = _invite_form(submitted=True)
    if not form.validate_on_submit():
        return _team_page(_form_status(form), invite_form=form)
    try:
        invite(
            db.session,
            admin=admin,
            email=form.email.data or "",
            make_admin=form.role.data == "admin",
            campaign_ids=list(form.campaigns.data or []),
            locale=form.locale.data or _page_locale(),
            now=utcnow(),
        )
    except AccountError as error:
        db.session.rollback()
        form.email.errors = [_account_error(error)]
        return _team_page(422, invite_form=form)
    db.session.commit()
    return _team_done("invited")


def _colleague(organiser_id: int) -> Organiser:
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None:
        abort(404)
    return organiser


@bp.post("/team/<int:organiser_id>/role")
@login_required
def role_view(organiser_id: int) -> BaseResponse:
    admin = _admin()
    colleague = _colleague(organiser_id)
    role = request.form.get("role", "")
    if role not in ("admin", "organiser"):
        abort(422)
    try:
        changed = set_role(db.session, admin, colleague, role == "admin", utcnow())
    except AccountError as error:
        db.session.rollback()
        return _team_page(422, error=_account_error(error))
    db.session.commit()
    return _team_done("role" if changed else "unchanged")


@bp.post("/team/<int:organiser_id>/campaign-creation")
@login_required
def campaign_creation_view(organiser_id: int) -> BaseResponse:
    """Let a colleague start new campaigns, or stop them (admins always may)."""
    admin = _admin()
    colleague = _colleague(organiser_id)
    allowed = request.form.get("allowed", "")
    if allowed not in ("yes", "no"):
        abort(422)
    changed = set_campaign_creation(db.session, admin, colleague, allowed == "yes", utcnow())
    db.session.commit()
    return _team_done("creation" if changed else "unchanged")


@bp.post("/team/<int:organiser_id>/second-factor/reset")
@login_required
def reset_factor_view(organiser_id: int) -> BaseResponse:
    """A colleague lost their phone and their codes: they enrol again at their next login
    (if the team requires it) or from their account page. Recorded in the audit log."""
    admin = _admin()
    colleague = _colleague(organiser_id)
    if not colleague.has_second_factor:
        return _team_done("unchanged")
    reset_second_factor(db.session, colleague, actor=admin, now=utcnow())
    db.session.commit()
    return _team_done("factor_reset")


@bp.post("/team/second-factor-policy")
@login_required
def second_factor_policy_view() -> BaseResponse:
    admin = _admin()
    form = RequireSecondFactorForm()
    if not form.validate_on_submit():
        return _team_page(_form_status(form))
    required = bool(form.required.data)
    if required == second_factor_required(db.session):
        return _team_done("unchanged")
    now = utcnow()
    set_second_factor_required(db.session, required, now)
    record_account_event(
        db.session,
        actor=admin,
        action="organiser.require_second_factor",
        details={"required": required},
        now=now,
    )
    db.session.commit()
    return _team_done("policy")
