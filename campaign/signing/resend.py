"""The check-your-email page's memory of where the email went, and its "send it again" button.

The address is kept in this browser's session cookie (signed, HttpOnly), only so the page
can show it masked and send the email again without the supporter typing it twice. It is
never put in a page whole, never logged, and leaves with the browser session.
"""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign.campaigns.services import find_public_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db, limiter
from campaign.protection.limits import sign_limit_per_address
from campaign.signing.page import signing_policy
from campaign.signing.services import resend_confirmation

bp = Blueprint("resend", __name__)

_SESSION_KEY = "signed"


def remember_signer(slug: str, email: str) -> None:
    """After a signature is accepted: where its email went, for this browser only."""
    session[_SESSION_KEY] = {"slug": slug, "email": email.strip()}


def signer_email(slug: str) -> str | None:
    """The address this browser signed this campaign with, if it is the last it signed."""
    signed = session.get(_SESSION_KEY)
    if isinstance(signed, dict) and signed.get("slug") == slug:
        email = signed.get("email")
        return email if isinstance(email, str) and "@" in email else None
    return None


def mask_email(email: str) -> str:
    """`a•••e@example.org`: enough for the supporter to spot a typo, not enough to read over
    a shoulder. The domain stays whole: a mistyped domain is the commonest slip."""
    local, _, domain = email.rpartition("@")
    shown = local[:1] + "•••" if len(local) <= 2 else local[0] + "•••" + local[-1]
    return f"{shown}@{domain}"


@bp.post("/campaigns/<slug>/resend")
@limiter.limit(sign_limit_per_address, scope="sign-address")
def resend(slug: str) -> BaseResponse:
    """Send the confirmation email again, to the address this browser signed with. The
    answer is the same whatever happened, as for signing."""
    email = signer_email(slug)
    campaign = find_public_campaign_by_slug(db.session, slug)
    if campaign is None or email is None:
        return redirect(url_for("signing.signed", slug=slug), code=303)
    resend_confirmation(db.session, campaign, email, now=utcnow(), policy=signing_policy())
    db.session.commit()
    return redirect(url_for("signing.signed", slug=slug, resent=1), code=303)
