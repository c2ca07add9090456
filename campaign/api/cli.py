"""`flask api-keys create|list|revoke`: keys for the API."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from campaign.api.keys import create_key, list_keys, revoke_key
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db

api_keys_cli = AppGroup("api-keys", help="Keys for the API (docs/api.md).")


@api_keys_cli.command("create")
@click.argument("name")
@click.option("--campaign", "slug", help="Only this campaign (default: every campaign).")
@click.option("--read-only", is_flag=True, help="May read, not record signatures.")
def create_command(name: str, slug: str | None, read_only: bool) -> None:
    """Make a key; it is printed once, on the last line, and never shown again."""
    campaign = None
    if slug is not None:
        campaign = find_campaign_by_slug(db.session, slug)
        if campaign is None:
            raise click.ClickException(f"No campaign {slug!r}.")
    if not name.strip():
        raise click.ClickException("Give the key a name, e.g. the CRM it is for.")
    row, key = create_key(
        db.session, name=name, campaign=campaign, read_only=read_only, actor=None, now=utcnow()
    )
    db.session.commit()
    click.echo(
        f"Key {row.id} ({row.name}) for {slug or 'every campaign'}"
        f"{', read-only' if read_only else ''}. It is shown once; keep it now:"
    )
    click.echo(key)


@api_keys_cli.command("list")
def list_command() -> None:
    """Every key: id, start of the key, name, campaign, rights, use, state."""
    for row, slug in list_keys(db.session):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        used = (
            f"{row.use_count} uses, last {row.last_used_at:%Y-%m-%d %H:%M}"
            if row.last_used_at
            else "never used"
        )
        rights = "read-only" if row.read_only else "read-write"
        click.echo(f"{row.id}\t{row.prefix}…\t{row.name}\t{slug or '*'}\t{rights}\t{used}\t{state}")


@api_keys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_command(key_id: int) -> None:
    """Revoke a key by its id (from `list`): refused from the next request on."""
    row = revoke_key(db.session, key_id, actor=None, now=utcnow())
    if row is None:
        raise click.ClickException(f"No key {key_id}.")
    db.session.commit()
    click.echo(f"Key {row.id} ({row.name}) is revoked.")
