"""The steps of a login in the browser's session: the password is right, a second factor
may still be asked for (or enrolled), then the session begins.

Between the password and the code, the session holds only who is logging in, under which
session generation and since when: the organiser is not logged in, and every page but the
code (or enrolment) form still asks for a login.
"""

from __future__ import annotations

import time
from typing import Any

from flask import redirect, request, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.accounts import forget_old_account_records, record_account_event
from campaign.organisers.auth import LOGIN_AT, SEEN_AT, SESSION_KEY, remember_browser, safe_next
from campaign.organisers.models import Organiser
from campaign.organisers.second_factor import second_factor_required
from campaign.organisers.sessions import browser_label, start_session

PENDING = "organiser_pending_login"
# Time allowed between the password and the code.
PENDING_SECONDS = 600


def continue_login(organiser: Organiser, next_url: str | None) -> Response:
    """After the right password: the code form, enrolment, or straight in."""
    if organiser.has_second_factor or second_factor_required(db.session):
        session.clear()
        session[PENDING] = {
            "id": organiser.id,
            "generation": organiser.session_generation,
            "at": int(time.time()),
            "next": safe_next(next_url) or "",
        }
        endpoint = (
            "organiser.accounts.login_code"
            if organiser.has_second_factor
            else "organiser.accounts.enrol"
        )
        return redirect(url_for(endpoint), code=303)
    response = redirect(safe_next(next_url) or url_for("organiser.dashboard.index"), code=303)
    complete_login(organiser, response)
    return response


def pending_organiser() -> tuple[Organiser, str] | None:
    """Who passed the password step in this browser (and where they were going), if it
    was recently and nothing about the account changed since."""
    pending: Any = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    organiser_id, at = pending.get("id"), pending.get("at")
    if not isinstance(organiser_id, int) or not isinstance(at, int):
        return None
    if time.time() - at > PENDING_SECONDS:
        return None
    organiser = db.session.get(Organiser, organiser_id)
    if organiser is None or not organiser.active:
        return None
    if pending.get("generation") != organiser.session_generation:
        return None
    next_url = pending.get("next")
    return organiser, next_url if isinstance(next_url, str) else ""


def complete_login(organiser: Organiser, response: Response) -> None:
    """Begin a fresh session (nothing from before the login survives: a planted CSRF token,
    a stale id), record it, and commit."""
    now = utcnow()
    session.clear()
    browser = browser_label(request.headers.get("User-Agent", ""))
    key = start_session(db.session, organiser, browser, now)
    organiser.last_login_at = now
    forget_old_account_records(db.session, now)
    record_account_event(
        db.session,
        actor=organiser,
        action="organiser.login",
        details={"browser": browser, "second_factor": organiser.has_second_factor},
        now=now,
    )
    db.session.commit()
    login_user(organiser)
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    session[SEEN_AT] = int(time.time())
    session[SESSION_KEY] = key
    remember_browser(response, organiser)


def renew_login(organiser: Organiser) -> None:
    """After a new password on the account page, which ended every session: this browser
    carries on under the new generation (the caller commits)."""
    now = utcnow()
    browser = browser_label(request.headers.get("User-Agent", ""))
    key = start_session(db.session, organiser, browser, now)
    login_user(organiser)
    session[SESSION_KEY] = key
    session[SEEN_AT] = int(time.time())
