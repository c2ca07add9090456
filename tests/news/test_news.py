"""Writing to supporters, as an organiser does it over HTTP, delivered over real SMTP: who
gets the news, in which language, with which links, and only once."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from campaign.audit.models import AuditEvent
from campaign.extensions import db
from campaign.news.models import NewsDelivery, NewsMessage
from campaign.signing.models import Signature
from tests.factories import campaign_by_slug, csrf_from, login, make_campaign, make_organiser, sign
from tests.helpers import confirmation_path, manage_path, signatures
from tests.news.helpers import (
    compose,
    confirm_page,
    deliver_email,
    deliver_news,
    news_id_of,
    press_send,
    queue_news,
)
from tests.smtp import SmtpServer


def _supporter(
    app: Flask,
    slug: str,
    email: str,
    *,
    lang: str = "en",
    opt_in: bool = True,
    confirm: bool = True,
) -> int:
    """Sign (in `lang`) and confirm, as a supporter does; the signature's id."""
    client = app.test_client()
    form = {"email": email, "first_name": email.split("@")[0].title()}
    if opt_in:
        form["opt_in"] = "y"
    assert sign(client, slug, query=f"?lang={lang}", **form).status_code in (200, 303)
    if confirm:
        assert client.post(confirmation_path(app)).status_code == 200
    with app.app_context():
        found = db.session.scalar(select(Signature.id).where(Signature.email == email))
        assert found is not None
        return found


def _received_by(smtp_server: SmtpServer, address: str) -> list:
    return [r.message for r in smtp_server.received if address in r.recipients]


def test_news_reaches_exactly_those_who_asked_for_it_in_their_language_once(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    app, slug = smtp_app, campaign
    _supporter(app, slug, "ada@example.org")
    _supporter(app, slug, "berthe@example.org", lang="fr")
    twice = _supporter(app, slug, "twice@example.org")
    sign(app.test_client(), slug, email="TWICE@Example.org", opt_in="y")  # signs again
    _supporter(app, slug, "no-news@example.org", opt_in=False)
    _supporter(app, slug, "unconfirmed@example.org", confirm=False)
    suspect = _supporter(app, slug, "suspect@example.org")
    _supporter(app, slug, "deleted@example.org")
    assert app.test_client().post(manage_path(app, "delete")).status_code == 200
    _supporter(app, slug, "left-before@example.org")
    assert app.test_client().post(manage_path(app, "unsubscribe")).status_code == 200
    _supporter(app, slug, "left-while-writing@example.org")
    left_while_writing = manage_path(app, "unsubscribe")
    _supporter(app, slug, "left-after-send@example.org")
    left_after_send = manage_path(app, "unsubscribe")
    with app.app_context():
        db.session.execute(update(Signature).where(Signature.id == suspect).values(suspect=True))
        db.session.commit()
    deliver_email(app)  # the confirmations and receipts: out of the way
    before = len(smtp_server.received)

    news_id = news_id_of(
        compose(
            organiser_client,
            slug,
            subject="We delivered it",
            body="Thank you. **We did it.**",
            subject_fr="Nous l'avons remise",
            body_fr="Merci. **Nous avons réussi.**",
        )
    )
    assert app.test_client().post(left_while_writing).status_code == 200

    page = confirm_page(organiser_client, slug, news_id)
    assert "will go to 4 people" in page  # ada, berthe, twice, left-after-send
    assert press_send(organiser_client, slug, news_id, page).status_code == 303
    assert queue_news(app).sent == 1  # the worker queued the 4 recipients
    assert app.test_client().post(left_after_send).status_code == 200

    report = deliver_news(app)
    assert report.sent == 3

    news = smtp_server.received[before:]
    assert sorted(r.recipients[0] for r in news) == [
        "ada@example.org",
        "berthe@example.org",
        "twice@example.org",
    ]
    [english] = _received_by(smtp_server, "ada@example.org")[-1:]
    [french] = _received_by(smtp_server, "berthe@example.org")[-1:]
    assert english["Subject"] == "We delivered it"
    assert french["Subject"] == "Nous l'avons remise"
    assert "Nous avons réussi." in french.get_body(("plain",)).get_content()
    assert "<strong>Nous avons réussi.</strong>" in french.get_body(("html",)).get_content()
    assert "Hello Ada," in english.get_body(("plain",)).get_content()
    assert len(_received_by(smtp_server, "twice@example.org")) - 1 == 1  # + its confirmation

    # One click in the mail client stops news for good.
    header = english["List-Unsubscribe"]
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.fullmatch(r"<https://petition\.example\.org(/unsubscribe/\S+)>", header)
    assert one_click
    assert one_click.group(1) in english.get_body(("plain",)).get_content()
    mail_provider = app.test_client(use_cookies=False)
    response = mail_provider.post(one_click.group(1), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert next(s for s in signatures(app) if s.email == "ada@example.org").opt_in is False

    progress = organiser_client.get(f"/organiser/campaigns/{slug}/news/{news_id}")
    text = progress.get_data(as_text=True)
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", text))
    assert figures == {
        "Recipients": "4",
        "Queued": "0",
        "Sent": "3",
        "Failed": "0",
        "Not sent: stopped news or removed before their turn": "1",
        "Unsubscribed since": "2",  # left-after-send, then ada with one click
    }
    assert twice  # the same person, one copy


def test_a_second_send_a_resubmitted_form_and_a_stale_page_send_nothing_twice(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    for n in range(3):
        _supporter(smtp_app, campaign, f"fan{n}@example.org")
    deliver_email(smtp_app)
    before = len(smtp_server.received)
    news_id = news_id_of(compose(organiser_client, campaign))
    page = confirm_page(organiser_client, campaign, news_id)

    assert press_send(organiser_client, campaign, news_id, page).status_code == 303
    assert press_send(organiser_client, campaign, news_id, page).status_code == 303
    again = organiser_client.get(f"/organiser/campaigns/{campaign}/news/{news_id}/send")
    assert again.status_code == 303  # no second confirmation page once sent
    # Nor can its text change once sent: the form leads back to the progress page.
    changed = compose(organiser_client, campaign, news_id=news_id, subject="Changed")
    assert changed.status_code == 303
    page = organiser_client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "We delivered it" in page and "Changed" not in page

    assert deliver_news(smtp_app).sent == 3
    assert len(smtp_server.received) - before == 3
    with smtp_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NewsDelivery)) == 3
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "news.send")
        ).all()
        assert [(e.row_count, e.completed, e.actor) for e in events] == [
            (3, True, "organiser@example.org")
        ]


def test_a_test_send_goes_only_to_the_organiser_marked_as_a_test(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    _supporter(smtp_app, campaign, "fan@example.org")
    deliver_email(smtp_app)
    before = len(smtp_server.received)
    news_id = news_id_of(
        compose(organiser_client, campaign, subject_fr="Des nouvelles", body_fr="Bonjour *tous*")
    )
    page = organiser_client.get(f"/organiser/campaigns/{campaign}/news/{news_id}")
    token = csrf_from(page.get_data(as_text=True))
    response = organiser_client.post(
        f"/organiser/campaigns/{campaign}/news/{news_id}/test",
        data={"csrf_token": token, "test-csrf_token": token, "test-locale": "fr"},
    )
    assert response.status_code == 303
    shown = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A test in French is on its way to organiser@example.org." in shown

    deliver_email(smtp_app)
    [test] = smtp_server.received[before:]
    assert test.recipients == ["organiser@example.org"]
    assert test.message["Subject"] == "Des nouvelles"
    assert "TEST" in test.message.get_body(("plain",)).get_content()
    assert deliver_news(smtp_app).sent == 0  # nothing queued for supporters
    with smtp_app.app_context():
        assert db.session.get(NewsMessage, news_id).state == "draft"  # type: ignore[union-attr]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "img", "iframe", "style", "object"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src") and not re.match(r"(https?|mailto):", value or ""):
                self.found.append(f"{tag} {name}={value}")


def _hostile_parts(html: str) -> list[str]:
    """Tags, event handlers and link schemes that could run or load something."""
    parser = _Tags()
    parser.feed(html)
    return parser.found


def test_hostile_markdown_is_neutralised_in_the_preview_and_the_email(
    smtp_app: Flask, campaign: str, organiser_client: FlaskClient, smtp_server: SmtpServer
) -> None:
    _supporter(smtp_app, campaign, "fan@example.org")
    deliver_email(smtp_app)
    hostile = (
        "<script>alert('x')</script>\n\n"
        "[click](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
        '<a href="https://evil.example" onclick="steal()">raw</a> [ok](https://example.org)\n\n'
        "![pixel](https://tracker.example/p.gif)"
    )
    news_id = news_id_of(compose(organiser_client, campaign, body=hostile))
    preview = organiser_client.get(f"/organiser/campaigns/{campaign}/news/{news_id}")
    page = preview.get_data(as_text=True)
    assert "<script>alert" not in page  # the form shows what was typed, escaped
    html = page[page.index('id="preview"') :].split("</section>")[0]
    assert _hostile_parts(html) == []
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "script-src 'self'" in preview.headers["Content-Security-Policy"]

    press_send(organiser_client, campaign, news_id)
    assert deliver_news(smtp_app).sent == 1
    email_html = smtp_server.received[-1].message.get_body(("html",)).get_content()
    assert _hostile_parts(email_html) == []
    assert "&lt;script&gt;" in email_html  # shown as the text it was, harmless


def test_a_half_written_language_or_a_missing_main_text_is_refused_keeping_what_was_typed(
    app: Flask, campaign: str, organiser_client: FlaskClient
) -> None:
    response = compose(organiser_client, campaign, subject="", body="Only a body")
    assert response.status_code == 422
    assert "Only a body" in response.get_data(as_text=True)
    response = compose(organiser_client, campaign, subject_fr="Sujet seul")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Sujet seul" in page and "French: please write both a subject and a message" in page
    response = compose(organiser_client, campaign, body="x" * 30_000)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NewsMessage)) == 0


def test_news_of_another_campaign_is_out_of_reach(
    app: Flask, campaign: str, organiser_client: FlaskClient
) -> None:
    news_id = news_id_of(compose(organiser_client, campaign))
    with app.app_context():
        other = make_campaign(db.session)
        make_organiser(db.session, "other@example.org", campaigns=[other])
        db.session.commit()
        other_slug = other.slug
    assert organiser_client.get(f"/organiser/campaigns/{other_slug}/news").status_code == 403
    assert (
        organiser_client.get(f"/organiser/campaigns/{other_slug}/news/{news_id}").status_code == 403
    )
    stranger = app.test_client()
    login(stranger, "other@example.org")
    assert stranger.get(f"/organiser/campaigns/{other_slug}/news/{news_id}").status_code == 404
    assert stranger.get(f"/organiser/campaigns/{campaign}/news/{news_id}").status_code == 403
    with app.app_context():
        assert campaign_by_slug(db.session, campaign)


def test_the_dashboard_links_to_writing_to_supporters(
    app: Flask, campaign: str, organiser_client: FlaskClient
) -> None:
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert f'href="/organiser/campaigns/{campaign}/news"' in page
    listing = organiser_client.get(f"/organiser/campaigns/{campaign}/news")
    assert listing.status_code == 200
    assert "0 people today" in listing.get_data(as_text=True)
