"""The privacy pages in a real browser, in English and French: the notice, and the stop-news
and delete links from a real email, each page checked with axe-core and at 320 px."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.browser.accessibility import assert_accessible, assert_fits_the_width
from tests.browser.words import FormWords
from tests.smtp import SmtpServer


@dataclass(frozen=True)
class Words(FormWords):
    opt_in: str
    sign: str
    notice: str
    stop: str
    stopped: str
    delete: str
    deleted: str
    link_dead: str
    title: str  # the campaign's, in this language


ENGLISH = Words(
    lang="en",
    locale="en-GB",
    first_name="First name",
    last_name="Last name",
    email="Email address",
    country="Country",
    opt_in="Keep me informed about this campaign by email",
    sign="Sign the petition",
    notice="Privacy notice",
    stop="Stop news",
    stopped="Done: no more news",
    delete="Delete my signature",
    deleted="Your signature is deleted",
    link_dead="This link does not work",
    title="Stop the spyware",
)
FRENCH = Words(
    lang="fr",
    locale="fr-FR",
    first_name="Prénom",
    last_name="Nom",
    email="Adresse e-mail",
    country="Pays",
    opt_in="Je souhaite recevoir par e-mail des nouvelles de cette campagne",
    sign="Signer la pétition",
    notice="Politique de confidentialité",
    stop="Ne plus recevoir de nouvelles",
    stopped="C’est fait\u00a0: plus de nouvelles",
    delete="Supprimer ma signature",
    deleted="Votre signature est supprimée",
    link_dead="Ce lien ne fonctionne pas",
    title="Halte aux logiciels espions",
)


def check(browsing: Any, step: str) -> None:
    page = browsing.page
    assert page.locator("[style]").count() == 0  # nothing a strict CSP would block
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert_fits_the_width(page)
    browsing.screenshot(step)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.parametrize("words", [ENGLISH, FRENCH], ids=lambda w: w.lang)
def test_a_supporter_reads_the_notice_stops_news_and_deletes_their_signature(
    visit: Any,
    seeded: str,
    app: Flask,
    smtp_server: SmtpServer,
    deliver_mail: Any,
    words: Words,
) -> None:
    browsing = visit(f"privacy-{words.lang}", locale=words.locale)
    page = browsing.page
    page.goto(f"/campaigns/{seeded}")
    page.locator("form p.consent a").click()  # the notice, from beside the form
    assert page.locator("h1").inner_text() == words.notice
    check(browsing, "notice")

    page.goto(f"/campaigns/{seeded}")
    page.get_by_label(words.first_name, exact=True).fill("Ada")
    page.get_by_label(words.last_name, exact=True).fill("Lovelace")
    page.get_by_label(words.email).fill(f"ada-privacy-{words.lang}@example.org")
    page.get_by_label(words.country).select_option("DE")
    page.get_by_label(words.opt_in).check()
    page.get_by_role("button", name=words.sign).click()
    page.wait_for_url(re.compile(r"/signed"))
    deliver_mail()
    [received] = smtp_server.received
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    unsubscribe = re.search(r"http://127\.0\.0\.1:\d+/unsubscribe/\S+", text)
    delete = re.search(r"http://127\.0\.0\.1:\d+/delete/\S+", text)
    assert unsubscribe and delete, text

    page.goto(unsubscribe.group(0))
    assert words.title in page.locator("main").inner_text()
    check(browsing, "stop-news")
    page.get_by_role("button", name=words.stop).click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == words.stopped
    check(browsing, "news-stopped")

    page.goto(delete.group(0))
    check(browsing, "delete")
    page.get_by_role("button", name=words.delete).click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == words.deleted
    assert f"ada-privacy-{words.lang}@example.org" in page.locator("dl.receipt").inner_text()
    assert words.title in page.locator("main").inner_text()
    check(browsing, "deleted")

    page.goto(delete.group(0))
    assert page.locator("h1").inner_text() == words.link_dead
    check(browsing, "link-gone")
