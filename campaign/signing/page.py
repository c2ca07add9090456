"""Rendering the public campaign page (with the signing form), cached per process for a moment."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask import Response, abort, current_app, g, make_response, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from campaign.branding.views import current_identity
from campaign.cache import ShortLivedCache
from campaign.campaigns.content import render_body
from campaign.campaigns.milestones import campaign_shown_goal
from campaign.campaigns.models import Campaign
from campaign.campaigns.outcomes import campaign_outcome
from campaign.campaigns.questions import campaign_questions
from campaign.campaigns.services import CampaignText, campaign_text, find_campaign_by_slug
from campaign.countries import country_name, country_options
from campaign.database import utcnow
from campaign.extensions import db
from campaign.http_cache import cache_publicly
from campaign.i18n import PATH_MARK, QUERY_MARK, kept_query, requested_locale, this_path
from campaign.links import public_url_for
from campaign.protection.form_token import FormTokenCheck, current_form_token
from campaign.signing.consent import CURRENT_WORDING
from campaign.signing.counts import RecentSigner, recent_signers
from campaign.signing.forms import form_class, question_fields
from campaign.signing.services import SigningPolicy
from campaign.tallies.public_json import public_tally_json
from campaign.tallies.services import Tally, read_tally


def _cache() -> ShortLivedCache[Any]:
    cache: ShortLivedCache[Any] = current_app.extensions["campaign_page_cache"]
    return cache


def current_tally(campaign: Campaign) -> Tally:
    """The campaign's counts, at most TALLY_CACHE_SECONDS old."""
    tally: Tally = _cache().get(("tally", campaign.id), lambda: read_tally(db.session, campaign.id))
    return tally


def _recent(campaign: Campaign) -> list[RecentSigner]:
    if not campaign.show_recent_signers:
        return []
    recent: list[RecentSigner] = _cache().get(
        ("recent", campaign.id), lambda: recent_signers(db.session, campaign.id)
    )
    return recent


def localized_text(campaign: Campaign) -> CampaignText:
    """The campaign's text in the page's language (or its own), at most a moment old."""
    locale = str(get_locale())
    text: CampaignText = _cache().get(
        ("text", campaign.id, locale), lambda: campaign_text(db.session, campaign, locale)
    )
    return text


@lru_cache(maxsize=64)
def _rendered_body(body: str) -> Markup:
    return render_body(body)


def _load_detached(slug: str) -> Campaign | None:
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is not None:
        db.session.expunge(campaign)
    return campaign


def campaign_or_404(slug: str) -> Campaign:
    """The campaign for a public page, shared by this process's requests for a second or two.

    A detached, read-only copy: public pages never change a campaign. Organiser changes
    reach every process within TALLY_CACHE_SECONDS. A draft is a 404.
    """
    if len(slug) > 64:
        abort(404)
    campaign: Campaign | None = _cache().get(("campaign", slug), lambda: _load_detached(slug))
    if campaign is None or not campaign.is_published:  # a draft is the organisers' alone
        abort(404)
    return campaign


def _load_detached_by_id(campaign_id: int) -> Campaign | None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is not None:
        db.session.expunge(campaign)
    return campaign


def cached_campaign(campaign_id: int) -> Campaign:
    """A campaign known to exist (a signature's), as `campaign_or_404` shares it: detached,
    read-only, at most TALLY_CACHE_SECONDS old."""
    campaign: Campaign | None = _cache().get(
        ("campaign-id", campaign_id), lambda: _load_detached_by_id(campaign_id)
    )
    assert campaign is not None
    return campaign


def signing_policy() -> SigningPolicy:
    config = current_app.config
    return SigningPolicy(
        token_lifetime=timedelta(days=config["CONFIRMATION_TOKEN_DAYS"]),
        repeat_email_limit=config["CONFIRMATION_RESENDS"],
        tally_shards=config["TALLY_SHARDS"],
    )


# Stands for the share source of a fresh page, filled in per request (from its URL).
_SOURCE_MARK = "@@share-source@@"


def signing_form(campaign: Campaign) -> type[FlaskForm]:
    """The form for this campaign: the signing form and its own questions, in the page's
    language."""
    return form_class(campaign_questions(campaign.questions), str(get_locale()))


def form_context(
    campaign: Campaign, form: FlaskForm, csrf_value: str, closed: bool
) -> dict[str, Any]:
    """What signing/_form.html needs, on the page and in the embedded form."""
    locale = str(get_locale())
    return {
        "campaign": campaign,
        "form": form,
        "question_fields": question_fields(form, campaign_questions(campaign.questions)),
        "csrf_value": csrf_value,
        "country_options": country_options(locale, form.country.data),
        "consent": CURRENT_WORDING,
        "closed": closed or not campaign.is_open(utcnow()),
    }


def _render_page(
    campaign: Campaign,
    form: FlaskForm,
    csrf_value: str,
    closed: bool = False,
    notice: str | None = None,
) -> str:
    locale = str(get_locale())
    text = localized_text(campaign)
    html: str = render_template(
        "signing/page.html",
        **form_context(campaign, form, csrf_value, closed),
        form_action=url_for("signing.show", slug=campaign.slug),
        text=text,
        body=_rendered_body(text.body),
        tally=current_tally(campaign),
        recent=_recent(campaign),
        country_name=lambda code: country_name(code, locale),
        now=utcnow(),
        share_url=public_url_for("signing.show", slug=campaign.slug),
        canonical_url=public_url_for("signing.show", slug=campaign.slug, lang=requested_locale()),
        notice=notice,
        outcome=campaign_outcome(campaign, locale),
    )
    return html


def _no_store(response: Response) -> Response:
    # What one visitor typed: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def render_fresh_campaign_page(campaign: Campaign, source: str) -> Response:
    """The page as a new visitor gets it, the same bytes for everyone with this URL and
    language, so shared caches may keep it: rendered once per language every second or two
    (with a fresh form token), then the share source and query (kept by the language
    switcher's links) are put in from the URL."""
    key = ("page", campaign.slug, str(get_locale()), requested_locale())

    def render() -> str:
        form = signing_form(campaign)(meta={"csrf": False})
        form.source.data = _SOURCE_MARK
        g.query_mark = True  # the switcher's links get QUERY_MARK for this visitor's query
        return _render_page(campaign, form, current_form_token(campaign.slug))

    template: str = _cache().get(key, render)
    html = template.replace(_SOURCE_MARK, str(escape(source)), 1).replace(
        QUERY_MARK, str(escape(kept_query()))
    )
    return cache_publicly(make_response(html), current_app.config["PUBLIC_CACHE_SECONDS"])


def render_campaign_page(
    campaign: Campaign,
    form: FlaskForm,
    status: int = 200,
    closed: bool = False,
    notice: str | None = None,
) -> Response:
    """The page with a submitted form: what was typed, and the errors beside each field."""
    html = _render_page(campaign, form, current_form_token(campaign.slug), closed, notice)
    return _no_store(make_response(html, status))


# Stands for the count, in a thank-you page rendered once for many signers.
_PROGRESS_MARK = "@@progress@@"


def render_thanks_page(
    campaign: Campaign,
    text: CampaignText,
    *,
    already: bool,
    signature_count: int,
    next_campaign: dict[str, str] | None,
) -> str:
    """The thank-you page after a confirmation.

    Everyone confirming a campaign in one language sees the same page but for the count
    and the link's own path (in the language switcher): the page is rendered once for
    every set of what it shows (words, organisation, next step, language) and kept as
    briefly as the campaign page, and each request puts its own count (rendered from
    signing/_progress.html, which also picks the plural) and path in it. Rendering the
    whole page for each signer cost more than the confirmation itself.
    """
    key = (
        "thanks",
        campaign.id,
        str(get_locale()),
        requested_locale(),
        already,
        text,
        current_identity(),
        tuple(sorted(next_campaign.items())) if next_campaign else None,
    )

    def render() -> str:
        g.query_mark = g.path_mark = True  # the switcher's links: this visitor's own
        try:
            html: str = render_template(
                "signing/thanks.html",
                campaign=campaign,
                text=text,
                already=already,
                progress=Markup(_PROGRESS_MARK),  # noqa: S704 (a constant of ours)
                share_url=public_url_for("signing.show", slug=campaign.slug),
                next_campaign=next_campaign,
            )
        finally:
            g.query_mark = g.path_mark = False
        return html

    page: str = _cache().get(key, render)
    progress = current_app.jinja_env.get_template("signing/_progress.html").render(
        count=signature_count, campaign=campaign
    )
    return (
        page.replace(_PROGRESS_MARK, progress, 1)
        .replace(PATH_MARK, str(escape(this_path())))
        .replace(QUERY_MARK, str(escape(kept_query())))
    )


def form_token_problem(check: FormTokenCheck) -> str:
    """What the form says, at its top, when its token was refused."""
    if check is FormTokenCheck.EXPIRED:
        return _("This form was open for a long time. Please check your details and send it again.")
    return _(
        "We could not accept this form as it was sent. Please check your details and send it again."
    )


def cross_site_notice() -> str:
    return _(
        "This form was sent to us from another website, so we did not accept it. "
        "To sign, please use the form on this page."
    )


def render_tally_json(campaign: Campaign) -> Response:
    """`/campaigns/<slug>.json`, serialised once per refresh of the count, public."""

    def serialise() -> bytes:
        url = public_url_for("signing.show", slug=campaign.slug)
        tally = current_tally(campaign)
        # The goal the page shows: past the campaign's own, its next milestone.
        goal = campaign_shown_goal(campaign, tally.signature_count).goal
        return public_tally_json(campaign.slug, campaign.title, url, goal, tally)

    body: bytes = _cache().get(("json", campaign.id), serialise)
    response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return cache_publicly(response, current_app.config["PUBLIC_CACHE_SECONDS"])
