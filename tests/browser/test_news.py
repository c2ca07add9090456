"""Writing to supporters in a real browser, in English and French (the pages have no script): the
news list, the form (and its error), the preview, a test to yourself, the confirmation with
the number of recipients, Send, and the progress. Each page passes axe-core at a phone's
width and a desktop's; the news email itself is looked at as a phone shows it."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from campaign.database import utcnow
from campaign.extensions import db
from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.factories import PASSWORD, add_signature, campaign_by_slug, make_organiser
from tests.news.helpers import deliver_email, deliver_news
from tests.smtp import SmtpServer

SLUG = "surveillance-moratorium"
PHONE = (390, 844)
DESKTOP = (1280, 800)
ORGANISER = "organiser@example.org"
WORDS = {
    "en": {"write": "Write to supporters", "new": "Write news", "save": "Save and preview",
           "test": "Send me a test", "send": "Send to supporters…", "people": "will go to 2 people",
           "press": "Send to 2 people", "sent": "Sent"},
    "fr": {"write": "Écrire aux soutiens", "new": "Écrire une nouvelle",
           "save": "Enregistrer et prévisualiser", "test": "M’envoyer un test",
           "send": "Envoyer aux soutiens…", "people": "partira vers 2 personnes",
           "press": "Envoyer à 2 personnes", "sent": "Envoyés"},
}  # fmt: skip


@pytest.fixture
def news_ready(runner: FlaskCliRunner, app: Flask) -> str:
    """The real campaign, an organiser of it, and two supporters who asked for news (one
    signed in English, one in French)."""
    result = runner.invoke(args=["campaigns", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        campaign = campaign_by_slug(db.session, SLUG)
        make_organiser(db.session, ORGANISER, campaigns=[campaign])
        for locale, name in (("en", "Ada"), ("fr", "Berthe")):
            signature = add_signature(
                db.session,
                campaign.id,
                confirmed_at=utcnow() - timedelta(hours=1),
                first_name=name,
                email=f"{name.lower()}@example.org",
                opt_in=True,
            )
            signature.locale = locale
            signature.manage_key = secrets.token_hex(16)
        db.session.commit()
    return SLUG


def check(browsing: Any, step: str, lang: str) -> None:
    """axe-core at a phone's width and a desktop's, nothing sideways, a screenshot of each."""
    page = browsing.page
    page.wait_for_load_state()  # a click waits for the navigation, not for the stylesheets
    assert page.evaluate("() => document.documentElement.lang") == lang
    for width, height in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        assert_fits_the_width(page)
        browsing.screenshot(f"{step}-{width}")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_writing_to_supporters_in_english_and_french(
    visit: Any, news_ready: str, smtp_app: Flask, smtp_server: SmtpServer, lang: str
) -> None:
    words = WORDS[lang]
    # The pages have no script of their own (forms and links); axe-core needs JavaScript.
    browsing = visit(f"news-{lang}", locale="fr-FR" if lang == "fr" else "en-GB")
    page = browsing.page
    page.goto(f"/organiser/login?lang={lang}")
    page.locator("#email").fill(ORGANISER)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.url

    # (The dashboard links here: tests/news/test_news.py checks the link.)
    page.goto(f"/organiser/campaigns/{news_ready}/news?lang={lang}")
    assert words["write"] in page.locator("h1").inner_text()
    check(browsing, "news-list", lang)

    page.get_by_role("link", name=words["new"]).click()
    check(browsing, "news-form", lang)

    # Half written: refused, with the error said at the top, and what was typed kept.
    page.locator("#body").fill("Only a body")
    page.get_by_role("button", name=words["save"]).click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#body").input_value() == "Only a body"
    check(browsing, "news-form-error", lang)

    page.locator("#subject").fill("We delivered the petition")
    page.locator("#body").fill(
        "Thank you all. **We delivered it** to the ministry.\n\n- 40,000 names\n- 12 countries"
        "\n\n[Read the response](https://example.org/response)\n\n<script>alert(1)</script>"
    )
    page.locator("#subject_fr").fill("Nous avons remis la pétition")
    page.locator("#body_fr").fill("Merci à tous. **Nous l’avons remise** au ministère.")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r"/news/\d+\?saved=1"))
    preview = page.locator("#preview")
    assert preview.locator("strong", has_text="We delivered it").is_visible()
    assert preview.locator("script").count() == 0
    check(browsing, "news-preview", lang)

    page.get_by_role("button", name=words["test"]).click()
    page.wait_for_url(re.compile(r"tested="))
    check(browsing, "news-tested", lang)

    page.get_by_role("link", name=words["send"]).click()
    assert words["people"] in page.locator("main").inner_text()
    check(browsing, "news-confirm", lang)

    page.get_by_role("button", name=words["press"]).click()
    page.wait_for_url(re.compile(r"/news/\d+(\?[^/]*)?$"))
    check(browsing, "news-sending", lang)

    deliver_email(smtp_app)  # the test to the organiser
    assert deliver_news(smtp_app).sent == 2
    page.reload()
    assert re.search(rf"{words['sent']}\s*2", page.locator(".totals").inner_text())
    check(browsing, "news-sent", lang)

    # The news email as a phone's mail app shows it, in each supporter's language.
    for address, greeting in (
        ("ada@example.org", "Hello Ada,"),
        ("berthe@example.org", "Bonjour Berthe,"),
    ):
        [message] = [r.message for r in smtp_server.received if r.recipients == [address]]
        html = message.get_body(preferencelist=("html",)).get_content()
        assert greeting in html and "<script" not in html
        email = browsing.context.new_page()
        email.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        email.set_content(html)
        assert_fits_the_width(email)
        email.screenshot(
            path=str(browsing.folder / f"email-news-{address[:4]}-390.png"), full_page=True
        )
        email.close()
    [test] = [r.message for r in smtp_server.received if r.recipients == [ORGANISER]]
    email = browsing.context.new_page()
    email.set_content(test.get_body(preferencelist=("html",)).get_content())
    email.screenshot(path=str(browsing.folder / "email-news-test.png"), full_page=True)
    email.close()
