"""`flask export report SLUG -o FILE.pdf [--names]`: the delivery report's PDF without a web
request's time limit (a very large list of names), the same as the organisers' download."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale

from campaign.audit.services import Event, finish_export, record_event_apart
from campaign.branding.services import read_identity, read_logo
from campaign.campaigns.services import find_campaign_by_slug
from campaign.closing.pdf import ReportOptions, write_report_pdf
from campaign.dashboard.report import delivery_report, signers
from campaign.database import utcnow
from campaign.exports.cli import export_cli
from campaign.extensions import db


@export_cli.command("report")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--names", is_flag=True, help="Add the signers' names and countries.")
@click.option("--lang", default=None, help="The report's language (default: the site's).")
def report_command(slug: str, output: Path, names: bool, lang: str | None) -> None:
    """Write the delivery report of SLUG as a PDF file."""
    # Only reads: on SQLite a deferred transaction, so signers never wait behind the drawing.
    db.session.connection(execution_options={"read_only": True})
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        raise click.ClickException(f"No campaign has the slug {slug!r}.")
    languages = current_app.config["LANGUAGES"]
    locale = lang or current_app.config["BABEL_DEFAULT_LOCALE"]
    if locale not in languages:
        raise click.ClickException(f"--lang must be one of {', '.join(languages)}.")
    now = utcnow()
    identity = read_identity(db.session)
    options = ReportOptions(
        identity=identity, logo=read_logo(db.session) if identity.logo_version else None
    )
    partial = output.with_name(output.name + ".part")
    with force_locale(locale):
        report = delivery_report(db.session, campaign, locale, now.date())
        event_id = None
        listed = None
        if names:
            event_id = record_event_apart(
                db.engine,
                Event(None, "report.names", campaign.id, {"format": "pdf"}, now, completed=False),
            )
            listed = signers(db.session, campaign.id, [code for _n, code, _c in report.rows])
        try:
            with partial.open("wb") as file:
                count = write_report_pdf(report, options, listed, file)
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
        if event_id is not None:
            finish_export(db.engine, event_id, count, True)
    click.echo(f"Wrote {output}" + (f" with {count} names" if names else ""), err=True)
