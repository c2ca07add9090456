"""The organisers' dashboard: the campaign list, a campaign's figures and plots, and the
printable delivery report."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    render_template,
)
from flask_babel import format_date, format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import login_required

from campaign.campaigns.content import render_body
from campaign.countries import country_name
from campaign.dashboard import charts
from campaign.dashboard.services import campaign_overview, campaign_stats
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.auth import campaign_for_organiser, current_organiser
from campaign.organisers.services import visible_campaigns
from campaign.privacy.controls import total_erased
from campaign.privacy.retention import anonymisation_schedule
from campaign.tallies.services import read_tally

# Nested in the organiser area (organisers/area.py), which gives the /organiser prefix.
bp = Blueprint("dashboard", __name__)

TOP_COUNTRIES = 10


def _number(value: int) -> str:
    return str(format_number(value))


@bp.get("/")
@login_required
def index() -> Response:
    now = utcnow()
    overviews = [
        campaign_overview(db.session, campaign, now)
        for campaign in visible_campaigns(db.session, current_organiser())
    ]
    return make_response(render_template("dashboard/index.html", overviews=overviews))


@bp.get("/campaigns/<slug>")
@login_required
def campaign(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    now = utcnow()
    stats = campaign_stats(db.session, campaign, now)
    locale = str(get_locale())
    names = {code: country_name(code, locale) for code, _count in stats.countries}
    top = stats.countries[:TOP_COUNTRIES]
    others = sum(n for _code, n in stats.countries[TOP_COUNTRIES:])
    country_rows = [(names[code], n) for code, n in top]
    if others:
        country_rows.append((_("Other countries"), others))
    source_rows = [(source or _("(no share code)"), n) for source, n in stats.sources]

    plots = {}
    if stats.daily:

        def day(start: datetime) -> str:
            return str(format_date(start.date(), "d MMM"))

        def hour(start: datetime) -> str:
            return start.strftime("%H:00")

        daily = charts.PeriodSeries(stats.daily, day, _number)
        plots["daily"] = charts.per_period_chart(daily, _("Confirmed signatures per day"))
        plots["cumulative"] = charts.cumulative_chart(
            daily, _("Total confirmed signatures, day by day")
        )
        plots["hourly"] = charts.per_period_chart(
            charts.PeriodSeries(stats.hourly, hour, _number),
            _("Confirmed signatures per hour, last 48 hours (UTC)"),
        )
    if country_rows:
        plots["countries"] = charts.bar_chart(country_rows, _("Top countries"), _number)
    if source_rows:
        plots["sources"] = charts.bar_chart(source_rows, _("Signatures by source"), _number)
    return make_response(
        render_template(
            "dashboard/campaign.html",
            campaign=campaign,
            stats=stats,
            plots=plots,
            country_rows=country_rows,
            source_rows=source_rows,
            percent=lambda rate: format_percent(rate, "#,##0.0%") if rate is not None else "–",
            retention=anonymisation_schedule(
                db.session, campaign, current_app.config["RETENTION_ANONYMISE_MONTHS"]
            ),
            erased=total_erased(db.session, campaign.id),
        )
    )


@bp.get("/campaigns/<slug>/report")
@login_required
def report(slug: str) -> Response:
    campaign = campaign_for_organiser(slug)
    locale = str(get_locale())
    tally = read_tally(db.session, campaign.id)
    rows = [(country_name(code, locale), code, n) for code, n in tally.by_country]
    return make_response(
        render_template(
            "dashboard/report.html",
            campaign=campaign,
            body=render_body(campaign.body),
            tally=tally,
            rows=rows,
            today=utcnow().date(),
        )
    )
