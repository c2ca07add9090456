"""The supporter's whole journey in a real browser: the page, a failed submit, signing, the
email, the confirmation and the count. On a desktop, without JavaScript, on a phone and in
French; every page checked with axe-core; screenshots in test-output/screenshots/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.browser.accessibility import (
    assert_accessible,
    assert_fits_the_width,
    assert_focus_always_visible,
    page_weight,
    render_blocking_scripts,
)
from tests.smtp import SmtpServer

BUDGET_BYTES = 50 * 1024


@dataclass(frozen=True)
class Words:
    """What a supporter reads, and types, in one language."""

    title: str
    first_name: str
    last_name: str
    email: str
    country: str
    country_name: str
    opt_in: str
    sign: str
    summary: str
    first_name_error: str
    check_email: str
    subject: str
    confirm: str
    thanks: str
    one_signature: str


ENGLISH = Words(
    title="Stop the spyware",
    first_name="First name",
    last_name="Last name",
    email="Email address",
    country="Country",
    country_name="Germany",
    opt_in="Keep me informed about this campaign by email",
    sign="Sign the petition",
    summary="Please correct the following:",
    first_name_error="Please enter your first name.",
    check_email="Almost done: check your email",
    subject="Please confirm your signature: Stop the spyware",
    confirm="Confirm my signature",
    thanks="Thank you: your signature is confirmed",
    one_signature="1 signature",
)
FRENCH = Words(
    title="Halte aux logiciels espions",
    first_name="Prénom",
    last_name="Nom",
    email="Adresse e-mail",
    country="Pays",
    country_name="Allemagne",
    opt_in="Je souhaite recevoir par e-mail des nouvelles de cette campagne",
    sign="Signer la pétition",
    summary="Veuillez corriger les points suivants\u00a0:",
    first_name_error="Veuillez saisir votre prénom.",
    check_email="Presque terminé\u00a0: consultez vos e-mails",
    subject="Veuillez confirmer votre signature\u00a0: Halte aux logiciels espions",
    confirm="Confirmer ma signature",
    thanks="Merci\u00a0: votre signature est confirmée",
    one_signature="1 signature",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    words: Words
    viewport: tuple[int, int] = (1280, 800)
    javascript: bool = True
    locale: str = "en-GB"  # the browser's language: Accept-Language
    mobile: bool = False
    # axe-core takes a second a page: it runs once per page and language, not per scenario.
    axe: bool = False


SCENARIOS = [
    Scenario("desktop-en", ENGLISH, axe=True),
    Scenario("no-javascript-en", ENGLISH, javascript=False),
    # 320 CSS px: a small phone, and what a 1280 px screen is at 400 % zoom (WCAG reflow).
    Scenario("phone-en", ENGLISH, viewport=(320, 640), mobile=True),
    Scenario("desktop-fr", FRENCH, locale="fr-FR", axe=True),
]


def check(visit: Any, scenario: Scenario, step: str) -> None:
    """What every page of the journey must be: accessible, fitting, and recorded."""
    if scenario.axe:
        assert_accessible(visit.page)
    if scenario.mobile:
        assert_fits_the_width(visit.page)
    visit.screenshot(step)


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_supporter_signs_confirms_from_the_email_and_sees_the_count(
    visit: Any,
    seeded: str,
    app: Flask,
    smtp_server: SmtpServer,
    deliver_mail: Any,
    scenario: Scenario,
) -> None:
    words = scenario.words
    browsing = visit(
        scenario.name,
        viewport=scenario.viewport,
        javascript=scenario.javascript,
        locale=scenario.locale,
        mobile=scenario.mobile,
    )
    page = browsing.page

    # The campaign page, reached from the home page with a share code.
    page.goto("/?source=browser")
    assert page.url.endswith(f"/campaigns/{seeded}?source=browser")
    assert page.locator("h1").inner_text().startswith(words.title)
    assert page.locator("[data-live-count]").inner_text() == "0"
    # The honeypot is in the form, for bots, and nowhere in what a screen reader gets.
    assert page.locator("input[name=leave_this_empty]").count() == 1
    # (role queries see what assistive technology sees: the five visible text boxes only)
    assert page.get_by_role("textbox").count() == 5  # names, email, postcode, share link
    check(browsing, scenario, "campaign")

    # Sending the form empty: the error summary takes focus, each error is tied to its field.
    page.get_by_role("button", name=words.sign).click()
    page.wait_for_selector("#error-summary")
    # `autofocus` is applied at the browser's next rendering step: wait for it, briefly.
    page.wait_for_function("() => document.activeElement?.id === 'error-summary'", timeout=3000)
    assert focused_id(page) == "error-summary"
    assert words.summary in page.locator("#error-summary").inner_text()
    first_name = page.get_by_label(words.first_name, exact=True)
    assert first_name.get_attribute("aria-invalid") == "true"
    described = first_name.get_attribute("aria-describedby")
    assert words.first_name_error in page.locator(f"#{described}").inner_text()
    check(browsing, scenario, "errors")
    page.locator("#error-summary a").first.click()
    assert focused_id(page) == "first_name"

    # Signing: every field found by its visible label, in the page's language.
    first_name.fill("Ada")
    page.get_by_label(words.last_name, exact=True).fill("Lovelace")
    page.get_by_label(words.email).fill(f"ada-{scenario.name}@example.org")
    page.get_by_label(words.country).select_option(label=words.country_name)
    page.get_by_label(words.opt_in).check()
    page.get_by_role("button", name=words.sign).click()
    page.wait_for_url(re.compile(r"/signed"))
    assert words.check_email in page.locator("h1").inner_text()
    check(browsing, scenario, "check-email")

    # The email, delivered over SMTP, in the language of the page where they signed.
    deliver_mail()
    [received] = smtp_server.received
    message = received.message
    assert received.recipients == [f"ada-{scenario.name}@example.org"]
    assert str(message["Subject"]).startswith(words.subject)
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/confirm/\S+", text)
    assert link, text

    # The link shows a button; the button confirms.
    page.goto(link.group(0))
    check(browsing, scenario, "confirm")
    page.get_by_role("button", name=words.confirm).click()
    page.wait_for_selector("h1")
    assert words.thanks in page.locator("h1").inner_text()
    assert words.one_signature in page.locator(".tally-count").inner_text()
    check(browsing, scenario, "thank-you")

    # And the campaign page counts it.
    page.goto(f"/campaigns/{seeded}")
    assert page.locator("[data-live-count]").inner_text() == "1"
    browsing.screenshot("counted")


def test_the_campaign_page_is_light_loads_no_blocking_script_and_shows_focus(
    visit: Any, seeded: str
) -> None:
    browsing = visit("budget")
    page = browsing.page
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))

    page.goto(f"/campaigns/{seeded}")
    page.wait_for_load_state("load")

    weight = page_weight(responses)
    assert sum(weight.values()) < BUDGET_BYTES, weight
    assert any(url.endswith(".css") for url in weight) and any(
        url.endswith(".js") for url in weight
    )
    assert render_blocking_scripts(page) == []
    # Ready for a Content-Security-Policy without 'unsafe-inline': no style attributes either.
    assert page.locator("[style]").count() == 0
    reached = assert_focus_always_visible(page)
    assert reached >= 10  # skip link, languages, form fields, button, share links
