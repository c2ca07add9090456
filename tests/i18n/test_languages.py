"""English and French: the language of each page, of each email, and of the links between them."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.tallies.services import add_to_tally
from tests.factories import csrf_token, sign
from tests.helpers import email_bodies, email_text, link_in, outbox, signatures

NNBSP = "\u202f"  # how CLDR groups thousands in French: 12 345


def page(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_url_asks_for_french_and_the_whole_page_is_french(
    client: FlaskClient, seeded: str
) -> None:
    html = page(client, f"/campaigns/{seeded}?lang=fr", **{"Accept-Language": "en"})

    assert '<html lang="fr" dir="ltr">' in html
    assert "<h1>Halte aux logiciels espions" in html  # the campaign's own French text
    assert f"50{NNBSP}000 numéros" in html
    assert "Agnès Callamard, secrétaire générale" in html
    assert '<label for="first_name">Prénom</label>' in html
    assert "Choisissez votre pays" in html
    assert "Signer la pétition" in html
    assert "Sign the petition" not in html


def test_without_lang_in_the_url_the_browser_language_decides_and_caches_are_told(
    client: FlaskClient, seeded: str
) -> None:
    french = client.get(f"/campaigns/{seeded}", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    english = client.get(f"/campaigns/{seeded}", headers={"Accept-Language": "de, en;q=0.5"})
    nothing = client.get(f"/campaigns/{seeded}")

    assert '<html lang="fr"' in french.get_data(as_text=True)
    assert '<html lang="en"' in english.get_data(as_text=True)
    assert '<html lang="en"' in nothing.get_data(as_text=True)
    assert "Accept-Language" in french.headers["Vary"]
    explicit = client.get(f"/campaigns/{seeded}?lang=fr", headers={"Accept-Language": "en"})
    assert "Accept-Language" not in explicit.headers.get("Vary", "")


@pytest.mark.parametrize(
    "asked", ["xx", "FR", "fr-FR", "", "<script>alert(1)</script>", "fr'\"", "f" * 5000]
)
def test_a_language_we_do_not_offer_falls_back_and_is_never_echoed(
    client: FlaskClient, seeded: str, asked: str
) -> None:
    response = client.get(f"/campaigns/{seeded}", query_string={"lang": asked, "source": "tw"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "<script>alert" not in html
    assert "f" * 100 not in html


def test_a_language_chosen_in_the_url_follows_the_supporter_through_the_form_and_redirect(
    client: FlaskClient, seeded: str
) -> None:
    html = page(client, f"/campaigns/{seeded}?lang=fr&source=newsletter")
    assert f'action="/campaigns/{seeded}?lang=fr"' in html

    response = sign(client, seeded, query="?lang=fr", email="lea@example.org")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/campaigns/{seeded}/signed?lang=fr"
    check_email = page(client, response.headers["Location"])
    assert "Presque terminé" in check_email
    assert f'href="/campaigns/{seeded}?lang=fr"' in check_email  # "back to the petition"


def test_form_errors_are_in_the_page_language(client: FlaskClient, seeded: str) -> None:
    path = f"/campaigns/{seeded}?lang=fr"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "email": "not an address"}
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>Erreur\u00a0: Halte aux logiciels espions" in html
    assert "Veuillez saisir votre prénom." in html
    assert "Veuillez saisir une adresse e-mail valide" in html
    assert "Please enter" not in html


def switcher_links(html: str) -> dict[str, str]:
    nav = html.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    return {
        lang: unescape(href) for href, lang in re.findall(r'<a href="([^"]+)" lang="([^"]+)"', nav)
    }


def test_the_switcher_names_each_language_in_itself_and_keeps_the_other_parameters(
    client: FlaskClient, seeded: str
) -> None:
    html = page(client, f"/campaigns/{seeded}?source=twitter&lang=fr&utm=a%26b")

    links = switcher_links(html)

    assert links == {
        "en": f"/campaigns/{seeded}?source=twitter&utm=a%26b&lang=en",
        "fr": f"/campaigns/{seeded}?source=twitter&utm=a%26b&lang=fr",
    }
    assert ">English</a>" in html and ">Français</a>" in html
    assert 'lang="fr" hreflang="fr" aria-current="true">Français' in html


def test_the_cached_page_gives_each_visitor_a_switcher_with_their_own_query(
    make_app: Callable[..., Flask], seeded: str
) -> None:
    # The campaign page is rendered once per language for a second or two, then shared.
    client = make_app(TALLY_CACHE_SECONDS=60).test_client()
    first = page(client, f"/campaigns/{seeded}?source=twitter&lang=fr")
    second = page(client, f'/campaigns/{seeded}?lang=fr&source=mail&x="><b>')
    third = page(client, f"/campaigns/{seeded}?lang=fr")

    assert switcher_links(first)["en"] == f"/campaigns/{seeded}?source=twitter&lang=en"
    assert (
        switcher_links(second)["en"] == f"/campaigns/{seeded}?source=mail&x=%22%3E%3Cb%3E&lang=en"
    )
    assert switcher_links(third)["en"] == f"/campaigns/{seeded}?lang=en"
    assert "source=twitter" not in second and "source=twitter" not in third
    assert '"><b>' not in second


def test_the_switcher_escapes_what_a_hostile_link_puts_in_the_query(
    client: FlaskClient, seeded: str
) -> None:
    html = page(client, f'/campaigns/{seeded}?source="><script>x</script>')

    assert "<script>x" not in html
    assert switcher_links(html)["fr"].startswith(f"/campaigns/{seeded}?source=%22%3E%3Cscript")


def test_every_page_of_the_journey_has_the_switcher_and_the_right_language(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr")
    link = link_in(email_text(app, 0), "https://petition.example.org/confirm/")
    confirm_path = link.removeprefix("https://petition.example.org") + "?lang=fr"

    pages = {
        "check email": client.get(f"/campaigns/{seeded}/signed?lang=fr"),
        "confirm": client.get(confirm_path),
        "thank you": client.post(confirm_path),
        "link invalid": client.get("/confirm/not-a-real-token?lang=fr"),
        "not found": client.get("/nowhere?lang=fr"),
        "not allowed": client.delete(f"/campaigns/{seeded}?lang=fr"),
    }

    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert '<html lang="fr" dir="ltr">' in html, name
        assert set(switcher_links(html)) == {"en", "fr"}, name
    assert "Page introuvable" in pages["not found"].get_data(as_text=True)
    assert "Merci\u00a0: votre signature est confirmée" in pages["thank you"].get_data(as_text=True)


def test_search_engines_find_each_language_version_of_the_campaign(
    client: FlaskClient, seeded: str
) -> None:
    base = f"https://petition.example.org/campaigns/{seeded}"
    negotiated = page(client, f"/campaigns/{seeded}?source=tw")
    french = page(client, f"/campaigns/{seeded}?lang=fr&source=tw")

    for html in (negotiated, french):
        assert f'<link rel="alternate" hreflang="en" href="{base}?lang=en">' in html
        assert f'<link rel="alternate" hreflang="fr" href="{base}?lang=fr">' in html
        assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in html
    assert f'<link rel="canonical" href="{base}">' in negotiated
    assert f'<link rel="canonical" href="{base}?lang=fr">' in french
    assert f'<meta property="og:url" content="{base}?lang=fr">' in french


def test_counts_are_written_the_way_each_language_writes_numbers(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    with app.app_context():
        campaign_id = db.session.scalars(select(Campaign.id)).one()
        add_to_tally(db.session, campaign_id, "FR", 12_345, utcnow(), shards=1)
        db.session.commit()

    english = page(client, f"/campaigns/{seeded}?lang=en")
    french = page(client, f"/campaigns/{seeded}?lang=fr")

    assert "<strong data-live-count>12,345</strong>" in english
    assert "of a goal of 100,000" in english
    assert 'aria-label="12% of the goal"' in english
    assert f"<strong data-live-count>12{NNBSP}345</strong>" in french
    assert f"sur un objectif de 100{NNBSP}000" in french
    assert 'aria-label="12\u00a0% de l’objectif"' in french


def test_country_names_are_in_the_page_language_and_in_its_alphabetical_order(
    client: FlaskClient, seeded: str
) -> None:
    def names(html: str) -> list[str]:
        return re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', html)

    english = names(page(client, f"/campaigns/{seeded}?lang=en"))
    french = names(page(client, f"/campaigns/{seeded}?lang=fr"))

    assert len(english) == len(french) > 240
    assert "Germany" in english and "Allemagne" in french
    assert "Côte d’Ivoire" in french
    # Accented initials sort with their letter, as a French reader looks for them.
    assert french.index("Danemark") < french.index("Égypte") < french.index("Espagne")
    assert english.index("Egypt") < english.index("Germany")


def test_recent_signatures_are_told_in_the_page_language(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, country="DE")
    client.post(re.sub(r"^https://petition\.example\.org", "", link_in(email_text(app, 0))))

    french = page(client, f"/campaigns/{seeded}?lang=fr")

    assert "Signatures récentes" in french
    assert re.search(r"Allemagne\u00a0: une signature il y a \d+\u00a0seconde", french)


def test_the_confirmation_email_is_written_in_the_language_the_supporter_signed_in(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr", email="lea@example.org", first_name="Léa")

    [signature] = signatures(app)
    [message] = outbox(app)
    text, html = email_bodies(app)  # as the worker renders it when it sends
    assert signature.locale == message.locale == "fr"
    assert message.subject.startswith("Veuillez confirmer votre signature\u00a0: Halte aux")
    assert text.startswith("Bonjour Léa,")
    assert "Merci d’avoir signé «\u00a0Halte aux logiciels espions" in text
    assert '<html lang="fr" dir="ltr">' in html
    assert "Confirmer ma signature" in html
    link = re.search(r"https://petition\.example\.org/confirm/\S+", text)
    assert link and link.group(0).endswith("?lang=fr")


def test_the_link_in_a_french_email_opens_french_pages(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=fr")
    link = re.search(r"https://petition\.example\.org(/confirm/\S+)", email_text(app, 0))
    assert link
    # A browser set to English: the email's language wins, the switcher stays available.
    confirm = client.get(link.group(1), headers={"Accept-Language": "en"})
    html = confirm.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert f'action="{link.group(1)}"' in html

    thanks = client.post(link.group(1), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Merci\u00a0: votre signature est confirmée" in thanks
    assert "<strong data-live-count>1</strong>\n    signature\n" in thanks


def test_an_email_in_english_for_whoever_signs_in_english(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=en")
    [message] = outbox(app)
    assert signatures(app)[0].locale == "en"
    assert message.subject.startswith("Please confirm your signature: Stop the spyware")
    assert email_text(app).startswith("Hello Ada,")


def test_signing_again_in_another_language_answers_in_that_language(
    app: Flask, client: FlaskClient, seeded: str
) -> None:
    sign(client, seeded, query="?lang=en")
    client.post(re.sub(r"^https://petition\.example\.org", "", link_in(email_text(app, 0))))

    sign(client, seeded, query="?lang=fr")

    reminder = outbox(app)[-1]
    assert reminder.subject.startswith("Vous avez déjà signé\u00a0: Halte aux")
    assert "Quelqu’un, sans doute vous" in email_text(app)
    assert f"/campaigns/{seeded}?lang=fr" in email_text(app)


def test_a_campaign_not_yet_translated_shows_its_own_text_marked_with_its_language(
    client: FlaskClient, campaign: str
) -> None:
    html = page(client, f"/campaigns/{campaign}?lang=fr")

    assert '<html lang="fr"' in html
    assert '<h1 lang="en">Test campaign' in html
    assert '<div class="text" lang="en">' in html
    assert "Signer la pétition" in html  # everything else is French


def test_a_right_to_left_language_turns_the_page_around(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    # Arabic has no catalogue yet: the text stays English, but the page is laid out for it.
    app.config["LANGUAGES"] = ["en", "fr", "ar"]

    html = page(client, f"/campaigns/{campaign}?lang=ar")

    assert '<html lang="ar" dir="rtl">' in html
    assert 'lang="ar" hreflang="ar"' in html  # and the switcher offers it, in Arabic
    assert ">العربية</a>" in html


def test_text_rendered_outside_a_request_is_in_the_default_language(app: Flask) -> None:
    from flask_babel import force_locale, get_locale, gettext

    with app.app_context():
        assert str(get_locale()) == "en"
        assert gettext("Petition") == "Petition"
        with force_locale("fr"):
            assert gettext("Petition") == "Pétition"
