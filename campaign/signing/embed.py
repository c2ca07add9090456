"""The embeddable form (for an iframe on the organisation's or partners' sites) and the
counter badge (an SVG image for anywhere).

The form is framed only by the campaign's `embed_origins` (CSP `frame-ancestors`); every
other page keeps `frame-ancestors 'none'`. It carries the campaign page's stateless form
token (`protection/form_token.py`: no cookie is needed, which a frame on another site would
not send) and refuses posts that the browser says another site sent, as the page does: the
frame's own form posts from our origin.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_number, get_locale, gettext, ngettext
from flask_wtf import FlaskForm
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from campaign.campaigns.embedding import parse_origins
from campaign.campaigns.models import Campaign
from campaign.extensions import csrf
from campaign.i18n import language_tag
from campaign.protection.form_token import (
    FormTokenCheck,
    check_posted_form_token,
    current_form_token,
    posted_from_another_site,
)
from campaign.protection.headers import allow_framing_by
from campaign.protection.limits import sign_limits
from campaign.signing.page import (
    campaign_or_404,
    cross_site_notice,
    current_tally,
    form_context,
    localized_text,
    signing_form,
)
from campaign.signing.services import CampaignClosed
from campaign.signing.views import take_signature

bp = Blueprint("embed", __name__)


def _framed(campaign: Campaign, response: Response) -> Response:
    allow_framing_by(parse_origins(campaign.embed_origins))
    # A per-visitor form: no shared cache keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_page(
    campaign: Campaign,
    form: FlaskForm,
    status: int = 200,
    closed: bool = False,
    token_expired: bool = False,
    notice: str | None = None,
) -> Response:
    html = render_template(
        "signing/embed.html",
        **form_context(campaign, form, current_form_token(campaign.slug), closed),
        form_action=url_for("embed.form", slug=campaign.slug),
        text=localized_text(campaign),
        tally=current_tally(campaign),
        token_expired=token_expired,
        notice=notice,
        embedded=True,
    )
    return _framed(campaign, make_response(html, status))


@csrf.exempt  # its own token: see the module's docstring
@bp.route("/campaigns/<slug>/embed", methods=["GET", "POST"])
@sign_limits
def form(slug: str) -> BaseResponse:
    campaign = campaign_or_404(slug)
    if request.method == "GET":
        blank = signing_form(campaign)(meta={"csrf": False})
        blank.source.data = request.args.get("source", "")[:64]
        return _form_page(campaign, blank)
    if posted_from_another_site():
        empty = signing_form(campaign)(meta={"csrf": False}, formdata=None)
        return _form_page(campaign, empty, 403, notice=cross_site_notice())
    submitted = signing_form(campaign)(meta={"csrf": False})
    valid = submitted.validate()
    if check_posted_form_token(campaign.slug) is not FormTokenCheck.VALID:
        return _form_page(campaign, submitted, 400, token_expired=True)
    if not valid:
        return _form_page(campaign, submitted, 422)
    try:
        take_signature(campaign, submitted)
    except CampaignClosed:
        return _form_page(campaign, submitted, 403, closed=True)
    # The same answer whatever the outcome, as on the page; it stays inside the frame.
    return redirect(url_for("embed.signed", slug=campaign.slug), code=303)


@bp.get("/campaigns/<slug>/embed/signed")
def signed(slug: str) -> Response:
    campaign = campaign_or_404(slug)
    html = render_template(
        "signing/embed_signed.html", campaign=campaign, text=localized_text(campaign)
    )
    return _framed(campaign, make_response(html))


_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="72" viewBox="0 0 320 72" '
    'role="img" aria-labelledby="counter-title" lang="{lang}">'
    '<title id="counter-title">{title}</title>'
    '<rect x="0.5" y="0.5" width="319" height="71" rx="6" fill="#ffffff" stroke="#1d3557"/>'
    '<text x="16" y="30" font-family="system-ui, sans-serif" font-size="20" '
    'font-weight="700" fill="#1d3557">{count}</text>'
    '<text x="16" y="50" font-family="system-ui, sans-serif" font-size="13" '
    'fill="#333333">{goal}</text>'
    '<rect x="16" y="58" width="288" height="6" rx="3" fill="#dddddd"/>'
    '<rect x="16" y="58" width="{bar:.1f}" height="6" rx="3" fill="#c1121f"/>'
    "</svg>"
)


def counter_svg(campaign: Campaign, count: int) -> str:
    """The badge, in the request's language: every text escaped, no script, no link."""
    number, goal = format_number(count), format_number(campaign.goal)
    title = ngettext(
        "%(count)s signature of a goal of %(goal)s: %(title)s",
        "%(count)s signatures of a goal of %(goal)s: %(title)s",
        count,
        count=number,
        goal=goal,
        title=localized_text(campaign).title,
    )
    return _SVG.format(
        lang=escape(language_tag(str(get_locale()))),
        title=escape(title),
        count=escape(ngettext("%(count)s signature", "%(count)s signatures", count, count=number)),
        goal=escape(gettext("of a goal of %(goal)s", goal=goal)),
        bar=288 * min(1.0, count / campaign.goal) if campaign.goal > 0 else 0.0,
    )


@bp.get("/campaigns/<slug>/counter.svg")
def counter(slug: str) -> Response:
    """The count and the goal as an accessible SVG image: no script, cacheable a minute."""
    campaign = campaign_or_404(slug)
    tally = current_tally(campaign)
    count = tally.signature_count
    response = make_response(counter_svg(campaign, count))
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
