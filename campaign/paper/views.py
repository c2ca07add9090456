"""The organisers' upload of a paper sheet for one campaign."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import campaign_for_organiser, current_organiser
from campaign.paper.services import COLUMNS, BadSheet, clean_source, import_rows, read_sheet
from campaign.protection.requests import allow_upload

# A child of the organiser area (organisers/area.py), which keeps every answer out of caches.
bp = Blueprint("paper", __name__)


# A sheet of a few thousand rows, well beyond MAX_CONTENT_LENGTH for text forms.
MAX_SHEET_BYTES = 2 * 1024 * 1024
allow_upload("organiser.paper.upload", MAX_SHEET_BYTES)


class PaperSheetForm(FlaskForm):
    sheet = FileField(
        _l("The sheet (CSV)"), validators=[FileRequired(_l("Please choose a CSV file."))]
    )
    source = StringField(
        _l("Source recorded on each signature"),
        default="paper",
        validators=[DataRequired(_l("Please give a source, e.g. paper."))],
    )


def _page(
    campaign: Campaign, form: PaperSheetForm, status: int = 200, **context: object
) -> Response:
    page = render_template(
        "paper/import.html", campaign=campaign, form=form, columns=COLUMNS, **context
    )
    return make_response(page, status)


@bp.get("/campaigns/<slug>/paper")
@login_required
def upload_form(slug: str) -> Response:
    return _page(campaign_for_organiser(slug), PaperSheetForm())


@bp.post("/campaigns/<slug>/paper")
@login_required
def upload(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    form = PaperSheetForm()
    if not form.validate_on_submit():
        return _page(campaign, form, 400 if "csrf_token" in form.errors else 422)
    try:
        source = clean_source(form.source.data)
        sheet = read_sheet(form.sheet.data.read())
    except BadSheet as error:
        return _page(campaign, form, 422, problem=str(error))
    if sheet.bad:
        # On the web a sheet goes in whole or not at all; the command can skip bad rows.
        return _page(campaign, form, 422, bad_rows=sheet.bad)
    report = import_rows(
        db.session,
        campaign,
        sheet,
        source=source,
        file_name=form.sheet.data.filename or "sheet.csv",
        actor=current_organiser(),
        now=utcnow(),
        tally_shards=current_app.config["TALLY_SHARDS"],
    )
    db.session.commit()
    message = (
        ngettext(
            "%(num)s signature imported and counted.",
            "%(num)s signatures imported and counted.",
            report.imported,
        )
        + " "
        + ngettext(
            "%(num)s was already there.", "%(num)s were already there.", report.already_there
        )
    )
    return _page(campaign, PaperSheetForm(), imported=message)
