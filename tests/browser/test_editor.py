"""The campaign editor in a real browser, in English and French, at phone and desktop width:
start a draft (and its error page), the languages page, a translation beside the main
language, the preview, publishing. Each page passes axe-core and fits a 320 px screen; and
the whole life works without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from campaign.extensions import db
from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.factories import PASSWORD, make_organiser

CREATOR = "creator@example.org"


def check(browsing: Any, name: str, lang: str) -> None:
    """axe-core at desktop width, then at phone width (where it must fit), screenshots of
    both."""
    page = browsing.page
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert_accessible(page)
    browsing.screenshot(f"{name}-desktop")
    page.set_viewport_size({"width": 320, "height": 640})
    assert_accessible(page)
    assert_fits_the_width(page)
    browsing.screenshot(f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def creator(app: Flask) -> str:
    with app.app_context():
        made = make_organiser(db.session, CREATOR)
        made.can_create_campaigns = True
        db.session.commit()
    return CREATOR


def log_in(page: Any, lang: str) -> None:
    page.goto(f"/organiser/login?lang={lang}")
    page.fill("#email", CREATOR)
    page.fill("#password", PASSWORD)
    page.locator("form:has(#password) button[type=submit]").click()
    assert page.url.split("?")[0].endswith("/organiser/")


WORDS = {
    "en": {
        "title": "Free the press",
        "summary": "Journalists must be able to work without spyware on their phones.",
        "target": "The Council of Europe",
        "body": "## Our demand\n\nEnd the surveillance of journalists, **now**.",
    },
    "fr": {
        "title": "Libérez la presse",
        "summary": "Les journalistes doivent pouvoir travailler sans logiciel espion.",
        "target": "Le Conseil de l'Europe",
        "body": "## Notre demande\n\nMettez fin à la surveillance des journalistes.",
    },
}


def fill_words(page: Any, lang: str) -> None:
    for name, value in WORDS[lang].items():
        page.fill(f"#{name}", value)


def start_draft(page: Any, slug: str, lang: str) -> None:
    """A new campaign, its main language the page's (the form's default)."""
    page.fill("#slug", slug)
    fill_words(page, lang)
    page.fill("#goal", "5000")
    page.locator("form.editor-form button[type=submit]").click()


def translate(page: Any, lang: str) -> None:
    fill_words(page, lang)
    page.locator("form.editor-form button[type=submit]").click()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_editor_pages_are_accessible_in_english_and_french(
    visit: Any, creator: str, lang: str
) -> None:
    browsing = visit(f"campaign-editor-{lang}")
    page = browsing.page
    log_in(page, lang)
    slug = f"free-the-press-{lang}"
    other = "fr" if lang == "en" else "en"

    page.goto(f"/organiser/campaigns/new?lang={lang}")
    check(browsing, "new", lang)
    # Sent empty: the errors, each tied to its field.
    page.locator("form.editor-form button[type=submit]").click()
    assert page.locator(".error-summary li").count() >= 5
    assert page.locator("#title").get_attribute("aria-invalid") == "true"
    check(browsing, "new-errors", lang)

    start_draft(page, slug, lang)
    page.wait_for_url(f"**/organiser/campaigns/{slug}/edit*")
    check(browsing, "edit-draft", lang)

    page.goto(f"/organiser/campaigns/{slug}/text/{lang}?lang={lang}")
    check(browsing, "text-main", lang)
    page.goto(f"/organiser/campaigns/{slug}/text/{other}?lang={lang}")
    assert page.locator(".side-by-side .original").count() == 4
    check(browsing, "text-translation-empty", lang)
    translate(page, other)
    page.wait_for_url(f"**/text/{other}?*saved=1*")
    assert page.locator(".notice").count() == 1
    check(browsing, "text-translation-saved", lang)

    page.goto(f"/organiser/campaigns/{slug}/preview?lang={lang}")
    assert page.locator(".preview-banner").count() == 1
    check(browsing, "preview", lang)
    page.goto(f"/organiser/campaigns/{slug}/preview?lang={other}")
    assert page.locator("h1").inner_text() == WORDS[other]["title"]

    page.goto(f"/organiser/campaigns/{slug}/edit?lang={lang}")
    page.locator("form.publish-form button").click()
    check(browsing, "edit-published", lang)
    response = page.goto(f"/campaigns/{slug}?lang={lang}")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == WORDS[lang]["title"]
    page.goto(f"/campaigns/{slug}?lang={other}")
    assert page.locator("h1").inner_text() == WORDS[other]["title"]


def test_the_campaign_life_works_without_javascript(visit: Any, creator: str) -> None:
    browsing = visit("campaign-editor-no-javascript", javascript=False)
    page = browsing.page
    log_in(page, "en")
    page.click("text=New campaign")
    start_draft(page, "free-the-press", "en")
    assert "The draft is saved" in page.content()
    response = page.request.get("/campaigns/free-the-press")
    assert response.status == 404

    page.click("text=Translate")
    assert "Le Conseil de l'Europe" not in page.content()
    translate(page, "fr")
    assert "This language is complete" in page.content()
    page.click("text=Preview the page in French")
    assert page.locator("h1").inner_text() == "Libérez la presse"
    browsing.screenshot("preview-fr")
    page.click("text=Retour à l'éditeur")
    page.locator("form.publish-form button").click()
    assert "Publiée" in page.content()
    assert page.request.get("/campaigns/free-the-press").status == 200
    browsing.screenshot("published")
