"""The organisation settings page (administrators): name, logo, accent colour, and the next
step the thank-you page asks for."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from campaign.audit.services import record_event
from campaign.branding.services import (
    MAX_LOGO_BYTES,
    MAX_NAME,
    MAX_URL,
    PAPER,
    Identity,
    IdentityInput,
    InvalidIdentity,
    NextStep,
    contrast_ratio,
    read_identity,
    update_identity,
)
from campaign.branding.views import forget_identity
from campaign.campaigns.models import Campaign
from campaign.database import DbSession, utcnow
from campaign.extensions import db
from campaign.organisers.auth import current_organiser
from campaign.organisers.models import Organiser
from campaign.protection.requests import allow_upload

# A child of the organiser area (organisers/area.py): at /organiser/organisation, no-store.
bp = Blueprint("organisation", __name__)
# The logo comes as a file, larger than the text forms' MAX_CONTENT_LENGTH.
allow_upload("organiser.organisation.settings", MAX_LOGO_BYTES + 64 * 1024)


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Organisation name"),
        validators=[Length(max=MAX_NAME, message=_l("At most 120 characters."))],
    )
    logo = FileField(_l("Logo (PNG, JPEG or WebP, up to 2 MB)"))
    remove_logo = BooleanField(_l("Remove the current logo"))
    accent_colour = StringField(_l("Accent colour"))
    next_step = RadioField(
        _l("After confirming, ask supporters to"),
        choices=[
            SelectChoice(NextStep.SHARE.value, _l("Share the petition")),
            SelectChoice(NextStep.DONATE.value, _l("Donate (and share)")),
            SelectChoice(NextStep.CAMPAIGN.value, _l("Sign another campaign (and share)")),
        ],
        default=NextStep.SHARE.value,
    )
    donate_url = StringField(
        _l("Donation link"), validators=[Length(max=MAX_URL, message=_l("At most 500 characters."))]
    )
    next_campaign_slug = SelectField(_l("Campaign to suggest"), choices=[])

    def fill_from(self, identity: Identity) -> None:
        self.name.data = identity.name or ""
        self.accent_colour.data = identity.accent_colour
        self.next_step.data = identity.next_step.value
        self.donate_url.data = identity.donate_url or ""
        self.next_campaign_slug.data = identity.next_campaign_slug or ""

    def identity_input(self) -> IdentityInput:
        upload = self.logo.data
        logo = upload.read() if upload else None
        return IdentityInput(
            name=self.name.data,
            accent_colour=self.accent_colour.data,
            next_step=NextStep(self.next_step.data),
            donate_url=self.donate_url.data,
            next_campaign_slug=self.next_campaign_slug.data or None,
            logo=logo or None,
            remove_logo=bool(self.remove_logo.data),
        )


def save_organisation_identity(
    session: DbSession, wanted: IdentityInput, *, actor: Organiser, now: datetime
) -> dict[str, tuple[object, object]]:
    """Apply the settings and log what changed in the audit log."""
    changes = update_identity(session, wanted, now=now)
    if changes:
        record_event(
            session,
            actor=actor,
            action="organisation.settings",
            campaign_id=None,
            details={name: [old, new] for name, (old, new) in changes.items()},
            now=now,
        )
    return changes


def _campaign_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(Campaign.slug, Campaign.title).order_by(Campaign.title))
    return [SelectChoice("", _l("None"))] + [SelectChoice(slug, title) for slug, title in rows]


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def settings() -> BaseResponse:
    if not current_organiser().is_admin:
        abort(403)
    form = OrganisationForm()
    form.next_campaign_slug.choices = _campaign_choices()
    error = None
    if request.method == "GET":
        form.fill_from(read_identity(db.session))
    elif form.validate_on_submit():
        try:
            changes = save_organisation_identity(
                db.session, form.identity_input(), actor=current_organiser(), now=utcnow()
            )
        except InvalidIdentity as invalid:
            db.session.rollback()
            error = str(invalid)
        else:
            db.session.commit()
            forget_identity()
            return redirect(url_for(".settings", saved=1 if changes else 0), code=303)
    status = 422 if request.method == "POST" else 200
    identity = read_identity(db.session)
    return make_response(
        render_template(
            "organisers/organisation.html",
            form=form,
            error=error,
            saved=request.args.get("saved"),
            current_contrast=f"{contrast_ratio(identity.accent_colour, PAPER):.1f}",
        ),
        status,
    )
