"""The delivery report as a real PDF: read back with pypdf, it has the title, the target, the
count and the counts by country, the organisation's name, the outcome, the names only when
asked (and then in the audit log), never an email address nor the text for supporters."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.branding.models import OrganisationIdentity
from campaign.extensions import db
from tests.factories import add_signature, campaign_by_slug, make_campaign

BODY = (
    "## Our demand\n\nA moratorium on spyware **now**.\n\n"
    "## What happens with your signature\n\nWe send you an email to confirm it."
)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def signed_campaign(app: Flask, slug: str) -> None:
    with app.app_context():
        campaign = campaign_by_slug(db.session, slug)
        campaign.body = BODY
        now = datetime.now(UTC)
        for first, last, country in (
            ("Ada", "Lovelace", "GB"),
            ("Grace", "Hopper", "US"),
            ("Marie", "Curie", "FR"),
            ("Simone", "Veil", "FR"),
        ):
            add_signature(
                db.session,
                campaign.id,
                confirmed_at=now,
                first_name=first,
                last_name=last,
                country=country,
                email=f"{first.lower()}@example.org",
            )
        add_signature(db.session, campaign.id, first_name="Pending", last_name="Person")
        db.session.add(OrganisationIdentity(id=1, name="Droits Devant", accent_colour="#0b6e4f"))
        db.session.commit()


def test_the_report_is_a_pdf_with_the_demand_the_target_and_the_counts_but_no_names(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    signed_campaign(app, campaign)

    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data())
    flat = " ".join(text.split())
    assert "Droits Devant" in flat and "petition delivery report" in flat.lower()
    assert "Test campaign" in flat
    assert "Addressed to: World leaders" in flat
    assert "4 confirmed signatures from 3 countries" in flat
    assert "A moratorium on spyware now." in flat
    assert re.search(r"France\s+2", text) and re.search(r"United States\s+1", text)
    assert "What happens with your signature" not in flat and "confirm it" not in flat
    assert "Lovelace" not in flat and "Pending" not in flat
    assert "@" not in flat
    with app.app_context():  # no names, nothing to record
        assert db.session.scalars(select(AuditEvent.action)).all() == ["organiser.login"]


def test_with_names_the_pdf_lists_every_counted_signer_by_country_and_it_is_audited(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    signed_campaign(app, campaign)

    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf?names=1")

    assert response.status_code == 200
    text = pdf_text(response.get_data())
    flat = " ".join(text.split())
    assert "Signers" in flat
    assert "Marie Curie · Simone Veil" in flat
    assert flat.index("France") < flat.index("Marie Curie") < flat.index("Ada Lovelace")
    assert "Grace Hopper" in flat
    assert "Pending" not in flat  # not confirmed: not counted, not listed
    assert "@" not in flat and "example.org" not in flat
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.names")
        ).all()
        assert (event.actor, event.row_count, event.completed) == (
            "organiser@example.org",
            4,
            True,
        )


def test_the_names_are_drawn_in_parts_numbered_on_and_a_country_runs_across_them(
    app: Flask, organiser_client: FlaskClient, campaign: str, monkeypatch: object
) -> None:
    from campaign.closing import pdf

    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        for n in range(30):
            add_signature(
                db.session,
                campaign_id,
                confirmed_at=datetime.now(UTC),
                first_name=f"Person{n:02d}",
                last_name="Doe",
                country="KE",
            )
        db.session.commit()
    monkeypatch.setattr(pdf, "NAMES_PER_PART", 7)  # type: ignore[attr-defined]

    data = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf?names=1").get_data()

    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 1 + 5  # the report, then five parts of at most seven names
    flat = " ".join(" ".join(pages).split())
    assert all(f"Person{n:02d} Doe" in flat for n in range(30))
    assert "Kenya (continued)" in flat
    assert [re.search(r"Page (\d+)", page).group(1) for page in pages] == [  # type: ignore[union-attr]
        str(n) for n in range(1, 7)
    ]


def test_hostile_names_are_text_in_the_pdf(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    with app.app_context():
        campaign_id = campaign_by_slug(db.session, campaign).id
        add_signature(
            db.session,
            campaign_id,
            confirmed_at=datetime.now(UTC),
            first_name='<img src="http://evil.example/x">',
            last_name="</p><h1>Owned",
        )
        db.session.commit()

    data = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf?names=1").get_data()

    assert '<img src="http://evil.example/x"> </p><h1>Owned' in pdf_text(data)


def test_the_pdf_is_in_french_for_a_french_organiser(
    app: Flask, organiser_client: FlaskClient, seeded: str
) -> None:
    with app.app_context():
        from campaign.organisers.models import CampaignMembership, Organiser

        organiser = db.session.scalar(select(Organiser))
        assert organiser is not None
        db.session.add(
            CampaignMembership(
                organiser_id=organiser.id, campaign_id=campaign_by_slug(db.session, seeded).id
            )
        )
        db.session.commit()

    data = organiser_client.get(f"/organiser/campaigns/{seeded}/report.pdf?lang=fr").get_data()

    flat = " ".join(pdf_text(data).split())
    assert "rapport de remise de la pétition" in flat.lower()
    assert "Notre demande" in flat and "Ce que devient votre signature" not in flat
    assert "Pourquoi maintenant" not in flat


def test_another_campaigns_organiser_gets_no_report(
    app: Flask, organiser_client: FlaskClient
) -> None:
    with app.app_context():
        other = make_campaign(db.session).slug
        db.session.commit()
    assert organiser_client.get(f"/organiser/campaigns/{other}/report.pdf").status_code == 403


def test_the_report_page_offers_the_pdf_with_or_without_names(
    organiser_client: FlaskClient, campaign: str
) -> None:
    page = organiser_client.get(f"/organiser/campaigns/{campaign}/report").get_data(as_text=True)
    assert f'action="/organiser/campaigns/{campaign}/report.pdf"' in page
    assert 'name="names" value="1"' in page


def test_the_command_writes_the_same_report_with_names_and_logs_it(
    app: Flask, campaign: str, tmp_path: object
) -> None:
    from pathlib import Path

    signed_campaign(app, campaign)
    output = Path(str(tmp_path)) / "report.pdf"

    result = app.test_cli_runner().invoke(
        args=["export", "report", campaign, "-o", str(output), "--names", "--lang", "fr"]
    )

    assert result.exit_code == 0, result.output
    flat = " ".join(pdf_text(output.read_bytes()).split())
    assert "4 signatures confirmées" in flat and "Marie Curie · Simone Veil" in flat
    assert "@" not in flat
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.names")
        ).all()
        assert (event.actor, event.row_count) == ("command line", 4)
    missing = app.test_cli_runner().invoke(args=["export", "report", "nope", "-o", str(output)])
    assert missing.exit_code != 0 and "No campaign has the slug 'nope'" in missing.output


def test_the_pdf_fetches_nothing_a_campaign_text_points_at(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    with app.app_context():
        campaign_by_slug(db.session, campaign).body = (
            "## Our demand\n\nStop it. ![tracker](http://127.0.0.1:9/pixel.png)"
            " ![file](file:///etc/passwd)"
        )
        db.session.commit()

    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf")

    assert response.status_code == 200
    text = pdf_text(response.get_data())
    assert "Stop it." in text and "root:" not in text


def test_a_campaign_without_signatures_gets_a_report_and_an_empty_list(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    response = organiser_client.get(f"/organiser/campaigns/{campaign}/report.pdf?names=1")

    assert response.status_code == 200
    flat = " ".join(pdf_text(response.get_data()).split())
    assert "0 confirmed signatures" in flat and "names follow" not in flat
