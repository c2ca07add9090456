"""The campaign editor, through HTTP as an organiser: a draft nobody else sees, its
translation, its preview, publishing it, and a supporter signing it."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.mail.delivery import SmtpTransport
from tests.factories import csrf_token, login, make_organiser, sign
from tests.helpers import confirmation_path, deliver
from tests.smtp import SmtpServer

SLUG = "free-the-press"

ENGLISH = {
    "slug": SLUG,
    "locale": "en",
    "title": "Free the press",
    "summary": "Journalists must be able to work without spyware on their phones.",
    "target": "The Council of Europe",
    "body": "## Our demand\n\nEnd the surveillance of journalists, **now**.",
    "goal": "5000",
}
FRENCH = {
    "title": "Libérez la presse",
    "summary": "Les journalistes doivent pouvoir travailler sans logiciel espion.",
    "target": "Le Conseil de l'Europe",
    "body": "## Notre demande\n\nMettez fin à la surveillance des journalistes.",
}


def create(client: FlaskClient, **overrides: str) -> Any:
    form = {**ENGLISH, **overrides}
    form["csrf_token"] = csrf_token(client, "/organiser/campaigns/new")
    return client.post("/organiser/campaigns/new", data=form)


def save_text(client: FlaskClient, slug: str, locale: str, **fields: str) -> Any:
    path = f"/organiser/campaigns/{slug}/text/{locale}"
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, path)})


def publish(client: FlaskClient, slug: str) -> Any:
    token = csrf_token(client, f"/organiser/campaigns/{slug}/edit")
    return client.post(f"/organiser/campaigns/{slug}/publish", data={"csrf_token": token})


def api_key(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["api-keys", "create", "crm"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def public_answers(client: FlaskClient, slug: str, key: str) -> dict[str, int]:
    """What every public path answers for the campaign (the form's POST included)."""
    headers = {"OSDI-API-Token": key}
    petitions = client.get("/api/v1/petitions", headers=headers).get_json()
    listed = [p["identifiers"] for p in petitions["_embedded"]["osdi:petitions"]]
    return {
        "page": client.get(f"/campaigns/{slug}").status_code,
        "json": client.get(f"/campaigns/{slug}.json").status_code,
        "embed": client.get(f"/campaigns/{slug}/embed").status_code,
        "counter": client.get(f"/campaigns/{slug}/counter.svg").status_code,
        "sign": client.post(f"/campaigns/{slug}", data={"email": "a@example.org"}).status_code,
        "home": client.get("/").status_code,
        "api": client.get(f"/api/v1/petitions/{slug}", headers=headers).status_code,
        "api_signatures": client.get(
            f"/api/v1/petitions/{slug}/signatures", headers=headers
        ).status_code,
        "api_listed": sum(1 for ids in listed if any(SLUG in i for i in ids)),
    }


def test_a_campaign_goes_from_draft_to_signed_through_the_browser(
    smtp_app: Flask,
    creator_client: FlaskClient,
    client: FlaskClient,
    runner: FlaskCliRunner,
    smtp_server: SmtpServer,
) -> None:
    # The organiser starts a draft.
    page = creator_client.get("/organiser/campaigns/new")
    assert page.status_code == 200
    response = create(creator_client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/organiser/campaigns/{SLUG}/edit?done=created")
    edit = creator_client.get(f"/organiser/campaigns/{SLUG}/edit").get_data(as_text=True)
    assert "draft" in edit and "Publish" in edit

    # Nobody else sees it: every public path is a 404, and the API does not list it.
    key = api_key(runner)
    assert public_answers(client, SLUG, key) == {
        "page": 404,
        "json": 404,
        "embed": 404,
        "counter": 404,
        "sign": 404,
        "home": 404,
        "api": 404,
        "api_signatures": 404,
        "api_listed": 0,
    }

    # Its organiser sees the page in a preview, under a banner; its dashboard too.
    preview = creator_client.get(f"/organiser/campaigns/{SLUG}/preview")
    assert preview.status_code == 200
    assert preview.headers["Cache-Control"] == "no-store"
    html = preview.get_data(as_text=True)
    assert "Free the press" in html and "a draft, not public" in html
    assert "<strong>now</strong>" in html
    assert creator_client.get(f"/organiser/campaigns/{SLUG}").status_code == 200
    # The preview's form signs nothing.
    posted = creator_client.post(f"/organiser/campaigns/{SLUG}/preview", data={"email": "x@y.org"})
    assert "nothing was signed" in posted.get_data(as_text=True)

    # A half-done French translation is saved but not shown: French readers get English.
    assert save_text(creator_client, SLUG, "fr", title=FRENCH["title"]).status_code == 303
    french = creator_client.get(f"/organiser/campaigns/{SLUG}/preview?lang=fr")
    assert "Free the press" in french.get_data(as_text=True)
    assert "Libérez la presse" not in french.get_data(as_text=True)
    # Side by side: the English text beside the French fields.
    form = creator_client.get(f"/organiser/campaigns/{SLUG}/text/fr").get_data(as_text=True)
    assert "The Council of Europe" in form and "Libérez la presse" in form
    assert f'action="/organiser/campaigns/{SLUG}/text/fr"' in form
    in_english = creator_client.get(f"/organiser/campaigns/{SLUG}/text/fr?lang=en")
    assert f'action="/organiser/campaigns/{SLUG}/text/fr?lang=en"' in in_english.get_data(
        as_text=True
    )
    # The languages are named as the reader says them, not as their own speakers do.
    assert "Translation into French" in in_english.get_data(as_text=True)
    assert "Title in English" in in_english.get_data(as_text=True)
    in_french = creator_client.get(f"/organiser/campaigns/{SLUG}/text/fr?lang=fr")
    assert "Traduction en français" in in_french.get_data(as_text=True)
    assert "Titre en anglais" in in_french.get_data(as_text=True)

    # Complete, it is shown.
    assert save_text(creator_client, SLUG, "fr", **FRENCH).status_code == 303
    french = creator_client.get(f"/organiser/campaigns/{SLUG}/preview?lang=fr")
    assert "Libérez la presse" in french.get_data(as_text=True)
    assert "Notre demande" in french.get_data(as_text=True)

    # Publish: public now, in both languages, and the audit log says who.
    assert publish(creator_client, SLUG).status_code == 303
    assert client.get(f"/campaigns/{SLUG}").status_code == 200
    assert "Libérez la presse" in client.get(f"/campaigns/{SLUG}?lang=fr").get_data(as_text=True)
    assert client.get(f"/campaigns/{SLUG}.json").get_json()["title"] == "Free the press"
    with smtp_app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == "creator@example.org")
        ).all()
        assert {"campaign.create", "campaign.text", "campaign.publish"} <= set(actions)
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == SLUG))
        assert campaign is not None and campaign.published_at is not None

    # A supporter signs it in French; the confirmation email carries the French title.
    assert sign(client, SLUG, query="?lang=fr", email="lea@example.org").status_code == 303
    report = deliver(smtp_app, SmtpTransport(timeout=5))
    assert report.sent == 1
    [received] = smtp_server.received
    assert received.recipients == ["lea@example.org"]
    subject = str(make_header(decode_header(received.message["Subject"])))
    assert "Libérez la presse" in subject
    assert client.post(confirmation_path(smtp_app)).status_code == 200


def test_publishing_twice_publishes_once(creator_client: FlaskClient, app: Flask) -> None:
    create(creator_client)
    publish(creator_client, SLUG)
    again = publish(creator_client, SLUG)
    assert again.headers["Location"].endswith("done=unchanged")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "campaign.publish")
        ).all()
        assert len(events) == 1


HOSTILE = (
    "Before.\n\n"
    "<script>alert('script')</script>\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    "[click me](javascript:alert(2))\n\n"
    "[and me](JAVASCRIPT:alert(3))\n\n"
    '<iframe src="https://evil.example/"></iframe>\n\n'
    '<a href="https://ok.example/" onclick="alert(4)">raw link</a>\n\n'
    "![tracker](https://evil.example/pixel.png)\n\n"
    "[fine](https://amnesty.org/)\n\n"
    "After."
)


def test_hostile_markdown_is_neutralised_on_the_page(
    creator_client: FlaskClient, client: FlaskClient
) -> None:
    assert create(creator_client, body=HOSTILE).status_code == 303
    publish(creator_client, SLUG)
    for html in (
        client.get(f"/campaigns/{SLUG}").get_data(as_text=True),
        creator_client.get(f"/organiser/campaigns/{SLUG}/preview").get_data(as_text=True),
    ):
        text = html.split('<div class="text"', 1)[1].split("</div>", 1)[0]
        assert "Before." in text and "After." in text
        assert "<script" not in text and "<iframe" not in text and "<img" not in text
        # No element carries an event handler (the escaped text may show one, inert).
        assert not re.search(r"<[^>]*\son\w+\s*=", text)
        assert "javascript:" not in text.lower()
        assert 'href="https://evil.example' not in text and 'src="https://evil' not in text
        # Raw HTML is shown as the text it is, never applied.
        assert "&lt;script&gt;" in text and "&lt;iframe" in text
        assert '<a href="https://amnesty.org/"' in text
    # The policy that would stop anything that slipped through is as strict as ever.
    csp = client.get(f"/campaigns/{SLUG}").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_what_markdown_makes_is_kept_on_the_page(
    creator_client: FlaskClient, client: FlaskClient
) -> None:
    body = (
        "## Our asks\n\n- stop the sales\n- **publish** the licences\n\n"
        "In order:\n\n1. first\n2. second\n"
    )
    assert create(creator_client, body=body).status_code == 303
    publish(creator_client, SLUG)
    text = client.get(f"/campaigns/{SLUG}").get_data(as_text=True).split('<div class="text"', 1)[1]
    # A list keeps its list (a list item alone is not a list to a screen reader).
    assert re.search(r"<ul>\s*<li>stop the sales</li>", text)
    assert re.search(r"<ol>\s*<li>(<p>)?first", text)
    assert "<h2>Our asks</h2>" in text


def test_an_organiser_without_the_right_cannot_start_a_campaign(
    organiser_client: FlaskClient, app: Flask
) -> None:
    assert organiser_client.get("/organiser/campaigns/new").status_code == 403
    response = organiser_client.post("/organiser/campaigns/new", data=ENGLISH)
    assert response.status_code in (400, 403)
    assert "New campaign" not in organiser_client.get("/organiser/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Campaign).where(Campaign.slug == SLUG)) is None


def test_an_admin_may_start_a_campaign_and_an_organiser_not_given_it_cannot_see_it(
    admin_client: FlaskClient, organiser_client: FlaskClient
) -> None:
    assert create(admin_client).status_code == 303
    for path in ("edit", "preview", "text/en", "text/fr"):
        assert organiser_client.get(f"/organiser/campaigns/{SLUG}/{path}").status_code == 403
    token = csrf_token(organiser_client, "/organiser/")
    refused = organiser_client.post(
        f"/organiser/campaigns/{SLUG}/publish", data={"csrf_token": token}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "", "Please choose the address of the page."),
        ("slug", "Free The Press", "lowercase letters"),
        ("slug", "free_the_press", "lowercase letters"),
        ("slug", "-free", "lowercase letters"),
        ("slug", "x" * 65, "At most 64 characters."),
        ("slug", "new", "This address is taken."),
        ("slug", "libérez", "lowercase letters"),
        ("title", "", "Please enter a title."),
        ("title", "   ", "Please enter a title."),
        ("title", "x" * 201, "At most 200 characters."),
        ("title", "Free\u0007the press", "without control characters"),
        ("title", "Free\nthe press", "without control characters"),
        ("summary", "x" * 1001, "At most 1,000 characters."),
        ("summary", "Bad\u001b[31m red", "control characters"),
        ("target", "", "Please say who the petition is addressed to."),
        ("body", "", "Please write the text of the petition."),
        ("body", "x" * 20_001, "At most 20,000 characters."),
        ("body", "A\u0000B", None),  # refused before any form reads it (400)
        ("goal", "0", "from 1 to 1,000,000,000"),
        ("goal", "99999999999999999999999", "from 1 to 1,000,000,000"),
        ("goal", "many", None),
        ("locale", "xx", None),
    ],
)
def test_a_bad_field_gets_a_clear_error_and_nothing_is_made(
    creator_client: FlaskClient, app: Flask, field: str, value: str, message: str | None
) -> None:
    response = create(creator_client, **{field: value})
    assert 400 <= response.status_code < 500
    if message is not None:
        assert message in response.get_data(as_text=True)
        # What was typed is kept (long values are checked by their length only).
        if field != "slug" and len(value) < 100 and "\u001b" not in value:
            assert ENGLISH["summary" if field != "summary" else "title"] in response.get_data(
                as_text=True
            )
    with app.app_context():
        assert db.session.scalar(select(Campaign.id)) is None


def test_the_error_summary_lists_the_fields_in_the_order_of_the_page(
    creator_client: FlaskClient,
) -> None:
    response = create(creator_client, slug="", title="", goal="0")
    summary = response.get_data(as_text=True).split('class="error-summary"', 1)[1]
    summary = summary.split("</div>", 1)[0]
    assert summary.index("#slug") < summary.index("#title") < summary.index("#goal")


def test_a_slug_already_taken_gets_a_clear_error(
    creator_client: FlaskClient, app: Flask, campaign: str
) -> None:
    response = create(creator_client, slug=campaign)
    assert response.status_code == 422
    assert "This address is taken. Please choose another." in response.get_data(as_text=True)
    assert create(creator_client).status_code == 303
    again = create(creator_client, title="Another")
    assert again.status_code == 422
    assert "This address is taken" in again.get_data(as_text=True)


def test_a_huge_form_is_refused_with_a_page_not_a_crash(creator_client: FlaskClient) -> None:
    response = create(creator_client, body="x" * 600_000)
    assert response.status_code == 413


def test_the_main_language_must_stay_complete_and_a_translation_may_wait(
    creator_client: FlaskClient,
) -> None:
    create(creator_client)
    emptied = save_text(creator_client, SLUG, "en", title="", summary="s", target="t", body="b")
    assert emptied.status_code == 422
    assert "Please enter a title." in emptied.get_data(as_text=True)
    bad = save_text(creator_client, SLUG, "fr", title="Oui\u0000")
    assert bad.status_code == 400
    assert save_text(creator_client, SLUG, "fr", summary="Un résumé").status_code == 303
    saved = creator_client.get(f"/organiser/campaigns/{SLUG}/text/fr?saved=1")
    assert "see the main language meanwhile" in saved.get_data(as_text=True)
    assert creator_client.get(f"/organiser/campaigns/{SLUG}/text/de").status_code == 404
    edit = creator_client.get(f"/organiser/campaigns/{SLUG}/edit").get_data(as_text=True)
    assert "incomplete: not shown yet" in edit


def test_seed_does_not_overwrite_a_campaign_edited_in_the_browser(
    admin_client: FlaskClient, client: FlaskClient, runner: FlaskCliRunner, seeded: str
) -> None:
    path = f"/organiser/campaigns/{seeded}/text/en"
    page = admin_client.get(path).get_data(as_text=True)
    assert "Stop the sale of surveillance" in page or "surveillance" in page.lower()
    assert (
        save_text(
            admin_client,
            seeded,
            "en",
            title="Our own title",
            summary="Our summary.",
            target="Our target",
            body="Our text.",
        ).status_code
        == 303
    )

    result = runner.invoke(args=["campaigns", "seed"])

    assert result.exit_code == 0, result.output
    assert f"kept: {seeded} (edited in the browser since" in result.output
    assert "the database owns it" in result.output
    assert "Our own title" in client.get(f"/campaigns/{seeded}").get_data(as_text=True)
    # It stays published, and its French text (untouched) is still the file's.
    french = client.get(f"/campaigns/{seeded}?lang=fr").get_data(as_text=True)
    assert "Our own title" not in french


def test_seed_still_updates_a_campaign_nobody_edited_in_the_browser(
    runner: FlaskCliRunner, seeded: str
) -> None:
    result = runner.invoke(args=["campaigns", "seed"])
    assert f"updated: {seeded} (en, fr)" in result.output


def test_the_right_to_start_campaigns_is_given_on_the_team_page_and_by_the_cli(
    admin_client: FlaskClient, app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        colleague = make_organiser(db.session, "colleague@example.org")
        colleague_id = colleague.id
        db.session.commit()
    token = csrf_token(admin_client, "/organiser/team")
    response = admin_client.post(
        f"/organiser/team/{colleague_id}/campaign-creation",
        data={"csrf_token": token, "allowed": "yes"},
    )
    assert response.status_code == 303
    team = admin_client.get("/organiser/team?done=creation").get_data(as_text=True)
    assert "may start new campaigns" in team and "Stop starting campaigns" in team

    colleague_client = app.test_client()
    assert login(colleague_client, "colleague@example.org").status_code == 303
    assert colleague_client.get("/organiser/campaigns/new").status_code == 200
    assert create(colleague_client).status_code == 303
    # Granted the campaign it made: it is on its list.
    assert "Free the press" in colleague_client.get("/organiser/").get_data(as_text=True)

    result = runner.invoke(args=["organisers", "allow-create", "colleague@example.org", "--remove"])
    assert result.exit_code == 0, result.output
    assert "may no longer start campaigns" in result.output
    assert colleague_client.get("/organiser/campaigns/new").status_code == 403
    result = runner.invoke(args=["organisers", "allow-create", "colleague@example.org"])
    assert "may now start campaigns" in result.output
    assert "may start campaigns" in runner.invoke(args=["organisers", "list"]).output
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "organiser.campaign_creation")
        ).all()
        assert len(actions) == 3
