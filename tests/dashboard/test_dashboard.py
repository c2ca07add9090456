"""The dashboard's figures against a data set whose answers are known, and how they are shown."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.dashboard.charts import nice_ticks
from campaign.dashboard.services import campaign_overview, campaign_stats
from campaign.database import utcnow
from campaign.extensions import db
from tests.factories import add_signature, campaign_by_slug

NOW = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def known_data(app: Flask, campaign_id: int) -> None:
    """Seven confirmed signatures over three days, two pending ones, another campaign's."""
    confirmed = [
        ("2026-11-26 09:00", "FR", "twitter", True),
        ("2026-11-26 10:00", "FR", "twitter", False),
        ("2026-11-26 23:59:59", "KE", None, False),
        ("2026-11-28 13:10", "FR", "email", True),
        ("2026-11-28 14:59:59", "GB", None, False),
        ("2026-11-28 15:00", "KE", "twitter", True),
        ("2026-11-28 15:20", "FR", "email", False),
    ]
    with app.app_context():
        for when, country, source, opt_in in confirmed:
            add_signature(
                db.session,
                campaign_id,
                confirmed_at=at(when),
                country=country,
                source=source,
                opt_in=opt_in,
            )
        add_signature(db.session, campaign_id, signed_at=at("2026-11-28 12:00"), country="DE")
        add_signature(db.session, campaign_id, signed_at=at("2026-11-27 12:00"), country="FR")
        from tests.factories import make_campaign

        other = make_campaign(db.session)
        add_signature(db.session, other.id, confirmed_at=at("2026-11-28 15:00"), country="US")
        db.session.commit()


def test_the_figures_match_the_known_data_set(app: Flask, campaign: str, known_data: None) -> None:
    with app.app_context():
        stats = campaign_stats(db.session, campaign_by_slug(db.session, campaign), NOW)

    assert stats.confirmed == 7
    assert stats.pending == 2
    assert stats.confirmation_rate == pytest.approx(7 / 9)
    assert stats.opted_in == 3
    assert stats.opt_in_rate == pytest.approx(3 / 7)
    assert [(p.start.date(), p.signature_count, p.cumulative) for p in stats.daily] == [
        (date(2026, 11, 26), 3, 3),
        (date(2026, 11, 27), 0, 3),
        (date(2026, 11, 28), 4, 7),
    ]
    assert len(stats.hourly) == 48
    assert stats.hourly[0].start == at("2026-11-26 16:00")
    assert stats.hourly[-1].start == at("2026-11-28 15:00")
    counted = {p.start: p.signature_count for p in stats.hourly if p.signature_count}
    assert counted == {
        at("2026-11-26 23:00"): 1,
        at("2026-11-28 13:00"): 1,
        at("2026-11-28 14:00"): 1,
        at("2026-11-28 15:00"): 2,
    }
    assert stats.hourly[0].cumulative == 2  # the two of the 26th's morning came before
    assert stats.hourly[-1].cumulative == 7
    assert stats.countries == [("FR", 4), ("KE", 2), ("GB", 1)]
    assert stats.sources == [("twitter", 3), (None, 2), ("email", 2)]


def test_the_campaign_list_counts_confirmed_pending_and_the_last_24_hours(
    app: Flask, campaign: str, known_data: None
) -> None:
    with app.app_context():
        overview = campaign_overview(db.session, campaign_by_slug(db.session, campaign), NOW)
    assert (overview.confirmed, overview.pending, overview.last_24_hours) == (7, 2, 4)
    assert overview.progress_percent == 0  # 7 of 1,000


def test_a_campaign_without_signatures_has_empty_figures(app: Flask, campaign: str) -> None:
    with app.app_context():
        stats = campaign_stats(db.session, campaign_by_slug(db.session, campaign), NOW)
    assert (stats.confirmed, stats.pending, stats.daily, stats.countries, stats.sources) == (
        0,
        0,
        [],
        [],
        [],
    )
    assert stats.confirmation_rate is None and stats.opt_in_rate is None
    assert [p.signature_count for p in stats.hourly] == [0] * 48


def recent_data(app: Flask, campaign_id: int) -> None:
    now = utcnow()
    with app.app_context():
        for hours, country, source in [
            (30, "FR", "twitter"),
            (3, "KE", None),
            (1, "FR", "<b>bold</b>"),
        ]:
            add_signature(
                db.session,
                campaign_id,
                confirmed_at=now - timedelta(hours=hours),
                country=country,
                source=source,
                opt_in=True,
            )
        add_signature(db.session, campaign_id, signed_at=now)
        db.session.commit()


def test_the_dashboard_page_shows_totals_plots_and_a_table_beside_each_plot(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    recent_data(app, campaign_id)

    response = organiser_client.get(f"/organiser/campaigns/{campaign}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"Confirmed signatures</dt><dd>3</dd>", page)
    assert re.search(r"Pending \(not yet confirmed\)</dt><dd>1</dd>", page)
    assert re.search(r"Confirmation rate</dt><dd>75\.0%</dd>", page)
    assert re.search(r"Agreed to be contacted</dt><dd>100\.0%</dd>", page)
    for heading in ("daily-heading", "hourly-heading", "countries-heading", "sources-heading"):
        section = page.split(f'<h2 id="{heading}"')[1]
        section = section.split("</section>")[0]
        assert "<svg" in section and "<table" in section
    assert '<th scope="row">France</th><td class="number">2</td>' in page
    assert "(no share code)" in page


def test_the_plots_need_no_script_and_no_inline_style(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    # A Content-Security-Policy without 'unsafe-inline' must not break them.
    recent_data(app, campaign_id)
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    # Five plots, each drawn for a wide screen and for a phone (the CSS shows one).
    assert len(svgs) == 10
    assert sum('class="plot-narrow"' in svg for svg in svgs) == 5
    for svg in svgs:
        assert "style=" not in svg and "<style" not in svg and "<script" not in svg
        assert 'role="img"' in svg and "<title>" in svg and "viewBox=" in svg
    assert "<script" not in page and "style=" not in page


def test_a_first_signature_draws_every_plot_with_room_for_its_bars(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    # One country and one source: a plot of one bar was drawn shorter than its axis and
    # margins, and the browser refused its bar (a negative height).
    with app.app_context():
        add_signature(db.session, campaign_id, confirmed_at=utcnow() - timedelta(hours=1))
        db.session.commit()
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 10
    for svg in svgs:
        sizes = re.findall(r'(?:height|width)="([^"]*)"', svg)
        assert sizes and all(float(size) >= 0 for size in sizes), svg[:200]


def test_text_from_the_database_is_escaped_in_plots_and_tables(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    recent_data(app, campaign_id)
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_an_empty_campaign_says_the_plots_come_with_the_first_signature(
    organiser_client: FlaskClient, campaign: str
) -> None:
    page = organiser_client.get(f"/organiser/campaigns/{campaign}").get_data(as_text=True)
    assert "No confirmed signature yet" in page
    assert "<svg" not in page


def test_the_dashboard_speaks_french_too(
    app: Flask, organiser_client: FlaskClient, campaign: str, campaign_id: int
) -> None:
    recent_data(app, campaign_id)
    page = organiser_client.get(f"/organiser/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "France" in page and "Kenya" in page


def test_the_campaign_list_shows_each_campaigns_numbers(
    app: Flask, organiser_client: FlaskClient, campaign_id: int
) -> None:
    recent_data(app, campaign_id)
    page = organiser_client.get("/organiser/").get_data(as_text=True)
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="number">(\d+)</td>', row) == ["3", "1", "2"]
    assert "0% of 1,000" in row


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (101, [0, 50, 100, 150]),
        (900_262, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000]),
    ],
)
def test_plot_axes_have_round_ticks_reaching_the_top(top: int, ticks: list[int]) -> None:
    assert nice_ticks(top) == ticks
