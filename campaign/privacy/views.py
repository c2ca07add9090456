"""The privacy notice, and the unsubscribe and delete links from every email.

Like the confirmation link, opening a link changes nothing (mail systems' link scanners open
links too): it shows a page with one button, and the POST makes the change. The POST needs
no CSRF token, as the secret in the URL proves where it comes from, and mail clients' one-click
unsubscribe (RFC 8058) posts with no cookie at all.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template
from flask_babel import get_locale

from campaign.campaigns.models import Campaign
from campaign.countries import country_name
from campaign.database import utcnow
from campaign.extensions import csrf, db
from campaign.privacy.controls import erase_signature, signature_for_link, stop_news
from campaign.protection.headers import token_in_url
from campaign.signing.consent import CURRENT_WORDING
from campaign.signing.page import localized_text
from campaign.tokens import LinkPurpose, TokenInvalid

bp = Blueprint("privacy", __name__)


def _secret_keys() -> list[str]:
    config = current_app.config
    return [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None  # a signature's campaign: deleting it deletes the signature
    return campaign


# Every URL with a token is marked `token_in_url`: no referrer, no cache.
def _link_invalid() -> Response:
    return make_response(render_template("privacy/link_invalid.html"), 404)


@bp.get("/privacy")
def notice() -> Response:
    config = current_app.config
    return make_response(
        render_template(
            "privacy/notice.html",
            version=CURRENT_WORDING.version,
            controller=config["PRIVACY_CONTROLLER"],
            contact=config["PRIVACY_CONTACT"],
            email_provider=config["PRIVACY_EMAIL_PROVIDER"],
            pending_days=config["RETENTION_PENDING_DAYS"],
            outbox_days=config["RETENTION_OUTBOX_DAYS"],
            anonymise_months=config["RETENTION_ANONYMISE_MONTHS"],
            backup_days=config["BACKUP_RETENTION_DAYS"],
        )
    )


@bp.get("/unsubscribe/<token>")
@token_in_url
def unsubscribe(token: str) -> Response:
    """Show the "Stop news" button; change nothing."""
    try:
        signature = signature_for_link(db.session, token, LinkPurpose.UNSUBSCRIBE, _secret_keys())
    except TokenInvalid:
        return _link_invalid()
    campaign = _campaign(signature.campaign_id)
    page = render_template(
        "privacy/unsubscribe.html",
        campaign=campaign,
        text=localized_text(campaign),
        token=token,
        subscribed=signature.opt_in,
    )
    return make_response(page)


@csrf.exempt
@bp.post("/unsubscribe/<token>")
@token_in_url
def unsubscribe_post(token: str) -> Response:
    try:
        signature = signature_for_link(db.session, token, LinkPurpose.UNSUBSCRIBE, _secret_keys())
    except TokenInvalid:
        return _link_invalid()
    stop_news(db.session, signature, now=utcnow())
    db.session.commit()
    campaign = _campaign(signature.campaign_id)
    page = render_template(
        "privacy/unsubscribed.html", campaign=campaign, text=localized_text(campaign)
    )
    return make_response(page)


@bp.get("/delete/<token>")
@token_in_url
def delete(token: str) -> Response:
    """Show what deleting would remove, and the "Delete my signature" button; change nothing."""
    try:
        signature = signature_for_link(db.session, token, LinkPurpose.DELETE, _secret_keys())
    except TokenInvalid:
        return _link_invalid()
    campaign = _campaign(signature.campaign_id)
    page = render_template(
        "privacy/delete.html",
        campaign=campaign,
        text=localized_text(campaign),
        token=token,
        counted=signature.counted,
    )
    return make_response(page)


@csrf.exempt
@bp.post("/delete/<token>")
@token_in_url
def delete_post(token: str) -> Response:
    try:
        signature = signature_for_link(db.session, token, LinkPurpose.DELETE, _secret_keys())
        receipt = erase_signature(
            db.session,
            signature,
            now=utcnow(),
            tally_shards=current_app.config["TALLY_SHARDS"],
        )
    except TokenInvalid:
        db.session.rollback()
        return _link_invalid()
    db.session.commit()
    page = render_template(
        "privacy/deleted.html",
        receipt=receipt,
        text=localized_text(_campaign(receipt.campaign_id)),
        country=country_name(receipt.country, str(get_locale())),
    )
    return make_response(page)
