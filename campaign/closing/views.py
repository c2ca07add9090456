"""The organiser pages for milestones, closing with an outcome (and reopening), and the
delivery report as a PDF. Nested in the organiser area: /organiser, no-store, noindex."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from campaign.audit.services import Event, finish_export, record_event_apart
from campaign.branding.services import read_logo
from campaign.branding.views import current_identity
from campaign.campaigns.milestones import MilestonesError, campaign_milestones
from campaign.closing.forms import ReopenForm, closing_form, milestones_form
from campaign.closing.pdf import ReportOptions, write_report_pdf
from campaign.closing.services import (
    InvalidOutcome,
    close_campaign,
    reopen_campaign,
    set_milestones,
)
from campaign.dashboard.report import delivery_report, signers
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import campaign_for_organiser, current_organiser

bp = Blueprint("closing", __name__)


def _milestones_problem(error: MilestonesError) -> str:
    return {
        "count": _("Each milestone needs a number of signatures from 1 to 1,000,000,000."),
        "duplicate": _("Two milestones have the same number of signatures."),
        "length": _("Please use at most 200 characters for each milestone."),
        "text": _("Each milestone needs its text in the campaign's own language."),
        "too-many": _("At most 20 milestones."),
    }.get(str(error), _("These milestones cannot be saved."))


def _outcome_problem(error: InvalidOutcome) -> str:
    return {
        "text": _("Please write what to tell supporters, at least in the campaign's own language."),
        "length": _("Please use at most 3000 characters."),
        "date": _("Please give the day the petition was delivered."),
        "date-range": _("Please give a day between the years 2000 and 2100."),
    }.get(str(error), _("This outcome cannot be saved."))


@bp.route("/campaigns/<slug>/milestones", methods=["GET", "POST"])
@login_required
def milestones(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    form = milestones_form(campaign, current_app.config["LANGUAGES"])()
    error = None
    if request.method in ("GET", "HEAD"):
        form.fill_from(campaign_milestones(campaign.milestones))
    elif form.validate_on_submit():
        try:
            changed = set_milestones(
                db.session, campaign, form.milestones(), actor=current_organiser(), now=utcnow()
            )
        except MilestonesError as problem:
            db.session.rollback()
            error = _milestones_problem(problem)
        else:
            db.session.commit()
            return redirect(
                url_for("organiser.closing.milestones", slug=slug, saved=int(changed)), code=303
            )
    return make_response(
        render_template(
            "closing/milestones.html",
            campaign=campaign,
            form=form,
            error=error,
            saved=request.args.get("saved"),
        ),
        422 if request.method == "POST" else 200,
    )


@bp.route("/campaigns/<slug>/close", methods=["GET", "POST"])
@login_required
def close(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    form = closing_form(campaign, current_app.config["LANGUAGES"])()
    error = None
    if request.method in ("GET", "HEAD"):
        form.fill_from(campaign)
    elif form.validate_on_submit():
        try:
            close_campaign(
                db.session, campaign, form.outcome(), actor=current_organiser(), now=utcnow()
            )
        except InvalidOutcome as problem:
            db.session.rollback()
            error = _outcome_problem(problem)
        else:
            db.session.commit()
            return redirect(url_for("organiser.closing.close", slug=slug, saved=1), code=303)
    return make_response(
        render_template(
            "closing/close.html",
            campaign=campaign,
            form=form,
            reopen=ReopenForm(),
            error=error,
            saved=request.args.get("saved"),
        ),
        422 if request.method == "POST" else 200,
    )


@bp.post("/campaigns/<slug>/reopen")
@login_required
def reopen(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    if not ReopenForm().validate_on_submit():
        return redirect(url_for("organiser.closing.close", slug=slug), code=303)
    reopen_campaign(db.session, campaign, actor=current_organiser(), now=utcnow())
    db.session.commit()
    return redirect(url_for("organiser.closing.close", slug=slug, reopened=1), code=303)


@bp.get("/campaigns/<slug>/report.pdf")
@login_required
def report_pdf(slug: str) -> Response:
    """The delivery report as a PDF, built in a temporary file (the names, when asked, in
    batches, so memory does not grow with the campaign), then sent from it."""
    campaign = campaign_for_organiser(slug)
    with_names = request.args.get("names") == "1"
    now = utcnow()
    report = delivery_report(db.session, campaign, str(get_locale()), now.date())
    options = ReportOptions(
        identity=current_identity(),
        logo=read_logo(db.session) if current_identity().logo_version else None,
    )
    event_id = None
    names = None
    if with_names:
        # Names leave the organiser area: the log says who took them, before they go.
        event_id = record_event_apart(
            db.engine,
            Event(
                current_organiser(),
                "report.names",
                campaign.id,
                {"format": "pdf"},
                now,
                completed=False,
            ),
        )
        names = signers(db.session, campaign.id, [code for _name, code, _n in report.rows])
    handle, path = tempfile.mkstemp(prefix="report-", suffix=".pdf")
    try:
        with os.fdopen(handle, "wb") as file:
            listed = write_report_pdf(report, options, names, file)
        if event_id is not None:
            finish_export(db.engine, event_id, listed, True)
        stream = open(path, "rb")  # noqa: SIM115 (closed by the response's generator)
    finally:
        os.unlink(path)  # the open file stays readable; nothing is left on disk

    def chunks() -> Iterator[bytes]:
        with stream:
            yield from iter(lambda: stream.read(64 * 1024), b"")

    response = Response(chunks(), content_type="application/pdf")
    filename = f"{campaign.slug}-report{'-names' if with_names else ''}-{now.date()}.pdf"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
