"""A signature's pages: the campaign page with its form (GET and POST), "check your email",
the JSON tally, and the confirmation link (a GET shows a button, the POST confirms)."""

from __future__ import annotations

import logging
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
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from campaign.branding.services import NextStep
from campaign.branding.views import current_identity
from campaign.campaigns.models import Campaign
from campaign.campaigns.questions import campaign_questions
from campaign.campaigns.services import featured_campaign, find_public_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import csrf, db, limiter
from campaign.identity import client_address, keyed_hash
from campaign.links import public_url_for
from campaign.protection.form_token import (
    FormTokenCheck,
    check_posted_form_token,
    posted_from_another_site,
)
from campaign.protection.headers import token_in_url
from campaign.protection.limits import (
    confirm_limit_per_address,
    sign_limits,
    signing_looks_suspect,
)
from campaign.signing.forms import answers_from
from campaign.signing.page import (
    cached_campaign,
    campaign_or_404,
    cross_site_notice,
    form_token_problem,
    localized_text,
    render_campaign_page,
    render_fresh_campaign_page,
    render_tally_json,
    render_thanks_page,
    signing_form,
    signing_policy,
)
from campaign.signing.resend import mask_email, remember_signer, signer_email
from campaign.signing.services import (
    CampaignClosed,
    ConfirmOutcome,
    SignatureInput,
    TokenExpired,
    TokenInvalid,
    confirm_signature,
    find_signature_by_token,
    sign_petition,
)
from campaign.tallies.services import read_signature_count

log = logging.getLogger(__name__)

bp = Blueprint("signing", __name__)


# The only parameters `/` passes on to the campaign page. Copying the whole query into
# `url_for` would let `?slug=` break it and `?_external=1&_scheme=` point the redirect at
# whatever Host the request named.
FORWARDED_PARAMETERS = ("source", "lang")


def forwarded_query() -> dict[str, Any]:
    """The share source and language of this request, to keep on a redirect."""
    return {name: request.args[name] for name in FORWARDED_PARAMETERS if name in request.args}


@bp.get("/")
def index() -> BaseResponse:
    campaign = featured_campaign(db.session)
    if campaign is None:
        abort(404)
    return redirect(url_for("signing.show", slug=campaign.slug, **forwarded_query()))


# Not the session CSRF of the organisers' pages: this form carries a token that is the same
# for everyone (so the page can be cached), and cross-site posts are refused by what the
# browser says of their origin (docs/security.md). A failure shows the form again with what
# the supporter typed instead of a bare error page.
@csrf.exempt
@bp.route("/campaigns/<slug>", methods=["GET", "POST"])
@sign_limits
def show(slug: str) -> BaseResponse:
    campaign = campaign_or_404(slug)
    if request.method in ("GET", "HEAD"):  # HEAD is a GET without the body (uptime checks)
        return render_fresh_campaign_page(campaign, request.args.get("source", "")[:64])

    if posted_from_another_site():
        # Another site's page made this browser post: keep nothing it sent, offer our form.
        log.info("Cross-site post refused on campaign %s", campaign.slug)
        empty = signing_form(campaign)(meta={"csrf": False}, formdata=None)
        return render_campaign_page(campaign, empty, status=403, notice=cross_site_notice())
    if not campaign.is_open(utcnow()):
        closed = signing_form(campaign)(meta={"csrf": False})
        return render_campaign_page(campaign, closed, status=403, closed=True)

    form = signing_form(campaign)(meta={"csrf": False})
    token = check_posted_form_token(campaign.slug)
    valid = form.validate()
    if token is not FormTokenCheck.VALID:
        form.form_errors.append(form_token_problem(token))
        valid = False
    if not valid:
        return render_campaign_page(campaign, form, status=422)

    try:
        take_signature(campaign, form)
    except CampaignClosed:
        return render_campaign_page(campaign, form, status=403, closed=True)
    # Every outcome (new, signed before, confirmed before) gets this same redirect, so the
    # response never tells whether an address had signed.
    return redirect(url_for("signing.signed", slug=campaign.slug), code=303)


def take_signature(campaign: Campaign, form: FlaskForm) -> None:
    """Store a signature from a valid form (the page's or the embedded one) and commit;
    raises CampaignClosed (rolled back). A filled honeypot stores nothing, silently."""
    if form.leave_this_empty.data:
        # A bot filled the field no person can see: answer as if all went well.
        log.info("Honeypot filled on campaign %s; nothing stored", campaign.slug)
        return
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
        answers=answers_from(form, campaign_questions(campaign.questions)),
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
        raise
    db.session.commit()
    remember_signer(campaign.slug, data.email)


@bp.get("/campaigns/<slug>/signed")
def signed(slug: str) -> Response:
    campaign = campaign_or_404(slug)
    email = signer_email(campaign.slug)
    page = render_template(
        "signing/check_email.html",
        campaign=campaign,
        text=localized_text(campaign),
        sent_to=mask_email(email) if email else None,
        can_resend=email is not None,
        resent=request.args.get("resent") == "1",
        share_url=public_url_for("signing.show", slug=campaign.slug),
    )
    response = make_response(page)
    # It shows this visitor's own address: no shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/campaigns/<slug>.json")
def tally_json(slug: str) -> Response:
    return render_tally_json(campaign_or_404(slug))


def _link_problem(error: TokenInvalid | TokenExpired) -> Response:
    if isinstance(error, TokenExpired):
        page = render_template(
            "signing/link_expired.html",
            campaign=error.campaign,
            text=localized_text(error.campaign),
        )
        return make_response(page, 410)
    return make_response(render_template("signing/link_invalid.html"), 404)


def _next_campaign(campaign: Campaign) -> dict[str, str] | None:
    """The other campaign the organisers ask new supporters to sign, if they chose one."""
    identity = current_identity()
    slug = identity.next_campaign_slug
    if identity.next_step is not NextStep.CAMPAIGN or not slug or slug == campaign.slug:
        return None
    other = find_public_campaign_by_slug(db.session, slug)
    if other is None:
        return None
    return {
        "title": localized_text(other).title,
        "url": url_for("signing.show", slug=other.slug, source="thanks-next"),
    }


@bp.get("/confirm/<token>")
@token_in_url
def confirm(token: str) -> Response:
    """Show the "Confirm my signature" button; change nothing (link scanners open links too)."""
    try:
        signature = find_signature_by_token(db.session, token, utcnow())
    except (TokenInvalid, TokenExpired) as error:
        return _link_problem(error)
    campaign = cached_campaign(signature.campaign_id)
    return make_response(
        render_template(
            "signing/confirm.html",
            campaign=campaign,
            text=localized_text(campaign),
            already=signature.confirmed,
            token=token,
            signer_name=f"{signature.first_name} {signature.last_name}",
            news=signature.opt_in,
        )
    )


# No CSRF token here: the secret in the URL already proves the request comes from the email,
# and a cookie-less in-app mail browser must still be able to confirm.
@csrf.exempt
@bp.post("/confirm/<token>")
@token_in_url
@limiter.limit(confirm_limit_per_address, scope="confirm-address")
def confirm_post(token: str) -> Response:
    try:
        outcome, signature = confirm_signature(
            db.session, token, now=utcnow(), tally_shards=current_app.config["TALLY_SHARDS"]
        )
    except (TokenInvalid, TokenExpired) as error:
        db.session.rollback()
        return _link_problem(error)
    # Everything the page needs is read inside the confirming transaction, so that nothing
    # after the commit starts another one: on SQLite a POST's transaction holds the write
    # lock, and rendering the page under it would queue every other signer behind us.
    campaign = cached_campaign(signature.campaign_id)  # detached: readable after the commit
    # Read afresh, not from the page cache: the signer must see their own signature counted.
    count = read_signature_count(db.session, campaign.id)
    text = localized_text(campaign)
    next_campaign = _next_campaign(campaign)
    db.session.commit()
    return make_response(
        render_thanks_page(
            campaign,
            text,
            already=outcome is ConfirmOutcome.ALREADY_CONFIRMED,
            signature_count=count,
            next_campaign=next_campaign,
        )
    )
