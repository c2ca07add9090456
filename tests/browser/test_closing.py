"""Milestones and closing with an outcome in a real browser (the forms need no script): the
organiser pages and a closed campaign's page pass axe-core in English and French, at phone
and desktop width. Screenshots land in test-output/screenshots/page-closing-*/."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from campaign.extensions import db
from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.browser.test_campaign_page import (
    DESKTOP,
    ENGLISH,
    FRENCH,
    PHONE,
    Words,
    admin_with_data,
    log_in,
)
from tests.factories import campaign_by_slug

__all__ = ["admin_with_data"]  # a fixture used here (seeded comes from tests/fixtures)


def close_with_an_outcome(app: Flask, slug: str) -> None:
    with app.app_context():
        campaign = campaign_by_slug(db.session, slug)
        campaign.goal = 10
        campaign.milestones = [
            {
                "count": 50,
                "texts": {"en": "we deliver it to the UN", "fr": "nous la remettons à l'ONU"},
            }
        ]
        db.session.commit()


def both_widths(browsing: Any, name: str) -> None:
    page = browsing.page
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        assert_fits_the_width(page)
        browsing.screenshot(f"{name}-{label}")


@pytest.mark.parametrize("words", [ENGLISH, FRENCH], ids=lambda w: w.lang)
def test_the_milestones_and_closing_pages_and_a_closed_page_pass_axe(
    visit: Any, app: Flask, seeded: str, admin_with_data: str, words: Words
) -> None:
    close_with_an_outcome(app, seeded)
    browsing = visit(f"page-closing-{words.lang}", locale=words.locale)
    page = browsing.page
    log_in(page, admin_with_data)

    page.goto(f"/organiser/campaigns/{seeded}/milestones")
    both_widths(browsing, "milestones")
    page.locator("#count_1").fill("0")
    page.locator("form.milestones button[type=submit]").click()
    assert page.locator(".error-summary").count() == 1
    both_widths(browsing, "milestones-error")

    page.goto(f"/organiser/campaigns/{seeded}/close")
    both_widths(browsing, "close")
    page.locator("#kind-0").check()  # delivered
    page.locator("#on").fill("2027-03-04")
    page.locator("#text_en").fill("We handed the petition to the UN in Geneva.")
    page.locator("#text_fr").fill("Nous avons remis la pétition à l'ONU à Genève.")
    page.locator("form[action$='/close'] button[type=submit]").click()
    page.wait_for_url("**/close?saved=1**")
    both_widths(browsing, "closed-organiser")

    page.goto(f"/organiser/campaigns/{seeded}")
    both_widths(browsing, "dashboard-closed")

    response = page.goto(f"/campaigns/{seeded}")
    assert response is not None and response.status == 200
    text = page.locator("main").inner_text()
    if words.lang == "en":
        assert "Delivered on March 4, 2027" in text
        assert "We handed the petition to the UN in Geneva." in text
    else:
        assert "Remise le 4 mars 2027" in text
        assert "Nous avons remis la pétition à l'ONU à Genève." in text
    assert page.locator("input[name=first_name]").count() == 0
    both_widths(browsing, "closed-page")


def test_past_the_goal_the_page_shows_the_next_milestone(
    visit: Any, app: Flask, seeded: str, admin_with_data: str
) -> None:
    close_with_an_outcome(app, seeded)  # goal 10 and a milestone at 50: 24 signatures
    browsing = visit("page-closing-milestone")
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    text = page.locator(".tally").inner_text()
    assert "of a goal of 50" in text and "Help us reach 50" in text
    assert "we deliver it to the UN" in text
    both_widths(browsing, "milestone-page")
