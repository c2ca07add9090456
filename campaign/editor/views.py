"""The campaign editor, in the organiser area: start a campaign, write and translate its text
beside the main language, preview the page as a supporter sees it, publish it.

Every page works without JavaScript. The preview is rendered by the public page's own
template, with the text read afresh (never from the public page's cache).
"""

from __future__ import annotations

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
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import campaign_text
from campaign.countries import country_name
from campaign.database import utcnow
from campaign.editor.forms import MainWordsForm, NewCampaignForm, TranslationForm
from campaign.editor.services import (
    CampaignWords,
    NewCampaign,
    SlugTaken,
    TextMissing,
    campaign_words,
    create_campaign,
    language_states,
    may_create_campaigns,
    publish_campaign,
    save_words,
)
from campaign.extensions import csrf, db
from campaign.i18n import language_name, reader_language_name
from campaign.links import public_url_for
from campaign.organisers.auth import campaign_for_organiser, current_organiser
from campaign.protection.requests import allow_upload
from campaign.signing.page import current_tally, form_context, signing_form

# A child of the organiser area (organisers/area.py): at /organiser/..., no-store, noindex.
bp = Blueprint("editor", __name__)

# A petition's text in a script that takes several bytes a letter is larger, sent as a form,
# than the other forms' MAX_CONTENT_LENGTH: these forms take up to this (text fields only;
# a file sent with them is ignored).
TEXT_FORM_BYTES = 512 * 1024
allow_upload("organiser.editor.new", TEXT_FORM_BYTES)
allow_upload("organiser.editor.text", TEXT_FORM_BYTES)


def _languages() -> list[str]:
    languages: list[str] = current_app.config["LANGUAGES"]
    return languages


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(f"editor/{template}.html", **context), status)


def _form_status(form: Any) -> int:
    return 400 if "csrf_token" in form.errors else 422


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def new() -> BaseResponse:
    organiser = current_organiser()
    if not may_create_campaigns(organiser):
        abort(403)
    form = NewCampaignForm()
    form.locale.choices = [(code, language_name(code)) for code in _languages()]
    if request.method in ("GET", "HEAD"):
        form.locale.data = str(get_locale())
        form.goal.data = form.goal.data or 1000
        return _page("new", form=form)
    if not form.validate_on_submit():
        return _page("new", _form_status(form), form=form)
    wanted = NewCampaign(
        slug=form.slug.data, locale=form.locale.data, goal=form.goal.data, words=form.words()
    )
    try:
        campaign = create_campaign(db.session, wanted, actor=organiser, now=utcnow())
    except SlugTaken:
        db.session.rollback()
        form.slug.errors = [_("This address is taken. Please choose another.")]
        return _page("new", 422, form=form)
    except TextMissing:  # the form requires every field; kept for the service's own word
        db.session.rollback()
        abort(422)
    db.session.commit()
    return redirect(url_for("organiser.editor.edit", slug=campaign.slug, done="created"), code=303)


_DONE = {"created", "published", "unchanged"}


@bp.get("/campaigns/<slug>/edit")
@login_required
def edit(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    done = request.args.get("done", "")
    return _page(
        "edit",
        campaign=campaign,
        languages=language_states(db.session, campaign, _languages()),
        offered=_languages(),
        done=done if done in _DONE else "",
        language_name=language_name,
    )


def _editable_locale(campaign: Campaign, locale: str) -> str:
    """A language the campaign may be written in: the site's, or one it already has."""
    known = {state.locale for state in language_states(db.session, campaign, _languages())}
    if locale not in known:
        abort(404)
    return locale


@bp.route("/campaigns/<slug>/text/<locale>", methods=["GET", "POST"])
@login_required
def text(slug: str, locale: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    locale = _editable_locale(campaign, locale)
    main = locale == campaign.locale
    form = MainWordsForm() if main else TranslationForm()
    context: dict[str, Any] = {
        "campaign": campaign,
        "edited_locale": locale,
        "main": main,
        "original": CampaignWords.of(campaign),
        "reader_language_name": reader_language_name,
    }
    if request.method in ("GET", "HEAD"):
        form.fill(campaign_words(db.session, campaign, locale))
        saved = request.args.get("saved", "")
        return _page("text", form=form, saved=saved if saved in ("1", "0") else "", **context)
    if not form.validate_on_submit():
        return _page("text", _form_status(form), form=form, **context)
    try:
        changed = save_words(
            db.session, campaign, locale, form.words(), actor=current_organiser(), now=utcnow()
        )
    except TextMissing:  # the form requires every field of the main language
        db.session.rollback()
        abort(422)
    db.session.commit()
    return redirect(
        url_for(
            "organiser.editor.text", slug=campaign.slug, locale=locale, saved=1 if changed else 0
        ),
        code=303,
    )


@bp.post("/campaigns/<slug>/publish")
@login_required
def publish(slug: str) -> BaseResponse:
    campaign = campaign_for_organiser(slug)
    changed = publish_campaign(db.session, campaign, actor=current_organiser(), now=utcnow())
    db.session.commit()
    return redirect(
        url_for("organiser.editor.edit", slug=slug, done="published" if changed else "unchanged"),
        code=303,
    )


# The preview's form posts here and changes nothing: no token to check.
@csrf.exempt
@bp.route("/campaigns/<slug>/preview", methods=["GET", "POST"])
@login_required
def preview(slug: str) -> Response:
    """The public page as a supporter reading this page's language would see it (with the
    main language's text where the translation is incomplete), under a preview banner."""
    campaign = campaign_for_organiser(slug)
    locale = str(get_locale())
    words = campaign_text(db.session, campaign, locale)
    form = signing_form(campaign)(meta={"csrf": False}, formdata=None)
    notice = _("This is a preview: nothing was signed.") if request.method == "POST" else None
    return _page(
        "preview",
        **form_context(campaign, form, "", closed=False),
        form_action=url_for("organiser.editor.preview", slug=slug),
        text=words,
        body=render_body(words.body),
        tally=current_tally(campaign),
        recent=[],
        country_name=lambda code: country_name(code, locale),
        now=utcnow(),
        share_url=public_url_for("signing.show", slug=campaign.slug),
        canonical_url=public_url_for("signing.show", slug=campaign.slug),
        notice=notice,
        fallback=words.locale != locale,
    )
