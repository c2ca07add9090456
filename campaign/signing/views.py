"""The confirmation link from the email: a GET shows a button, the POST confirms."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template

from campaign.campaigns.models import Campaign
from campaign.campaigns.views import cached_campaign, localized_text
from campaign.database import utcnow
from campaign.extensions import csrf, db, limiter
from campaign.links import public_url_for
from campaign.protection.headers import token_in_url
from campaign.protection.limits import confirm_limit_per_address
from campaign.signing.services import (
    ConfirmOutcome,
    TokenExpired,
    TokenInvalid,
    confirm_signature,
    find_signature_by_token,
)
from campaign.tallies.services import read_tally

bp = Blueprint("signing", __name__)


def _private(response: Response) -> Response:
    # The URL carries the token: `token_in_url` keeps it out of referrers and caches.
    return response


def _link_problem(error: TokenInvalid | TokenExpired) -> Response:
    if isinstance(error, TokenExpired):
        page = render_template(
            "signing/link_expired.html",
            campaign=error.campaign,
            text=localized_text(error.campaign),
        )
        return _private(make_response(page, 410))
    return _private(make_response(render_template("signing/link_invalid.html"), 404))


@bp.get("/confirm/<token>")
@token_in_url("signing.confirm")
def confirm(token: str) -> Response:
    """Show the "Confirm my signature" button; change nothing (link scanners open links too)."""
    try:
        signature = find_signature_by_token(db.session, token, utcnow())
    except (TokenInvalid, TokenExpired) as error:
        return _link_problem(error)
    campaign = db.session.get(Campaign, signature.campaign_id)
    assert campaign is not None
    return _private(
        make_response(
            render_template(
                "signing/confirm.html",
                campaign=campaign,
                text=localized_text(campaign),
                already=signature.status == "confirmed",
                token=token,
            )
        )
    )


# No CSRF token here: the secret in the URL already proves the request comes from the email,
# and a cookie-less in-app mail browser must still be able to confirm.
@csrf.exempt
@bp.post("/confirm/<token>")
@token_in_url("signing.confirm_post")
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
    count = read_tally(db.session, campaign.id).signature_count
    text = localized_text(campaign)
    db.session.commit()
    return _private(
        make_response(
            render_template(
                "signing/thanks.html",
                campaign=campaign,
                text=text,
                already=outcome is ConfirmOutcome.ALREADY_CONFIRMED,
                signature_count=count,
                share_url=public_url_for("campaigns.show", slug=campaign.slug),
            )
        )
    )
