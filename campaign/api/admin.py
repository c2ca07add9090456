"""The organisers' page for API keys (admins): list, make and revoke them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from campaign.api.keys import create_key, list_keys, revoke_key
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import current_organiser
from campaign.signing.forms import clean_text

# A child of the organiser area (organisers/area.py), which keeps every answer out of caches.
bp = Blueprint("api_keys", __name__, url_prefix="/api-keys")


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("Name (what the key is for, e.g. the CRM)"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please name the key.")),
            Length(max=100, message=_l("Please use at most 100 characters.")),
        ],
    )
    campaign = SelectField(_l("Campaign"), choices=[], validate_choice=True)
    read_only = BooleanField(_l("Read only (cannot record signatures)"))


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_organiser().is_admin:
        abort(403)


def _form() -> ApiKeyForm:
    form = ApiKeyForm()
    slugs = db.session.scalars(select(Campaign.slug).order_by(Campaign.slug)).all()
    form.campaign.choices = [SelectChoice("", str(_l("Every campaign")))] + [
        SelectChoice(slug, slug) for slug in slugs
    ]
    return form


def _page(form: ApiKeyForm, status: int = 200, **context: object) -> Response:
    page = render_template("api/keys.html", form=form, keys=list_keys(db.session), **context)
    return make_response(page, status)


@bp.get("/")
def index() -> Response:
    return _page(_form())


@bp.post("/")
def create() -> Response:
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    campaign = find_campaign_by_slug(db.session, form.campaign.data) if form.campaign.data else None
    row, key = create_key(
        db.session,
        name=form.name.data,
        campaign=campaign,
        read_only=bool(form.read_only.data),
        actor=current_organiser(),
        now=utcnow(),
    )
    db.session.commit()
    # Shown on this answer only: the key is stored as a hash and cannot be shown again.
    return _page(_form(), 201, new_key=key, new_name=row.name)


@bp.post("/<int:key_id>/revoke")
def revoke(key_id: int) -> BaseResponse:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    row = revoke_key(db.session, key_id, actor=current_organiser(), now=utcnow())
    if row is None:
        abort(404)
    db.session.commit()
    return _page(_form(), revoked=row.name)
