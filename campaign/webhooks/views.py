"""The organisers' pages for webhooks (admins): endpoints per campaign, their secret, a test
event, and the delivery log with redelivery. A child of the organiser area."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import current_organiser
from campaign.webhooks.endpoints import (
    add_endpoint,
    delivery_log,
    list_endpoints,
    redeliver,
    rotate_secret,
    set_active,
)
from campaign.webhooks.events import forget_endpoints, queue_test_event
from campaign.webhooks.models import WebhookEndpoint
from campaign.webhooks.transport import UnsafeUrl

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


class EndpointForm(FlaskForm):
    campaign = SelectField(_l("Campaign"), choices=[])
    url = URLField(
        _l("Address that receives the events (https://…)"),
        validators=[
            DataRequired(_l("Please give the address.")),
            Length(max=2000, message=_l("Please use at most 2000 characters.")),
        ],
    )


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_organiser().is_admin:
        abort(403)


def _form() -> EndpointForm:
    form = EndpointForm()
    slugs = db.session.scalars(select(Campaign.slug).order_by(Campaign.slug)).all()
    form.campaign.choices = [SelectChoice(slug, slug) for slug in slugs]
    return form


def _index(form: EndpointForm, status: int = 200, **context: object) -> Response:
    page = render_template(
        "webhooks/index.html", form=form, endpoints=list_endpoints(db.session), **context
    )
    return make_response(page, status)


@bp.get("/")
def index() -> Response:
    return _index(_form())


@bp.post("/")
def add() -> Response:
    form = _form()
    if not form.validate_on_submit():
        return _index(form, 422)
    campaign = find_campaign_by_slug(db.session, form.campaign.data)
    if campaign is None:
        abort(404)
    try:
        endpoint, secret = add_endpoint(
            db.session,
            campaign,
            form.url.data,
            allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
            actor=current_organiser(),
            now=utcnow(),
        )
    except UnsafeUrl as error:
        db.session.rollback()
        return _index(form, 422, refused=str(error))
    db.session.commit()
    forget_endpoints()
    return _endpoint_page(endpoint, 201, new_secret=secret)


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _endpoint_page(endpoint: WebhookEndpoint, status: int = 200, **context: object) -> Response:
    campaign = db.session.get(Campaign, endpoint.campaign_id)
    page = render_template(
        "webhooks/endpoint.html",
        endpoint=endpoint,
        campaign=campaign,
        log=delivery_log(db.session, endpoint.id),
        **context,
    )
    return make_response(page, status)


@bp.get("/<int:endpoint_id>")
def endpoint(endpoint_id: int) -> Response:
    return _endpoint_page(_endpoint_or_404(endpoint_id))


def _checked_post() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


@bp.post("/<int:endpoint_id>/active")
def toggle(endpoint_id: int) -> Response:
    _checked_post()
    endpoint = _endpoint_or_404(endpoint_id)
    set_active(db.session, endpoint, not endpoint.active, actor=current_organiser(), now=utcnow())
    db.session.commit()
    forget_endpoints()
    return _endpoint_page(endpoint)


@bp.post("/<int:endpoint_id>/rotate")
def rotate(endpoint_id: int) -> Response:
    _checked_post()
    endpoint = _endpoint_or_404(endpoint_id)
    secret = rotate_secret(db.session, endpoint, actor=current_organiser(), now=utcnow())
    db.session.commit()
    return _endpoint_page(endpoint, new_secret=secret, rotated=True)


@bp.post("/<int:endpoint_id>/test")
def test(endpoint_id: int) -> Response:
    _checked_post()
    endpoint = _endpoint_or_404(endpoint_id)
    queue_test_event(db.session, endpoint, now=utcnow())
    db.session.commit()
    return _endpoint_page(endpoint, test_queued=True)


@bp.post("/<int:endpoint_id>/events/<int:event_id>/redeliver")
def redeliver_event(endpoint_id: int, event_id: int) -> Response:
    _checked_post()
    endpoint = _endpoint_or_404(endpoint_id)
    if not redeliver(db.session, endpoint.id, event_id, now=utcnow()):
        abort(404)
    db.session.commit()
    return _endpoint_page(endpoint, redelivered=event_id)
