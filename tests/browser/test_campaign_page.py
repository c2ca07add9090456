"""The campaign as a supporter meets it on a phone and shares it, and the organisers' pages,
in a real browser: the first screen, the share card, the asks after signing, the emails,
the organisation's identity, the dashboard's plots on a phone, and axe-core on every page in
English and French. Screenshots of every supporter page at 390 and 1280 px land in
test-output/screenshots/page-*/."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from campaign.branding.services import IdentityInput, NextStep, update_identity
from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.browser.test_pages import closed_campaign, expired_link_path
from tests.browser.words import FormWords
from tests.factories import PASSWORD, add_signature, make_organiser
from tests.smtp import SmtpServer

PHONE = (390, 844)
DESKTOP = (1280, 800)
SHARE_CARD_LIMIT = 600 * 1024


@dataclass(frozen=True)
class Words(FormWords):
    sign: str
    confirm: str
    hello: str
    resend: str
    resent: str


ENGLISH = Words(
    "en", "en-GB", "First name", "Last name", "Email address", "Country",
    "Sign the petition", "Confirm my signature", "Hello Ada,", "Send the email again",
    "we have sent it again",
)  # fmt: skip
FRENCH = Words(
    "fr", "fr-FR", "Prénom", "Nom", "Adresse e-mail", "Pays",
    "Signer la pétition", "Confirmer ma signature", "Bonjour Ada,", "Renvoyer l’e-mail",
    "nous l’avons renvoyée",
)  # fmt: skip


def shoot(browsing: Any, step: str) -> None:
    """The page as it is, at a phone's width and a desktop's, checked by axe-core at both."""
    page = browsing.page
    assert page.locator("[style]").count() == 0  # nothing a strict CSP would block
    for width, height in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        browsing.screenshot(f"{step}-{width}")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})


def in_first_screen(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def plain_text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


@pytest.mark.parametrize("words", [ENGLISH, FRENCH], ids=lambda w: w.lang)
def test_on_a_phone_the_first_screen_has_the_picture_the_title_the_count_and_the_way_to_sign(
    visit: Any, seeded: str, words: Words
) -> None:
    browsing = visit(
        f"page-first-screen-{words.lang}", viewport=PHONE, locale=words.locale, mobile=True
    )
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    page.wait_for_load_state("load")

    for selector in (".campaign-image", "h1", ".tally-count", "progress"):
        assert in_first_screen(page, selector), selector
    assert in_first_screen(page, "#first_name") or in_first_screen(page, ".sign-jump a")
    # The picture is the first thing seen: loaded at once, never lazily.
    image = page.locator(".campaign-image")
    assert image.get_attribute("loading") != "lazy"
    assert page.evaluate("() => document.querySelector('.campaign-image').naturalWidth") > 0
    assert image.get_attribute("alt")
    page.screenshot(path=str(browsing.folder / "first-screen.png"))

    # The Sign button takes the supporter to the form, its first field in view.
    page.locator(".sign-jump a").click()
    page.wait_for_function("() => location.hash === '#sign'")
    assert in_first_screen(page, "#first_name")
    assert_fits_the_width(page)


def test_on_a_wide_screen_the_form_stays_beside_the_text(visit: Any, seeded: str) -> None:
    browsing = visit("page-sticky", viewport=DESKTOP)
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    assert not page.locator(".sign-jump").is_visible()  # the form is there already
    form, text = page.locator(".sign").bounding_box(), page.locator(".text").bounding_box()
    assert form and text and form["x"] > text["x"] + text["width"] - 1
    page.mouse.wheel(0, 1200)
    page.wait_for_function("() => window.scrollY > 600")
    assert in_first_screen(page, ".sign button[type=submit]")
    browsing.screenshot("scrolled")


def test_the_share_card_is_a_large_image_under_600_kb_with_its_description(
    visit: Any, seeded: str
) -> None:
    browsing = visit("page-share-card")
    page = browsing.page
    page.goto(f"/campaigns/{seeded}?lang=fr")

    def meta(attribute: str, name: str) -> str:
        return str(page.locator(f'meta[{attribute}="{name}"]').get_attribute("content"))

    assert meta("name", "twitter:card") == "summary_large_image"
    assert meta("property", "og:image:alt")
    assert meta("property", "og:image:alt") == meta("name", "twitter:image:alt")
    url = meta("property", "og:image")
    assert url.startswith(browsing.server + "/"), url  # absolute: networks fetch it from outside
    response = page.request.get(url)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    body = response.body()
    assert len(body) < SHARE_CARD_LIMIT
    with Image.open(io.BytesIO(body)) as card:
        assert card.size == (1200, 630)
    assert (meta("property", "og:image:width"), meta("property", "og:image:height")) == (
        "1200",
        "630",
    )
    # The icon of the tab, and of a bookmark.
    assert page.request.get(str(page.locator("link[rel=icon]").first.get_attribute("href"))).ok
    assert page.request.get("/favicon.ico").ok


def test_sharing_copies_the_link_with_javascript_and_shows_it_without(
    visit: Any, seeded: str
) -> None:
    with_script = visit("page-share-js").page
    with_script.context.grant_permissions(["clipboard-read", "clipboard-write"])
    with_script.goto(f"/campaigns/{seeded}")
    share = with_script.locator("section.share").last
    links = share.locator("ul a")
    sources = [
        re.search(r"source(?:%3D|=)([\w.-]+)", str(links.nth(i).get_attribute("href")))
        for i in range(links.count())
    ]
    assert [s.group(1) if s else None for s in sources] == [
        "whatsapp",
        "facebook",
        "twitter",
        "telegram",
        "email",
    ]
    for i in range(links.count()):  # our own drawings, inline: nothing fetched from the networks
        assert links.nth(i).locator("svg").count() == 1
    share.get_by_role("button", name="Copy").click()
    with_script.wait_for_function("() => document.querySelector('.copy-status').textContent !== ''")
    assert with_script.evaluate("() => navigator.clipboard.readText()").endswith("?source=link")

    without = visit("page-share-no-js", javascript=False).page
    without.goto(f"/campaigns/{seeded}")
    field = without.get_by_label("Or copy this link:")
    assert field.input_value().endswith("?source=link")
    assert not without.get_by_role("button", name="Copy").is_visible()


@pytest.mark.parametrize("words", [ENGLISH, FRENCH], ids=lambda w: w.lang)
def test_every_supporter_page_signing_to_sharing_at_390_and_1280_px(
    visit: Any,
    seeded: str,
    app: Flask,
    smtp_server: SmtpServer,
    deliver_mail: Any,
    words: Words,
) -> None:
    browsing = visit(
        f"page-supporter-{words.lang}", viewport=PHONE, locale=words.locale, mobile=True
    )
    page = browsing.page
    address = f"ada.lovelace-{words.lang}@example.org"
    page.goto(f"/campaigns/{seeded}?source=newsletter")
    shoot(browsing, "campaign")
    page.get_by_role("button", name=words.sign).click()
    page.wait_for_selector("#error-summary")
    shoot(browsing, "errors")

    page.get_by_label(words.first_name, exact=True).fill("Ada")
    page.get_by_label(words.last_name, exact=True).fill("Lovelace")
    page.get_by_label(words.email).fill(address)
    page.get_by_label(words.country).select_option("GB")
    page.get_by_role("button", name=words.sign).click()
    page.wait_for_url(re.compile(r"/signed"))

    # While the email travels: the address it went to (masked), and a request to share, with
    # links that say they came from this page.
    main = page.locator("main").inner_text()
    assert f"a•••{words.lang[-1]}@example.org" in main
    assert address not in page.content()
    share_links = page.locator(".share ul a")
    hrefs = [str(share_links.nth(i).get_attribute("href")) for i in range(share_links.count())]
    assert len(hrefs) == 5 and all("signed-" in href for href in hrefs), hrefs
    assert "signed-link" in page.locator(".share input").input_value()
    shoot(browsing, "check-email")

    # The email greets by first name, in the supporter's language, from the organisation.
    deliver_mail()
    [first] = smtp_server.received
    text = plain_text(first.message)
    assert text.startswith(words.hello), text
    html = first.message.get_body(preferencelist=("html",)).get_content()
    assert 'name="viewport"' in html and words.hello in html
    # The HTML part, as a phone's mail app shows it: it fits, and reads.
    email = browsing.context.new_page()
    email.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    email.set_content(html)
    assert_fits_the_width(email)
    assert email.locator("a", has_text=words.confirm).is_visible()
    email.screenshot(path=str(browsing.folder / "email-confirm-390.png"), full_page=True)
    email.close()

    # "Send it again" sends the link again, and says so without telling more.
    page.get_by_role("button", name=words.resend).click()
    page.wait_for_url(re.compile(r"resent=1"))
    assert words.resent in page.locator("main").inner_text()
    shoot(browsing, "resent")
    deliver_mail()
    assert len(smtp_server.received) == 2
    link = re.search(
        r"http://127\.0\.0\.1:\d+/confirm/\S+", plain_text(smtp_server.received[1].message)
    )
    assert link

    page.goto(link.group(0))
    shoot(browsing, "confirm")
    page.get_by_role("button", name=words.confirm).click()
    page.wait_for_selector(".share")
    hrefs = [str(a.get_attribute("href")) for a in page.locator(".share ul a").all()]
    assert all("thanks-" in href for href in hrefs), hrefs
    shoot(browsing, "thank-you")

    manage = {
        purpose: re.search(rf"http://127\.0\.0\.1:\d+/{purpose}/\S+", text)
        for purpose in ("unsubscribe", "delete")
    }
    assert manage["unsubscribe"] and manage["delete"], text
    for name, path in {
        "counted": f"/campaigns/{seeded}",
        "privacy-notice": "/privacy",
        "stop-news": manage["unsubscribe"].group(0),
        "delete": manage["delete"].group(0),
        "link-invalid": "/confirm/not-a-real-token",
        "link-expired": expired_link_path(app, seeded),
        "not-found": "/no/such/page",
        "campaign-closed": f"/campaigns/{closed_campaign(app)}",
    }.items():
        page.goto(path)
        shoot(browsing, name)


def set_identity(app: Flask, **values: Any) -> None:
    logo = Image.new("RGB", (300, 120), "#ffd600")
    buffer = io.BytesIO()
    logo.save(buffer, format="PNG")
    wanted = IdentityInput(
        name=values.get("name", "Droits Devant"),
        accent_colour=values.get("accent_colour", "#7a1f2b"),
        next_step=values.get("next_step", NextStep.SHARE),
        donate_url=values.get("donate_url"),
        next_campaign_slug=values.get("next_campaign_slug"),
        logo=buffer.getvalue(),
    )
    with app.app_context():
        update_identity(db.session, wanted, now=utcnow())
        db.session.commit()


def test_the_organisation_name_logo_and_colour_are_on_every_page_and_in_the_emails(
    visit: Any, seeded: str, app: Flask, smtp_server: SmtpServer, deliver_mail: Any
) -> None:
    set_identity(app, next_step=NextStep.DONATE, donate_url="https://example.org/give")
    browsing = visit("page-identity", viewport=PHONE, mobile=True)
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    header = page.locator(".site-header")
    assert "Droits Devant" in header.inner_text()
    assert "Petition" not in header.inner_text()
    logo = header.locator("img")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", logo.element_handle())
    accent = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == "#7a1f2b"
    shoot(browsing, "campaign")

    page.get_by_label("First name", exact=True).fill("Grace")
    page.get_by_label("Last name", exact=True).fill("Hopper")
    page.get_by_label("Email address").fill("grace@example.org")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Sign the petition").click()
    page.wait_for_url(re.compile(r"/signed"))
    deliver_mail()
    [received] = smtp_server.received
    assert str(received.message["From"]).startswith("Droits Devant <")
    assert re.search(r"^--\r?\nDroits Devant\r?$", plain_text(received.message), re.M)
    link = re.search(r"http://127\.0\.0\.1:\d+/confirm/\S+", plain_text(received.message))
    assert link
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my signature").click()
    donate = page.get_by_role("link", name="Donate")
    assert donate.get_attribute("href") == "https://example.org/give"
    shoot(browsing, "thank-you-donate")


def visible_plot_label_heights(page: Any) -> list[float]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('.plot svg text')]
                .filter(t => t.getClientRects().length > 0 && t.textContent.trim() !== '')
                .map(t => t.getBoundingClientRect().height)"""
        )
    )


def log_in(page: Any, email: str) -> None:
    page.goto("/organiser/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/organiser/?$"))


@pytest.fixture
def admin_with_data(app: Flask, seeded: str) -> str:
    with app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.slug == seeded)).one()
        make_organiser(db.session, "admin@example.org", admin=True)
        now = utcnow()
        for i, (country, source) in enumerate(
            [("GB", "twitter"), ("FR", "whatsapp"), ("DE", "signed-whatsapp"), ("KE", None)] * 6
        ):
            add_signature(
                db.session, campaign.id, confirmed_at=now - timedelta(hours=3 * i, minutes=1),
                country=country, source=source,
            )  # fmt: skip
        db.session.commit()
    return "admin@example.org"


def test_on_a_phone_every_plot_label_is_at_least_11_px_and_tables_scroll_sideways(
    visit: Any, seeded: str, admin_with_data: str
) -> None:
    browsing = visit("page-dashboard-phone", viewport=(375, 812), mobile=True)
    page = browsing.page
    log_in(page, admin_with_data)
    page.goto(f"/organiser/campaigns/{seeded}")
    heights = visible_plot_label_heights(page)
    assert len(heights) > 10, heights
    assert min(heights) >= 11, sorted(heights)[:5]
    assert_fits_the_width(page)
    browsing.screenshot("dashboard")

    page.set_viewport_size({"width": 1280, "height": 800})
    assert min(visible_plot_label_heights(page)) >= 11
    browsing.screenshot("dashboard-wide")


@pytest.mark.parametrize("words", [ENGLISH, FRENCH], ids=lambda w: w.lang)
def test_every_organiser_page_passes_axe_and_fits_a_phone(
    visit: Any, seeded: str, admin_with_data: str, words: Words
) -> None:
    browsing = visit(f"page-organiser-{words.lang}", locale=words.locale)
    page = browsing.page
    page.goto("/organiser/login")
    assert_accessible(page)
    log_in(page, admin_with_data)
    for name, path in {
        "campaigns": "/organiser/",
        "dashboard": f"/organiser/campaigns/{seeded}",
        "settings": f"/organiser/campaigns/{seeded}/settings",
        "cleanup": f"/organiser/campaigns/{seeded}/cleanup",
        "report": f"/organiser/campaigns/{seeded}/report",
        "audit": "/organiser/audit",
        "organisation": "/organiser/organisation",
    }.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, response)
        assert page.evaluate("() => document.documentElement.lang") == words.lang
        assert_accessible(page)
        page.set_viewport_size({"width": 375, "height": 812})
        assert_fits_the_width(page)
        browsing.screenshot(name)
        page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})


def test_the_organisation_settings_refuse_a_pale_accent_and_save_a_logo(
    visit: Any, seeded: str, admin_with_data: str, tmp_path: Any
) -> None:
    browsing = visit("page-organisation-settings")
    page = browsing.page
    log_in(page, admin_with_data)
    page.goto("/organiser/organisation")
    page.get_by_label("Organisation name").fill("Droits Devant")
    page.get_by_label("Accent colour").fill("#ffd600")  # yellow on white: 1.4:1
    page.get_by_role("button", name="Save").click()
    assert "4.5:1" in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    browsing.screenshot("refused")

    logo = tmp_path / "logo.png"
    Image.new("RGB", (640, 200), "#0b6e4f").save(logo)
    page.get_by_label("Accent colour").fill("#0b6e4f")
    page.locator("#logo").set_input_files(str(logo))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"saved=1"))
    assert "Droits Devant" in page.locator(".site-header").inner_text()
    assert page.locator(".site-header img").count() == 1
    assert_accessible(page)
    browsing.screenshot("saved")
