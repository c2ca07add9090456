"""The public campaign page (with the signing form) and its JSON tally."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from campaign.cache import ShortLivedCache
from campaign.campaigns.content import render_body
from campaign.campaigns.models import Campaign
from campaign.campaigns.services import (
    CampaignText,
    RecentSigner,
    campaign_text,
    featured_campaign,
    find_campaign,
    recent_signers,
)
from campaign.countries import country_name, country_options
from campaign.database import utcnow
from campaign.extensions import csrf, db, limiter
from campaign.http_cache import cache_publicly
from campaign.i18n import QUERY_MARK, kept_query, requested_locale
from campaign.links import public_url_for
from campaign.privacy.consent import CURRENT_WORDING
from campaign.protection.form_token import (
    FormTokenCheck,
    check_posted_form_token,
    current_form_token,
    posted_from_another_site,
)
from campaign.protection.limits import (
    client_address,
    domain_is_exempt,
    email_domain,
    sign_limit_per_address,
    sign_limit_per_domain,
    signing_looks_suspect,
)
from campaign.signing.forms import SignatureForm
from campaign.signing.services import (
    CampaignClosed,
    SignatureInput,
    SigningPolicy,
    sign_petition,
)
from campaign.signing.tokens import keyed_hash
from campaign.tallies.public_json import public_tally_json
from campaign.tallies.services import Tally, read_tally

log = logging.getLogger(__name__)

bp = Blueprint("campaigns", __name__)


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
    campaign = find_campaign(db.session, slug)
    if campaign is not None:
        db.session.expunge(campaign)
    return campaign


def _campaign_or_404(slug: str) -> Campaign:
    """The campaign for a public page, shared by this process's requests for a second or two.

    A detached, read-only copy: public pages never change a campaign. Organiser changes
    reach every process within TALLY_CACHE_SECONDS.
    """
    if len(slug) > 64:
        abort(404)
    campaign: Campaign | None = _cache().get(("campaign", slug), lambda: _load_detached(slug))
    if campaign is None:
        abort(404)
    return campaign


def _load_detached_by_id(campaign_id: int) -> Campaign | None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is not None:
        db.session.expunge(campaign)
    return campaign


def cached_campaign(campaign_id: int) -> Campaign:
    """A campaign known to exist (a signature's), as `_campaign_or_404` shares it: detached,
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


def _render_page(
    campaign: Campaign,
    form: SignatureForm,
    csrf_value: str,
    closed: bool = False,
    notice: str | None = None,
) -> str:
    locale = str(get_locale())
    text = localized_text(campaign)
    html: str = render_template(
        "campaigns/page.html",
        campaign=campaign,
        text=text,
        body=_rendered_body(text.body),
        form=form,
        csrf_value=csrf_value,
        country_options=country_options(locale, form.country.data),
        tally=current_tally(campaign),
        recent=_recent(campaign),
        country_name=lambda code: country_name(code, locale),
        closed=closed or not campaign.is_open(utcnow()),
        now=utcnow(),
        share_url=public_url_for("campaigns.show", slug=campaign.slug),
        canonical_url=public_url_for("campaigns.show", slug=campaign.slug, lang=requested_locale()),
        consent=CURRENT_WORDING,
        notice=notice,
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
        form = SignatureForm(meta={"csrf": False})
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
    form: SignatureForm,
    status: int = 200,
    closed: bool = False,
    notice: str | None = None,
) -> Response:
    """The page with a submitted form: what was typed, and the errors beside each field."""
    html = _render_page(campaign, form, current_form_token(campaign.slug), closed, notice)
    return _no_store(make_response(html, status))


def _form_token_problem() -> dict[FormTokenCheck, str]:
    return {
        FormTokenCheck.EXPIRED: _(
            "This form was open for a long time. Please check your details and send it again."
        ),
        FormTokenCheck.INVALID: _(
            "We could not accept this form as it was sent. Please check your details and "
            "send it again."
        ),
    }


@bp.get("/")
def index() -> BaseResponse:
    campaign = featured_campaign(db.session)
    if campaign is None:
        abort(404)
    query: dict[str, Any] = request.args.to_dict()  # keep ?source= and ?lang= on the way
    return redirect(url_for("campaigns.show", slug=campaign.slug, **query))


# Not the session CSRF of the organisers' pages: this form carries a token that is the same
# for everyone (so the page can be cached), and cross-site posts are refused by what the
# browser says of their origin (docs/security.md). A failure shows the form again with what
# the supporter typed instead of a bare error page.
@csrf.exempt
@bp.route("/campaigns/<slug>", methods=["GET", "POST"])
@limiter.limit(sign_limit_per_address, methods=["POST"], scope="sign-address")
@limiter.limit(
    sign_limit_per_domain,
    methods=["POST"],
    scope="sign-domain",
    key_func=email_domain,
    exempt_when=domain_is_exempt,
)
def show(slug: str) -> BaseResponse:
    campaign = _campaign_or_404(slug)
    if request.method == "GET":
        return render_fresh_campaign_page(campaign, request.args.get("source", "")[:64])

    if posted_from_another_site():
        # Another site's page made this browser post: keep nothing it sent, offer our form.
        log.info("Cross-site post refused on campaign %s", campaign.slug)
        notice = _(
            "This form was sent to us from another website, so we did not accept it. "
            "To sign, please use the form on this page."
        )
        return render_campaign_page(
            campaign, SignatureForm(meta={"csrf": False}, formdata=None), status=403, notice=notice
        )
    if not campaign.is_open(utcnow()):
        return render_campaign_page(
            campaign, SignatureForm(meta={"csrf": False}), status=403, closed=True
        )

    form = SignatureForm(meta={"csrf": False})
    token = check_posted_form_token(campaign.slug)
    valid = form.validate()
    if token is not FormTokenCheck.VALID:
        form.form_errors.append(_form_token_problem()[token])
        valid = False
    if not valid:
        return render_campaign_page(campaign, form, status=422)

    if form.leave_this_empty.data:
        # A bot filled the field no person can see: answer as if all went well.
        log.info("Honeypot filled on campaign %s; nothing stored", campaign.slug)
        return redirect(url_for("campaigns.signed", slug=campaign.slug), code=303)

    data = SignatureInput(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        country=form.country.data,
        postcode=form.postcode.data or None,
        opt_in=bool(form.opt_in.data),
        source=form.clean_source(),
        locale=str(get_locale()),
        ip_hash=keyed_hash(current_app.config["SECRET_KEY"], client_address()),
        suspect=signing_looks_suspect(),
    )
    try:
        sign_petition(
            db.session,
            campaign,
            data,
            now=utcnow(),
            policy=signing_policy(),
            text=localized_text(campaign),
        )
    except CampaignClosed:
        db.session.rollback()
        return render_campaign_page(campaign, form, status=403, closed=True)
    db.session.commit()
    # Every outcome (new, signed before, confirmed before) gets this same redirect, so the
    # response never tells whether an address had signed.
    return redirect(url_for("campaigns.signed", slug=campaign.slug), code=303)


@bp.get("/campaigns/<slug>/signed")
def signed(slug: str) -> Response:
    campaign = _campaign_or_404(slug)
    page = render_template(
        "signing/check_email.html", campaign=campaign, text=localized_text(campaign)
    )
    return make_response(page)


@bp.get("/campaigns/<slug>.json")
def tally_json(slug: str) -> Response:
    campaign = _campaign_or_404(slug)

    def serialise() -> bytes:
        url = public_url_for("campaigns.show", slug=campaign.slug)
        tally = current_tally(campaign)
        return public_tally_json(campaign.slug, campaign.title, url, campaign.goal, tally)

    body: bytes = _cache().get(("json", campaign.id), serialise)
    response = Response(body, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return cache_publicly(response, current_app.config["PUBLIC_CACHE_SECONDS"])
