"""`flask export signatures SLUG` and `flask export tallies SLUG`: CSV to stdout or a file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.audit.services import record_event
from campaign.campaigns.models import Campaign
from campaign.campaigns.questions import campaign_questions
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.exports.services import (
    TALLY_KINDS,
    BadExportRequest,
    logged_signatures_csv,
    parse_signature_filters,
    tallies_csv,
    tally_rows,
)
from campaign.extensions import db

export_cli = AppGroup("export", help="CSV exports (the same as the organisers' downloads).")


def _write(chunks: Iterable[bytes], output: Path | None) -> None:
    """Write to stdout, or to `output` through a temporary file renamed at the end, so a
    failed export never leaves a file that looks complete."""
    if output is None:
        stream: BinaryIO = sys.stdout.buffer
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def _campaign_id(slug: str) -> int:
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        raise click.ClickException(f"No campaign has the slug {slug!r}.")
    return campaign.id


def _question_keys(campaign_id: int) -> list[str]:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    return [question.key for question in campaign_questions(campaign.questions)]


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
excel_option = click.option(
    "--excel", is_flag=True, help="Start with a byte-order mark, so Excel reads UTF-8."
)


@export_cli.command("signatures")
@click.argument("slug")
@output_option
@click.option(
    "--since", metavar="DATE", help="Confirmed on or after this day (UTC), e.g. 2026-12-01."
)
@click.option("--until", metavar="DATE", help="Confirmed on or before this day (UTC).")
@click.option("--opt-in", is_flag=True, help="Only those who agreed to be contacted.")
@excel_option
def signatures_command(
    slug: str, output: Path | None, since: str | None, until: str | None, opt_in: bool, excel: bool
) -> None:
    """Confirmed signatures of campaign SLUG, as CSV."""
    try:
        filters = parse_signature_filters(since, until, "true" if opt_in else None)
    except BadExportRequest as error:
        raise click.UsageError(str(error)) from error
    campaign_id = _campaign_id(slug)
    question_keys = _question_keys(campaign_id)
    db.session.remove()  # no session, and so no connection, held while rows stream
    rows_written: list[int] = []
    chunks = logged_signatures_csv(
        db.engine,
        campaign_id,
        filters,
        actor=None,
        now=utcnow(),
        batch_size=current_app.config["EXPORT_BATCH_SIZE"],
        excel=excel,
        question_keys=question_keys,
        on_finish=rows_written.append,
    )
    _write(chunks, output)
    if output is not None:
        click.echo(f"{rows_written[0]} signatures written to {output}", err=True)


@export_cli.command("tallies")
@click.argument("slug")
@output_option
@click.option(
    "--by",
    "kind",
    type=click.Choice(TALLY_KINDS),
    default="country",
    show_default=True,
    help="One row per country, per day (with the running total) or per source.",
)
@excel_option
def tallies_command(slug: str, output: Path | None, kind: str, excel: bool) -> None:
    """Confirmed signature counts of campaign SLUG, as CSV."""
    campaign_id = _campaign_id(slug)
    now = utcnow()
    rows = tally_rows(db.session, campaign_id, kind, now)
    record_event(
        db.session,
        actor=None,
        action="export.tallies",
        campaign_id=campaign_id,
        details={"by": kind, "excel": excel},
        now=now,
        row_count=len(rows),
    )
    db.session.commit()
    _write([tallies_csv(rows, kind, excel)], output)
