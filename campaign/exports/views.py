"""CSV downloads for organisers: signatures (streamed) and tallies."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from campaign.audit.services import Event, record_event_apart
from campaign.campaigns.questions import campaign_questions
from campaign.database import utcnow
from campaign.exports.services import (
    BadExportRequest,
    export_filename,
    logged_signatures_csv,
    parse_signature_filters,
    parse_tally_kind,
    tallies_csv,
    tally_rows,
)
from campaign.extensions import db
from campaign.organisers.auth import campaign_for_organiser, current_organiser

# Nested in the organiser area (organisers/area.py): /organiser prefix, no-store, noindex.
bp = Blueprint("exports", __name__)


def _csv_response(body: bytes | Iterator[bytes], filename: str) -> Response:
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _bad_request(error: BadExportRequest) -> Response:
    page = render_template(
        "errors/error.html", code=400, title=_("Bad request"), message=str(error)
    )
    return make_response(page, 400)


def _excel() -> bool:
    return request.args.get("excel", "") == "true"


@bp.get("/campaigns/<slug>/signatures.csv")
@login_required
def signatures_csv(slug: str) -> BaseResponse:
    """Confirmed signatures, streamed: rows leave as they are read (see docs/exports.md)."""
    campaign = campaign_for_organiser(slug)
    try:
        filters = parse_signature_filters(
            request.args.get("since"), request.args.get("until"), request.args.get("opt_in")
        )
    except BadExportRequest as error:
        return _bad_request(error)
    now, excel = utcnow(), _excel()
    what = "signatures-opt-in" if filters.opt_in_only else "signatures"
    chunks = logged_signatures_csv(
        db.engine,
        campaign.id,
        filters,
        actor=current_organiser(),
        now=now,
        batch_size=current_app.config["EXPORT_BATCH_SIZE"],
        excel=excel,
        question_keys=[question.key for question in campaign_questions(campaign.questions)],
    )
    # No stream_with_context: the generator needs no request, and a request context kept
    # alive would keep the view's database session (and its connection) with it.
    return _csv_response(chunks, export_filename(slug, what, now.date()))


@bp.get("/campaigns/<slug>/tallies.csv")
@login_required
def tallies_csv_view(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    try:
        kind = parse_tally_kind(request.args.get("by"))
    except BadExportRequest as error:
        return _bad_request(error)
    now = utcnow()
    excel = _excel()
    rows = tally_rows(db.session, campaign.id, kind, now)
    record_event_apart(
        db.engine,
        Event(
            actor=current_organiser(),
            action="export.tallies",
            campaign_id=campaign.id,
            details={"by": kind, "excel": excel},
            now=now,
            row_count=len(rows),
        ),
    )
    return _csv_response(
        tallies_csv(rows, kind, excel), export_filename(slug, f"tallies-by-{kind}", now.date())
    )
