"""`flask signatures import SLUG FILE.csv`: signatures collected on paper."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.paper.services import BadSheet, clean_source, import_rows, read_sheet, rejects_csv

signatures_cli = AppGroup("signatures", help="Signatures collected on paper.")


@signatures_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default="paper", show_default=True, help="Recorded on each signature.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows, and write the bad ones to --rejects (default FILE.rejects.csv).",
)
@click.option(
    "--rejects", type=click.Path(dir_okay=False, path_type=Path), help="Where bad rows go."
)
def import_command(
    slug: str, file: Path, source: str, skip_invalid: bool, rejects: Path | None
) -> None:
    """Import a CSV sheet with the columns first_name,last_name,email,country,postcode
    (email and postcode may be empty). A sheet with any bad row imports nothing, unless
    --skip-invalid; importing the same sheet twice adds nothing the second time."""
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        raise click.ClickException(f"No campaign has the slug {slug!r}.")
    try:
        source = clean_source(source)
        sheet = read_sheet(file.read_bytes())
    except BadSheet as error:
        raise click.ClickException(f"{file.name}: {error}. Nothing was imported.") from error
    if sheet.bad and not skip_invalid:
        for bad in sheet.bad:
            click.echo(f"{file.name} {bad.describe()}", err=True)
        raise click.ClickException(
            f"{len(sheet.bad)} bad row(s): nothing was imported. Correct them, or use "
            "--skip-invalid to import the others."
        )
    if sheet.bad:
        rejects = rejects or file.with_name(file.stem + ".rejects.csv")
        rejects.write_text(rejects_csv(sheet), encoding="utf-8")
    report = import_rows(
        db.session,
        campaign,
        sheet,
        source=source,
        file_name=file.name,
        actor=None,
        now=utcnow(),
        tally_shards=current_app.config["TALLY_SHARDS"],
    )
    db.session.commit()
    click.echo(
        f"Imported {report.imported} signature(s) into {slug} (source {source}); "
        f"{report.already_there} already there."
    )
    if sheet.bad:
        click.echo(f"{report.skipped_invalid} bad row(s) skipped, written to {rejects}.")
