"""The API at /api/v1: OSDI petitions and signatures, for keys made by admins."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import force_locale
from limits import parse_many
from werkzeug.exceptions import HTTPException

from campaign.api.keys import KeyHolder, use_key
from campaign.api.openapi import openapi_document
from campaign.api.problems import problem
from campaign.api.recording import InvalidPerson, read_person, signature_input
from campaign.api.services import (
    BadApiRequest,
    Cursor,
    Page,
    Paging,
    as_utc,
    deleted_signatures_page,
    find_signature,
    osdi_time,
    parse_modified_since,
    parse_paging,
    petition_resource,
    signature_identifier,
    signature_resource,
    signatures_page,
    visible_campaigns,
)
from campaign.campaigns.models import Campaign
from campaign.campaigns.questions import campaign_questions
from campaign.campaigns.services import campaign_text, find_public_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import csrf, db, limiter
from campaign.identity import normalise_email
from campaign.links import public_url_for
from campaign.protection.requests import accepts_body
from campaign.signing.page import signing_policy
from campaign.signing.services import CampaignClosed, SignOutcome, sign_petition
from campaign.tallies.services import read_tally

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # keys, not cookies: a forged cross-site request carries no key
HAL = "application/hal+json"
PUBLIC_ENDPOINTS = {"api.openapi", "api.root"}


def _hal(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = HAL
    response.headers["Cache-Control"] = "no-store"
    return response


def presented_key() -> str | None:
    """The key in `OSDI-API-Token` (Action Network's header) or `Authorization: Bearer`."""
    token = request.headers.get("OSDI-API-Token")
    if token:
        return token.strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    key = presented_key()
    holder = use_key(db.engine, key, now=utcnow()) if key else None
    if holder is None:
        return problem(
            401,
            "Unauthorized",
            "Send a valid API key in the OSDI-API-Token header (or Authorization: Bearer).",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    g.api_key = holder
    return _over_limit(holder)


def _over_limit(holder: KeyHolder) -> Response | None:
    """429 when this key made more requests than RATELIMIT_API_PER_KEY allows."""
    if not limiter.enabled:
        return None
    try:
        for item in parse_many(current_app.config["RATELIMIT_API_PER_KEY"]):
            if not limiter.limiter.hit(item, "api-key", str(holder.key_id)):
                reset = limiter.limiter.get_window_stats(item, "api-key", str(holder.key_id))
                wait = max(1, int(reset.reset_time - utcnow().timestamp()))
                return problem(
                    429,
                    "Too Many Requests",
                    "This key made too many requests; wait and try again.",
                    headers={"Retry-After": str(wait)},
                )
    except Exception:  # the limit storage is down: serve rather than refuse
        log.warning("Rate-limit storage unavailable; API request not counted")
    return None


@bp.errorhandler(HTTPException)
def http_problem(error: HTTPException) -> Response:
    code = error.code or 500
    headers = {}
    if error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(code, error.name, headers=headers)


@bp.errorhandler(BadApiRequest)
def bad_request(error: BadApiRequest) -> Response:
    return problem(400, "Bad Request", str(error))


def _key() -> KeyHolder:
    holder: KeyHolder = g.api_key
    return holder


def _campaign(slug: str) -> Campaign:
    """The campaign, if the key may see it: any other (a draft too) is 404, as if it did not
    exist."""
    campaign = find_public_campaign_by_slug(db.session, slug)
    if campaign is None or not _key().may_see(campaign.id):
        raise _NotFound()
    return campaign


class _NotFound(Exception):
    pass


@bp.errorhandler(_NotFound)
def not_found(_error: _NotFound) -> Response:
    return problem(404, "Not Found", "No petition with this identifier for this key.")


def _petition(campaign: Campaign) -> dict[str, Any]:
    text = campaign_text(db.session, campaign, campaign.locale)
    total = read_tally(db.session, campaign.id).signature_count
    slug = campaign.slug
    return petition_resource(
        campaign,
        text,
        total,
        {
            "browser_url": public_url_for("signing.show", slug=slug),
            "self": public_url_for("api.petition", slug=slug),
            "osdi:signatures": public_url_for("api.signatures", slug=slug),
            "osdi:record_signature_helper": public_url_for("api.signatures", slug=slug),
            "campaign:deleted_signatures": public_url_for("api.deleted_signatures", slug=slug),
        },
    )


@bp.get("/")
def root() -> Response:
    """The entry point: where the collections are (no key needed to read this)."""
    return _hal(
        {
            "motd": "OSDI petitions and signatures. See /api/v1/openapi.json.",
            "_links": {
                "self": {"href": public_url_for("api.root")},
                "osdi:petitions": {"href": public_url_for("api.petitions")},
                "docs": {"href": public_url_for("api.openapi")},
            },
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    response = jsonify(openapi_document(public_url_for("api.root").rstrip("/")))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/petitions")
def petitions() -> Response:
    paging = parse_paging(request.args.get("page"), request.args.get("per_page"), None)
    campaigns = visible_campaigns(db.session, _key().campaign_id)
    start = (paging.page - 1) * paging.per_page
    shown = campaigns[start : start + paging.per_page]
    links = _page_links(
        "api.petitions", {}, paging, has_more=start + paging.per_page < len(campaigns)
    )
    return _hal(
        {
            **_totals(len(campaigns), paging),
            "_links": links,
            "_embedded": {"osdi:petitions": [_petition(campaign) for campaign in shown]},
        }
    )


@bp.get("/petitions/<slug>")
def petition(slug: str) -> Response:
    return _hal(_petition(_campaign(slug)))


def _totals(total: int, paging: Paging) -> dict[str, int]:
    return {
        "total_records": total,
        "total_pages": max(1, -(-total // paging.per_page)),
        "page": paging.page,
        "per_page": paging.per_page,
    }


_PAGING_PARAMETERS = ("filter", "per_page", "page", "cursor")


def _paging_query() -> dict[str, str]:
    """The request's own paging parameters, and only those: anything else in the query (a
    `slug`, or url_for's `_external`) must not reach url_for."""
    return {key: value for key, value in request.args.items() if key in _PAGING_PARAMETERS}


def _page_links(
    endpoint: str,
    values: dict[str, Any],
    paging: Paging,
    *,
    has_more: bool,
    page: Page | None = None,
) -> dict[str, Any]:
    query = {key: value for key, value in request.args.items() if key in ("filter",)}
    query["per_page"] = str(paging.per_page)
    links: dict[str, Any] = {
        "self": {"href": public_url_for(endpoint, **values, **_paging_query())}
    }
    if has_more:
        after = {"cursor": page.last.encode()} if page and page.last else {}
        links["next"] = {
            "href": public_url_for(endpoint, **values, **query, page=paging.page + 1, **after)
        }
    if paging.page > 1 and (page is None or page.has_fewer):
        before = {"cursor": page.first.encode()} if page and page.first else {}
        links["prev"] = {
            "href": public_url_for(endpoint, **values, **query, page=paging.page - 1, **before)
        }
    return links


def _paging() -> Paging:
    return parse_paging(
        request.args.get("page"), request.args.get("per_page"), request.args.get("cursor")
    )


@bp.get("/petitions/<slug>/signatures")
def signatures(slug: str) -> Response:
    campaign = _campaign(slug)
    paging = _paging()
    since = parse_modified_since(request.args.get("filter"))
    page = signatures_page(db.session, campaign.id, paging, since)
    petition_url = public_url_for("api.petition", slug=slug)
    items = [
        signature_resource(signature, {"osdi:petition": petition_url}) for signature in page.rows
    ]
    return _hal(
        {
            **_totals(page.total, paging),
            "_links": _page_links(
                "api.signatures", {"slug": slug}, paging, has_more=page.has_more, page=page
            ),
            "_embedded": {"osdi:signatures": items},
        }
    )


@bp.get("/petitions/<slug>/deleted_signatures")
def deleted_signatures(slug: str) -> Response:
    """Tombstones: signatures a syncing CRM must delete (identifiers and times only)."""
    campaign = _campaign(slug)
    paging = _paging()
    since = parse_modified_since(request.args.get("filter"))
    page = deleted_signatures_page(db.session, campaign.id, paging, since)
    items = [
        {"identifiers": [signature_identifier(row[0])], "deleted_date": osdi_time(cursor.at)}
        for row, cursor in zip(page.rows, _row_times(page), strict=True)
    ]
    return _hal(
        {
            **_totals(page.total, paging),
            "_links": _page_links(
                "api.deleted_signatures",
                {"slug": slug},
                paging,
                has_more=page.has_more,
                page=page,
            ),
            "_embedded": {"campaign:deleted_signatures": items},
        }
    )


def _row_times(page: Page) -> list[Cursor]:
    return [Cursor(as_utc(row[1]), row[0]) for row in page.rows]


@bp.post("/petitions/<slug>/signatures")
@accepts_body("application/json")
def record_signature(slug: str) -> Response:
    """OSDI's record-signature helper: a pending signature and a confirmation email, as
    the web form makes; the count rises only when the person confirms."""
    campaign = _campaign(slug)
    if _key().read_only:
        return problem(403, "Forbidden", "This key is read-only.")
    body = request.get_json(force=True, silent=True)
    if body is None:
        return problem(400, "Bad Request", "The body must be JSON.")
    locale = _language(body)
    try:
        with force_locale(locale):  # field errors in the person's language
            person = read_person(body, campaign_questions(campaign.questions), locale)
    except InvalidPerson as error:
        return problem(
            422, "Unprocessable Content", "Some fields are not valid.", errors=error.errors
        )
    try:
        outcome = sign_petition(
            db.session,
            campaign,
            signature_input(person, locale),
            now=utcnow(),
            policy=signing_policy(),
        )
    except CampaignClosed:
        db.session.rollback()
        return problem(409, "Conflict", "This petition is not taking signatures now.")
    signature = find_signature(db.session, campaign.id, normalise_email(person.email))
    assert signature is not None
    resource = signature_resource(
        signature, {"osdi:petition": public_url_for("api.petition", slug=slug)}
    )
    db.session.commit()
    return _hal(resource, 201 if outcome is SignOutcome.NEW else 200)


def _language(body: Any) -> str:
    """The person's first language we speak (OSDI's `languages_spoken`), else the default."""
    languages: list[str] = current_app.config["LANGUAGES"]
    person = body.get("person") if isinstance(body, dict) else None
    spoken = person.get("languages_spoken") if isinstance(person, dict) else None
    if isinstance(spoken, list):
        for code in spoken:
            if isinstance(code, str) and code.lower()[:2] in languages:
                return code.lower()[:2]
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])
