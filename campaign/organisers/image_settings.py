"""The campaign's picture page: an organiser uploads the campaign's own picture, describes
it in each language, or goes back to the default picture."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import Field, TextAreaField

from campaign.audit.services import record_event
from campaign.campaigns.image_files import (
    MAX_ALT,
    InvalidPicture,
    UploadFolder,
    clean_alt_texts,
    delete_unused_files,
    find_picture,
    prepare_picture,
    remove_campaign_picture,
    save_campaign_picture,
)
from campaign.campaigns.images import campaign_image
from campaign.campaigns.models import Campaign
from campaign.database import DbSession, utcnow
from campaign.extensions import db
from campaign.i18n import reader_language_name
from campaign.organisers.auth import campaign_for_organiser, current_organiser
from campaign.organisers.models import Organiser
from campaign.protection.requests import allow_upload

# A child of the organiser area (organisers/area.py): at /organiser/…, no-store.
bp = Blueprint("campaign_image", __name__)


def _upload_limit() -> int:
    # Twice the setting, so a file somewhat too large gets the form's own message rather
    # than the bare "too large" page; beyond that the body is not even read.
    return 2 * int(current_app.config["CAMPAIGN_IMAGE_MAX_BYTES"]) + 64 * 1024


allow_upload("organiser.campaign_image.upload", _upload_limit)


class PictureForm(FlaskForm):
    image = FileField(_l("Picture (JPEG, PNG or WebP)"))


class RemovePictureForm(FlaskForm):
    pass


def alt_locales(campaign: Campaign) -> list[str]:
    """The languages an alt text may be written in: the campaign's own first."""
    languages: list[str] = current_app.config["LANGUAGES"]
    return [campaign.locale] + [locale for locale in languages if locale != campaign.locale]


def _alt_field(locale: str) -> str:
    return f"alt_{locale}"


def picture_form(locales: list[str]) -> PictureForm:
    """The form, with one alt text field per language."""

    class Form(PictureForm):
        pass

    for position, locale in enumerate(locales):
        language = reader_language_name(locale)  # "French" on an English page
        label = (
            _("Description of the picture (alt text) in %(language)s (required)", language=language)
            if position == 0
            else _("Description of the picture (alt text) in %(language)s", language=language)
        )
        setattr(Form, _alt_field(locale), TextAreaField(label))
    return Form()


def _alt_fields(form: PictureForm, locales: list[str]) -> list[tuple[str, Field]]:
    return [(locale, form[_alt_field(locale)]) for locale in locales]


def save_picture(
    session: DbSession,
    campaign: Campaign,
    upload: bytes | None,
    alts: dict[str, str | None],
    *,
    folder: UploadFolder,
    max_bytes: int,
    actor: Organiser,
    now: datetime,
) -> tuple[str, ...]:
    """Check and save the picture and its alt texts, logged in the audit log; the files no
    longer used (to delete after the commit). Raises InvalidPicture, having written nothing."""
    alt_texts = clean_alt_texts(alts, main_locale=campaign.locale)
    prepared = prepare_picture(upload, max_bytes=max_bytes) if upload is not None else None
    change = save_campaign_picture(session, campaign, prepared, alt_texts, folder, now=now)
    if change:
        record_event(
            session,
            actor=actor,
            action="campaign.image",
            campaign_id=campaign.id,
            details={
                "image": list(change.card),
                "alt": {locale: list(texts) for locale, texts in change.alts.items()},
            },
            now=now,
        )
    return change.replaced_files


def remove_picture(
    session: DbSession, campaign: Campaign, *, actor: Organiser, now: datetime
) -> tuple[str, ...]:
    """Back to the default picture, logged; the files to delete after the commit."""
    files = remove_campaign_picture(session, campaign)
    if files:
        record_event(
            session,
            actor=actor,
            action="campaign.image_removed",
            campaign_id=campaign.id,
            details={"image": files[-1]},
            now=now,
        )
    return files


def _page(
    campaign: Campaign,
    form: PictureForm,
    locales: list[str],
    status: int = 200,
    remove_form: RemovePictureForm | None = None,
) -> BaseResponse:
    max_bytes = current_app.config["CAMPAIGN_IMAGE_MAX_BYTES"]
    page = render_template(
        "organisers/campaign_image.html",
        campaign=campaign,
        form=form,
        alt_fields=_alt_fields(form, locales),
        remove_form=remove_form or RemovePictureForm(),
        has_picture=find_picture(db.session, campaign.id) is not None,
        image=campaign_image(campaign),
        max_megabytes=f"{max_bytes / (1024 * 1024):.3g}",
        max_alt=MAX_ALT,
        saved=request.args.get("saved"),
    )
    return make_response(page, status)


def _after_commit(files: tuple[str, ...]) -> None:
    delete_unused_files(db.session, UploadFolder.of(current_app.config), files)
    # This process's public pages show the change at once (others within a moment).
    current_app.extensions["campaign_page_cache"].clear()


@bp.get("/campaigns/<slug>/image")
@login_required
def edit(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    locales = alt_locales(campaign)
    form = picture_form(locales)
    picture = find_picture(db.session, campaign.id)
    if picture is not None:
        texts = picture.alt_texts()
        for locale, field in _alt_fields(form, locales):
            field.data = texts.get(locale, "")
    return _page(campaign, form, locales)


@bp.post("/campaigns/<slug>/image")
@login_required
def upload(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    locales = alt_locales(campaign)
    form = picture_form(locales)
    if not form.validate_on_submit():
        return _page(campaign, form, locales, 400)
    file = form.image.data
    # No file chosen: the browser sends an empty part without a name (alt texts only).
    data = file.read() if file is not None and file.filename else None
    alts = {locale: field.data for locale, field in _alt_fields(form, locales)}
    try:
        replaced = save_picture(
            db.session,
            campaign,
            data,
            alts,
            folder=UploadFolder.of(current_app.config),
            max_bytes=current_app.config["CAMPAIGN_IMAGE_MAX_BYTES"],
            actor=current_organiser(),
            now=utcnow(),
        )
    except InvalidPicture as invalid:
        db.session.rollback()
        field = form[_alt_field(invalid.field)] if invalid.field in locales else form.image
        field.errors = [str(invalid)]
        return _page(campaign, form, locales, 422)
    db.session.commit()
    _after_commit(replaced)
    return redirect(url_for(".edit", slug=slug, saved="image"), code=303)


@bp.post("/campaigns/<slug>/image/remove")
@login_required
def remove(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    remove_form = RemovePictureForm()
    if not remove_form.validate_on_submit():
        locales = alt_locales(campaign)
        return _page(campaign, picture_form(locales), locales, 400, remove_form)
    files = remove_picture(db.session, campaign, actor=current_organiser(), now=utcnow())
    db.session.commit()
    _after_commit(files)
    return redirect(url_for(".edit", slug=slug, saved="removed"), code=303)
