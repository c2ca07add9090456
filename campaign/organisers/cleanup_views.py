"""The organisers' clean-up page: see where signatures come from right now, find a set of
signatures, preview it, and invalidate or release it in batches (recorded in the audit log)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

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
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, DateTimeLocalField, StringField
from wtforms.validators import Length, Optional

from campaign.audit.services import record_event
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import campaign_for_organiser, current_organiser
from campaign.organisers.cleanup import (
    BulkAction,
    SignatureFilters,
    apply_batch,
    busiest_sources,
    preview,
)

# Nested in the organiser area (organisers/area.py), which gives the /organiser prefix.
bp = Blueprint("cleanup", __name__)


class CleanupFilterForm(FlaskForm):
    class Meta:
        csrf = False  # the filter is read from the address; the POST is protected globally

    email = StringField(_l("Email address"), validators=[Optional(), Length(max=254)])
    domain = StringField(_l("Email domain"), validators=[Optional(), Length(max=253)])
    address = StringField(
        _l("Address (IP) or its keyed hash"), validators=[Optional(), Length(max=64)]
    )
    country = StringField(_l("Country code"), validators=[Optional(), Length(max=2)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=32)])
    signed_from = DateTimeLocalField(_l("Signed from (UTC)"), validators=[Optional()])
    signed_until = DateTimeLocalField(_l("Signed before (UTC)"), validators=[Optional()])
    suspect_only = BooleanField(_l("Only signatures held as suspect"))

    def to_filter(self) -> SignatureFilters:
        return SignatureFilters(
            email=self.email.data or None,
            domain=self.domain.data or None,
            address=self.address.data or None,
            country=self.country.data or None,
            source=self.source.data or None,
            signed_from=self.signed_from.data.replace(tzinfo=UTC)
            if self.signed_from.data
            else None,
            signed_until=(
                self.signed_until.data.replace(tzinfo=UTC) if self.signed_until.data else None
            ),
            suspect_only=bool(self.suspect_only.data),
        )


def finished_action(done: str) -> tuple[str, int] | None:
    """The outcome named by `?done=action:count` after a bulk action, if it is one we wrote.

    The banner that shows it is a trusted page's word: a crafted link must not make it
    announce anything else, so only a known action and a plain count are accepted.
    """
    action, _, count = done.partition(":")
    if action not in BulkAction.__members__.values() or not count.isdigit() or len(count) > 9:
        return None
    return action, int(count)


@bp.get("/campaigns/<slug>/cleanup")
@login_required
def cleanup(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    form = CleanupFilterForm(request.args)
    wanted = form.to_filter() if form.validate() else SignatureFilters()
    secret = current_app.config["SECRET_KEY"]
    counts = None
    if not wanted.is_empty():
        counts = {
            action: preview(db.session, campaign.id, wanted, action, secret)
            for action in BulkAction
        }
    addresses, domains = busiest_sources(db.session, campaign.id, utcnow())
    return make_response(
        render_template(
            "organisers/cleanup.html",
            campaign=campaign,
            form=form,
            counts=counts,
            addresses=addresses,
            domains=domains,
            done=finished_action(request.args.get("done", "")),
        )
    )


@bp.post("/campaigns/<slug>/cleanup")
@login_required
def cleanup_apply(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    form = CleanupFilterForm(request.form)
    action_name = request.form.get("action", "")
    if not form.validate() or action_name not in BulkAction.__members__.values():
        return redirect(url_for("organiser.cleanup.cleanup", slug=slug))
    wanted = form.to_filter()
    if wanted.is_empty():  # never every signature of a campaign by one click
        return redirect(url_for("organiser.cleanup.cleanup", slug=slug))
    action = BulkAction(action_name)
    config = current_app.config
    total = 0
    while True:
        result = apply_batch(
            db.session,
            campaign.id,
            wanted,
            action,
            secret_key=config["SECRET_KEY"],
            now=utcnow(),
            tally_shards=config["TALLY_SHARDS"],
        )
        db.session.commit()  # batch by batch: the counts follow as it goes
        if not result.changed:
            break
        total += result.changed
    record_event(
        db.session,
        actor=current_organiser(),
        action=f"signatures.{action.value}",
        campaign_id=campaign.id,
        details={key: str(value) for key, value in vars(wanted).items() if value},
        now=utcnow(),
        row_count=total,
    )
    db.session.commit()
    current_app.extensions["campaign_page_cache"].clear()
    query: dict[str, Any] = {k: v for k, v in request.form.items() if k in form._fields and v}
    return redirect(
        url_for("organiser.cleanup.cleanup", slug=slug, done=f"{action.value}:{total}", **query)
    )
