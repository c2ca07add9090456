"""Every other public page, in English and French: axe-core finds nothing, and nothing
scrolls sideways at 320 px. And the layout mirrors for right-to-left languages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.signing.services import SignatureInput, SigningPolicy, sign_petition
from tests.browser.accessibility import assert_fits_the_width, visit_page
from tests.factories import make_campaign
from tests.helpers import email_text


def expired_link_path(app: Flask, slug: str) -> str:
    """A confirmation link whose time ran out: signed 40 days ago, valid for 30."""
    with app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.slug == slug)).one()
        sign_petition(
            db.session,
            campaign,
            SignatureInput("Old", "Signer", "old@example.org", "FR", None, False, None, "en", None),
            now=utcnow() - timedelta(days=40),
            policy=SigningPolicy(timedelta(days=30), repeat_email_limit=3, tally_shards=1),
        )
        db.session.commit()
    match = re.search(r"/confirm/[\w-]+", email_text(app))
    assert match
    return match.group(0)


def closed_campaign(app: Flask) -> str:
    with app.app_context():
        campaign = make_campaign(db.session, closes_at=utcnow() - timedelta(days=1))
        db.session.commit()
        return campaign.slug


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_other_public_page_is_accessible_and_fits_a_small_screen(
    visit: Any, app: Flask, seeded: str, lang: str
) -> None:
    # Each page with the status it must answer with (a browser and a crawler read it too).
    pages = {
        "link-invalid": ("/confirm/this-is-not-a-token", 404),
        "link-expired": (expired_link_path(app, seeded), 410),
        "not-found": ("/no/such/page", 404),
        "campaign-closed": (f"/campaigns/{closed_campaign(app)}", 200),
        "check-email": (f"/campaigns/{seeded}/signed", 200),
    }
    browsing = visit(f"pages-{lang}")
    for name, (path, status) in pages.items():
        visit_page(browsing, path, lang, name, status)


def test_the_layout_mirrors_for_a_right_to_left_language(visit: Any, seeded: str) -> None:
    # No right-to-left language ships yet: turn the page around as its `dir` would.
    browsing = visit("right-to-left")
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    page.evaluate("() => { document.documentElement.dir = 'rtl'; }")

    form = page.locator("section.sign").bounding_box()
    text = page.locator("div.text").bounding_box()
    quote = page.locator("div.text blockquote").first
    # Beside the text at the end of the line, as on the right in English: here on the left.
    assert form and text and form["x"] + form["width"] <= text["x"]
    assert quote.evaluate("e => getComputedStyle(e).borderRightWidth") == "6px"
    assert quote.evaluate("e => getComputedStyle(e).borderLeftWidth") == "0px"
    browsing.screenshot("desktop")
    page.set_viewport_size({"width": 320, "height": 640})
    assert_fits_the_width(page)
    browsing.screenshot("phone")
