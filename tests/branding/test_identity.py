"""The organisation's identity: set by an administrator, checked (contrast, a real image),
shown in every page's header and every email, and cached for the crowd."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.branding.services import (
    InvalidIdentity,
    check_accent,
    contrast_ratio,
    prepare_logo,
)
from campaign.extensions import db
from tests.factories import csrf_from, sign
from tests.helpers import deliver, email_bodies
from tests.mail.test_delivery import smtp
from tests.smtp import SmtpServer


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (600, 200), **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0b6e4f").save(buffer, format=kind, **save)
    return buffer.getvalue()


def save_settings(client: FlaskClient, logo: bytes | None = None, **fields: str) -> Any:
    page = client.get("/organiser/organisation").get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": csrf_from(page),
        "name": "Droits Devant",
        "accent_colour": "#7a1f2b",
        "next_step": "share",
        "donate_url": "",
        "next_campaign_slug": "",
        **fields,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), "logo.png")
    return client.post("/organiser/organisation", data=data, content_type="multipart/form-data")


def test_contrast_is_measured_as_wcag_says() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert check_accent("#1D3557") == "#1d3557"
    with pytest.raises(InvalidIdentity, match=r"1\.4\d:1"):
        check_accent("#ffd600")
    with pytest.raises(InvalidIdentity):
        check_accent("red")


def test_a_logo_is_drawn_again_as_a_small_png_without_its_metadata() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # and, in a real photo, where it was taken
    data, width, height = prepare_logo(image_bytes("JPEG", (2000, 1000), exif=exif.tobytes()))
    with Image.open(io.BytesIO(data)) as logo:
        assert logo.format == "PNG" and logo.size == (width, height) == (192, 96)
        assert not logo.getexif()
    with pytest.raises(InvalidIdentity):
        prepare_logo(b"<svg onload='alert(1)'></svg>")
    with pytest.raises(InvalidIdentity):
        prepare_logo(image_bytes("GIF"))


def test_an_administrator_sets_the_name_colour_and_logo_and_every_page_shows_them(
    app: Flask, admin_client: FlaskClient, campaign: str
) -> None:
    response = save_settings(admin_client, logo=image_bytes())
    assert response.status_code == 303 and response.location.endswith("saved=1")

    page = app.test_client().get(f"/campaigns/{campaign}").get_data(as_text=True)
    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    assert "Droits Devant" in header and "Petition" not in header
    logo_url = re.search(r'<img src="(/organisation/logo\.png\?v=\w+)"', header)
    theme_url = re.search(r'<link rel="stylesheet" href="(/organisation/theme\.css\?v=\w+)"', page)
    assert logo_url and theme_url
    logo = app.test_client().get(logo_url.group(1))
    assert logo.content_type == "image/png" and "immutable" in logo.headers["Cache-Control"]
    theme = app.test_client().get(theme_url.group(1)).get_data(as_text=True)
    assert "--accent:#7a1f2b" in theme
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation.settings")
        ).all()
        assert event.actor == "admin@example.org" and "accent_colour" in event.details


def test_a_pale_colour_or_a_file_that_is_not_an_image_is_refused_and_nothing_changes(
    app: Flask, admin_client: FlaskClient, campaign: str
) -> None:
    refused = save_settings(admin_client, accent_colour="#ffd600")
    assert refused.status_code == 422
    assert "4.5:1" in refused.get_data(as_text=True)
    fake = save_settings(admin_client, logo=b"GIF89a not really")
    assert fake.status_code == 422
    assert "PNG, JPEG or WebP" in fake.get_data(as_text=True)
    page = app.test_client().get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "Droits Devant" not in page and "/organisation/logo.png" not in page


def test_only_administrators_set_the_organisation(organiser_client: FlaskClient) -> None:
    assert organiser_client.get("/organiser/organisation").status_code == 403


def test_emails_come_from_the_organisation_by_name_and_say_so_at_the_bottom(
    smtp_app: Flask,
    admin_client: FlaskClient,
    client: FlaskClient,
    campaign: str,
    smtp_server: SmtpServer,
) -> None:
    save_settings(admin_client)
    sign(client, campaign, first_name="Zoë", email="zoe@example.org")
    text, html = email_bodies(smtp_app)
    assert text.startswith("Hello Zoë,")
    assert re.search(r"^--\r?\nDroits Devant\r?$", text, re.M)  # the footer
    assert 'name="viewport"' in html and "Hello Zoë," in html

    deliver(smtp_app, smtp(smtp_app))
    [received] = smtp_server.received
    assert received.message["From"] == "Droits Devant <petition@example.org>"


def test_the_thank_you_page_asks_for_the_next_step_the_organisers_chose(
    app: Flask, admin_client: FlaskClient, client: FlaskClient, campaign: str
) -> None:
    from tests.factories import make_campaign
    from tests.helpers import confirmation_path

    with app.app_context():
        other = make_campaign(db.session, title="Free the journalists")
        db.session.commit()
        other_slug = other.slug
    save_settings(admin_client, next_step="campaign", next_campaign_slug=other_slug)
    sign(client, campaign)
    page = client.post(confirmation_path(app)).get_data(as_text=True)
    assert "Free the journalists" in page
    assert f"/campaigns/{other_slug}?source=thanks-next" in page
    assert "?source=thanks-link" in page  # and sharing, always

    refused = save_settings(admin_client, next_step="donate", donate_url="javascript:alert(1)")
    assert refused.status_code == 422
