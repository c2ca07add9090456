"""`flask campaigns seed`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.campaigns.content import ContentError, seed_campaigns
from campaign.extensions import db

campaigns_cli = AppGroup("campaigns", help="Campaign content.")


@campaigns_cli.command("seed")
@click.option(
    "--directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of campaign content files (default: content/campaigns).",
)
def seed_command(directory: Path | None) -> None:
    """Create or update campaigns, in every language, from their content (safe to run again).

    A campaign edited in the browser is owned by the database: it is left alone, and said so."""
    folder = directory or Path(current_app.config["CONTENT_DIR"])
    try:
        results = seed_campaigns(db.session, folder)
    except ContentError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for result in results:
        if result.action == "kept" and result.edited_in_browser_at is not None:
            since = result.edited_in_browser_at.strftime("%Y-%m-%d %H:%M UTC")
            click.echo(
                f"kept: {result.slug} (edited in the browser since {since}: the database "
                f"owns it, so its content files were not applied)"
            )
            continue
        click.echo(f"{result.action}: {result.slug} ({', '.join(result.locales)})")
    if not results:
        click.echo(f"no campaign files in {folder}")
