"""The privacy notice: plain words on who, what, why, how long, who receives it, and rights;
linked beside the form, on every page and in every email."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from campaign.signing.consent import CURRENT_WORDING
from tests.factories import sign
from tests.helpers import (
    confirmation_path,
    deliver,
    email_bodies,
    email_text,
    manage_path,
    outbox,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_notice_says_who_holds_what_why_how_long_who_receives_it_and_each_right(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(
        PRIVACY_CONTROLLER="Amnesty International France",
        PRIVACY_CONTACT="privacy@amnesty.example",
        PRIVACY_EMAIL_PROVIDER="Example Mail Ltd (EU)",
        RETENTION_PENDING_DAYS=21,
        RETENTION_OUTBOX_DAYS=14,
        RETENTION_ANONYMISE_MONTHS=9,
        BACKUP_RETENTION_DAYS=35,
    )

    response = client.get("/privacy")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in (
        "Who holds your data",
        "Amnesty International France",
        "privacy@amnesty.example",
        "What we keep",
        "your first name and last name",
        "your email address",
        "your postcode",
        "keyed hash of your internet (IP) address",
        "Why we keep it",
        "explicit consent",
        "How long we keep it",
        "21 days",
        "14 days",
        "9 months",
        "35 days",
        "Who receives it",
        "Example Mail Ltd (EU)",
        "The organisers of the campaign",
        "Stop the news",
        "Delete your signature",
        "See what we hold about you",
        "Correct your details",
        "Complain",
        f"Version {CURRENT_WORDING.version}",
    ):
        assert expected in page, expected


def test_the_notice_works_with_no_contact_or_provider_configured(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "the organisers of this petition" in page
    assert "Our email provider delivers our emails" in page
    assert "None" not in page


def test_configured_names_are_shown_as_text_never_as_markup(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(PRIVACY_CONTROLLER='<script>alert("x")</script>', PRIVACY_CONTACT="a&b")
    page = client.get("/privacy").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "a&amp;b" in page


def test_the_notice_is_linked_beside_the_form_and_from_every_page(
    client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    form = page.split("<form", 1)[1].split("</form>", 1)[0]
    assert 'href="/privacy"' in form
    assert str(CURRENT_WORDING.statement) in form
    footer = page.split('class="site-footer"', 1)[1]
    assert 'href="/privacy"' in footer
    assert 'href="/privacy"' in client.get("/privacy").get_data(as_text=True)


def test_every_email_links_to_the_notice_and_to_the_supporters_own_controls(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign)  # the confirmation email
    client.post(confirmation_path(app))
    sign(client, campaign)  # "you have already signed"
    assert len(outbox(app)) == 2  # the confirmation, and "you have already signed"
    for index in (0, 1):
        for body in email_bodies(app, index):
            assert "https://petition.example.org/privacy" in body
            assert "https://petition.example.org/unsubscribe/" in body
            assert "https://petition.example.org/delete/" in body

    client.post(manage_path(app, "delete"))

    [receipt] = outbox(app)
    assert receipt.subject.startswith("Your signature is deleted")
    for body in email_bodies(app, 0):
        assert "https://petition.example.org/privacy" in body
        # Nothing is left to manage: no links that would only say "not valid".
        assert "/unsubscribe/" not in body and "/delete/" not in body
    assert receipt.headers is None


def test_page_templates_have_no_inline_script_or_style(app: Flask) -> None:
    # The security headers forbid inline script and style in pages (emails may use style).
    for path in [*(TEMPLATES / "privacy").glob("*.html"), TEMPLATES / "base.html"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_the_emails_with_the_notice_link_are_delivered_as_written(
    smtp_app: Flask, client: FlaskClient, campaign: str, smtp_server: object
) -> None:
    from campaign.mail.delivery import SmtpTransport

    sign(client, campaign)
    assert deliver(smtp_app, SmtpTransport(timeout=5)).sent == 1
    [received] = smtp_server.received  # type: ignore[attr-defined]
    text = received.message.get_body(("plain",)).get_content()
    assert "https://petition.example.org/privacy" in text


def test_a_french_supporter_gets_french_emails_whose_links_open_french_pages(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    sign(client, campaign, query="?lang=fr", opt_in="y")

    text = email_text(app)
    assert "Ne plus recevoir de nouvelles de cette campagne" in text
    assert "https://petition.example.org/privacy?lang=fr" in text
    unsubscribe, delete = manage_path(app, "unsubscribe"), manage_path(app, "delete")
    assert f"https://petition.example.org{unsubscribe}?lang=fr" in text
    assert f"https://petition.example.org{delete}?lang=fr" in text
    assert "Politique de confidentialité" in client.get("/privacy?lang=fr").get_data(as_text=True)
    page = client.get(f"{unsubscribe}?lang=fr").get_data(as_text=True)
    assert 'lang="fr"' in page and "Ne plus recevoir de nouvelles" in page
    assert "Supprimer votre signature\u202f?" in client.get(f"{delete}?lang=fr").get_data(
        as_text=True
    )

    deleted = client.post(f"{delete}?lang=fr").get_data(as_text=True)

    assert "Votre signature est supprimée" in deleted
    assert "Comme vous l’avez demandé" in email_text(app)
    assert outbox(app)[-1].subject.startswith("Votre signature est supprimée")
