"""`flask tallies reconcile`: recount from the signatures, report and correct any difference.

The command belongs to the `tallies` group, but lives here: only signing knows which
signatures count, and tallies never import signing."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.database import utcnow
from campaign.extensions import db
from campaign.signing.counts import public_counts
from campaign.tallies.services import correct_tally, find_tally_differences

tallies_cli = AppGroup("tallies", help="Confirmed counts.")


@tallies_cli.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Report differences without correcting them.")
def reconcile_command(dry_run: bool) -> None:
    """Recount every campaign's confirmed signatures and correct the tallies (run nightly).

    Exits with status 1 when --dry-run finds a difference, so monitoring can alert on it.
    """
    if db.engine.dialect.name == "postgresql":
        # One snapshot for both sides; see find_tally_differences.
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    differences = find_tally_differences(db.session, public_counts(db.session))
    slugs = {row.id: row.slug for row in db.session.execute(select(Campaign.id, Campaign.slug))}
    db.session.commit()

    if not differences:
        click.echo("Tallies match the confirmed signatures.")
        return
    for difference in differences:
        click.echo(
            f"{slugs.get(difference.campaign_id, difference.campaign_id)} "
            f"{difference.country}: tally {difference.counted}, "
            f"confirmed signatures {difference.actual}"
        )
    if dry_run:
        raise SystemExit(1)
    now = utcnow()
    for difference in differences:
        correct_tally(db.session, difference, now, current_app.config["TALLY_SHARDS"])
    db.session.commit()
    current_app.extensions["campaign_page_cache"].clear()
    click.echo(f"Corrected {len(differences)} difference(s).")
