"""The campaign's picture page in a real browser, in English and French, at a phone's and a
desktop's width: axe-core finds nothing on it (as it is, with an error, and once saved), a
picture is uploaded through the form (also without JavaScript), and the campaign page then
shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from campaign.extensions import db
from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.factories import PASSWORD, campaign_by_slug, make_organiser
from tests.pictures import photo_with_gps

ORGANISER = "pictures@example.org"
PHONE = (390, 844)
DESKTOP = (1280, 800)
ALTS = {
    "en": "Protesters hold up phones showing the word Stop outside parliament.",
    "fr": "Des manifestants brandissent des téléphones affichant « Stop » devant le parlement.",
}


@pytest.fixture
def organiser_of_seeded(app: Flask, seeded: str) -> str:
    with app.app_context():
        make_organiser(db.session, ORGANISER, campaigns=[campaign_by_slug(db.session, seeded)])
        db.session.commit()
    return ORGANISER


def log_in(page: Any) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(ORGANISER)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/organiser/?$"))


def check(browsing: Any, name: str, lang: str) -> None:
    """axe-core at both widths, nothing scrolls sideways on a phone, a screenshot of each."""
    page = browsing.page
    assert page.evaluate("() => document.documentElement.lang") == lang
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        if label == "phone":
            assert_fits_the_width(page)
        browsing.screenshot(f"{name}-{label}")
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})


def submit(page: Any, file: Path, alts: dict[str, str]) -> None:
    page.locator("#image").set_input_files(str(file))
    for locale, text in alts.items():
        page.locator(f"#alt_{locale}").fill(text)
    page.locator("form.settings-form button[type=submit]").click()


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-GB"), ("fr", "fr-FR")])
def test_the_picture_page_passes_axe_and_the_campaign_page_shows_the_upload(
    visit: Any, seeded: str, organiser_of_seeded: str, tmp_path: Path, lang: str, locale: str
) -> None:
    browsing = visit(f"campaign-image-{lang}", locale=locale)
    page = browsing.page
    log_in(page)
    page.goto(f"/organiser/campaigns/{seeded}")
    page.locator(f'a[href="/organiser/campaigns/{seeded}/image"]').click()
    page.wait_for_url(re.compile(r"/image$"))
    check(browsing, "default", lang)

    fake = tmp_path / "photo.jpg"
    fake.write_text("This is a letter, not a photo.\n", encoding="utf-8")
    submit(page, fake, ALTS)
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#image-error").is_visible()
    check(browsing, "refused", lang)

    photo = tmp_path / "photo-gps.jpg"
    photo.write_bytes(photo_with_gps())
    submit(page, photo, ALTS)
    page.wait_for_url(re.compile(r"/image\?saved=image$"))
    assert page.locator("p.notice[role=status]").is_visible()
    check(browsing, "saved", lang)

    page.goto(f"/campaigns/{seeded}")
    image = page.locator("img.campaign-image")
    assert image.get_attribute("src").startswith("/uploads/")
    assert image.get_attribute("alt") == ALTS[lang]
    # Loaded (its width in CSS pixels depends on the srcset entry the screen chose).
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "/uploads/" in image.evaluate("img => img.currentSrc")
    card = page.locator('meta[property="og:image"]').get_attribute("content")
    assert re.search(r"/uploads/[0-9a-f]{32}\.jpg$", card)
    assert page.locator('meta[property="og:image:alt"]').get_attribute("content") == ALTS[lang]
    check(browsing, "campaign-page", lang)


def test_a_picture_is_uploaded_and_removed_without_javascript(
    visit: Any, seeded: str, organiser_of_seeded: str, tmp_path: Path
) -> None:
    browsing = visit("campaign-image-no-javascript", javascript=False)
    page = browsing.page
    log_in(page)
    page.goto(f"/organiser/campaigns/{seeded}/image")
    photo = tmp_path / "photo-gps.jpg"
    photo.write_bytes(photo_with_gps(turned=True))

    submit(page, photo, {"en": ALTS["en"]})

    page.wait_for_url(re.compile(r"/image\?saved=image$"))
    preview = page.locator(".picture-preview img")
    assert preview.get_attribute("src").startswith("/uploads/")
    browsing.screenshot("saved")
    page.get_by_role("button", name="Remove the picture").click()
    page.wait_for_url(re.compile(r"/image\?saved=removed$"))
    assert "campaign-default" in (page.locator(".picture-preview img").get_attribute("src") or "")
    browsing.screenshot("removed")
