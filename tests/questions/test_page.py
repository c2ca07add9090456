"""The campaign's own questions on its page, and organisers changing them (and the sites
that may frame the form) in the settings."""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from tests.dashboard.test_settings_and_report import settings_form
from tests.factories import sign
from tests.helpers import signatures
from tests.questions.conftest import QUESTIONS


def test_the_page_asks_the_questions_in_the_visitors_language(
    client: FlaskClient, asking: str
) -> None:
    page = client.get(f"/campaigns/{asking}?lang=fr").get_data(as_text=True)

    assert (
        "Je suis membre de l&#39;association" in page or "Je suis membre de l'association" in page
    )
    assert "<legend>Votre région</legend>" in page and "Nord" in page
    assert "Why do you sign?" in page  # no French label: the English one
    assert "One sentence is plenty." in page


def test_answers_from_the_page_are_stored_and_a_required_one_is_asked_for(
    app: Flask, client: FlaskClient, asking: str
) -> None:
    missing = sign(client, asking, q_why="Because")
    assert missing.status_code == 422
    assert "Please choose an answer." in missing.get_data(as_text=True)
    assert signatures(app) == []

    done = sign(client, asking, q_region="north", q_member="y", q_why=" Because ")

    assert done.status_code == 303
    assert signatures(app)[0].answers == {"member": True, "region": "north", "why": "Because"}


def test_organisers_change_the_questions_and_the_framing_sites(
    app: Flask, organiser_client: FlaskClient, campaign: str
) -> None:
    path = f"/organiser/campaigns/{campaign}/settings"
    bad = organiser_client.post(
        path,
        data=settings_form(
            organiser_client, campaign, questions="[[question]]\nkey = 1", embed_origins="ftp://x"
        ),
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "ftp://x is not an origin" in text and "key must be" in text

    good = organiser_client.post(
        path,
        data=settings_form(
            organiser_client,
            campaign,
            questions=QUESTIONS,
            embed_origins="https://Partner.example.net/\nhttps://partner.example.net",
        ),
    )

    assert good.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(Campaign).where(Campaign.slug == campaign))
        assert row is not None
        assert row.embed_origins == "https://partner.example.net"
        assert row.questions is not None and [q["key"] for q in row.questions] == [
            "member",
            "region",
            "why",
        ]
    page = html.unescape(organiser_client.get(path).get_data(as_text=True))
    assert 'key = "region"' in page
    dashboard = html.unescape(
        organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    )
    assert f'<iframe src="https://petition.example.org/campaigns/{campaign}/embed"' in dashboard
    assert f"/campaigns/{campaign}/counter.svg" in dashboard
