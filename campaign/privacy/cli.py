"""`flask privacy …`: the retention purge, subject access and erasure requests, and the
anonymisation schedule with its postponements."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.privacy.access import personal_data_report
from campaign.privacy.controls import erase_signatures_of
from campaign.privacy.retention import (
    PostponementInvalid,
    RetentionPolicy,
    anonymisation_schedule,
    postpone_anonymisation,
    purge,
)

privacy_cli = AppGroup("privacy", help="Retention, access and erasure of personal data.")


def retention_policy() -> RetentionPolicy:
    config = current_app.config
    return RetentionPolicy(
        pending_days=config["RETENTION_PENDING_DAYS"],
        outbox_days=config["RETENTION_OUTBOX_DAYS"],
        anonymise_months=config["RETENTION_ANONYMISE_MONTHS"],
    )


def _parse_time(value: str, name: str) -> datetime:
    """An ISO 8601 date or time; a date means its start, and no zone means UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise click.BadParameter(
            f"not an ISO 8601 date or time: {value!r}", param_hint=name
        ) from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@privacy_cli.command("purge")
@click.option(
    "--now",
    "now_text",
    metavar="TIME",
    help="Act as if it were this time (ISO 8601), to check the schedule.",
)
@click.option("--dry-run", is_flag=True, help="Report what would go, change nothing.")
def purge_command(now_text: str | None, dry_run: bool) -> None:
    """Delete and anonymise what is past its time (run daily; safe to run twice)."""
    now = _parse_time(now_text, "--now") if now_text else utcnow()
    report = purge(db.session, now=now, policy=retention_policy())
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    prefix = "would delete" if dry_run else "deleted"
    click.echo(f"{prefix} {report.pending_deleted} unconfirmed signatures")
    click.echo(f"{prefix} {report.emails_deleted} emails")
    anonymised = ", ".join(report.campaigns_anonymised) or "no campaign"
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"{verb} {report.signatures_anonymised} signatures ({anonymised})")


@privacy_cli.command("show")
@click.argument("email")
def show_command(email: str) -> None:
    """Print everything held about EMAIL, as JSON (for a subject access request)."""
    report = personal_data_report(db.session, email)
    db.session.rollback()
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    if not report["signatures"] and not report["emails"]:
        click.echo(f"Nothing is held about {email}.", err=True)


@privacy_cli.command("erase")
@click.argument("email")
@click.option(
    "--campaign", "slug", help="Only this campaign's signature (default: every campaign)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, slug: str | None, yes: bool) -> None:
    """Delete the signatures of EMAIL, as its own delete link would (for an erasure request)."""
    campaign_id = None
    if slug is not None:
        campaign = find_campaign_by_slug(db.session, slug)
        if campaign is None:
            raise click.ClickException(f"no campaign {slug!r}")
        campaign_id = campaign.id
    if not yes:
        click.confirm(
            f"Delete every signature of {email}{' on ' + slug if slug else ''}?", abort=True
        )
    receipts = erase_signatures_of(
        db.session,
        email,
        now=utcnow(),
        tally_shards=current_app.config["TALLY_SHARDS"],
        campaign_id=campaign_id,
    )
    db.session.commit()
    for receipt in receipts:
        state = (
            "confirmed, count lowered"
            if receipt.was_counted
            else ("confirmed, was not counted" if receipt.was_confirmed else "unconfirmed")
        )
        click.echo(f"deleted: {receipt.campaign_slug} ({state}, {receipt.emails_deleted} emails)")
    if not receipts:
        click.echo(f"No signature of {email} found.")


@privacy_cli.command("schedule")
def schedule_command() -> None:
    """List when each campaign's signatures will be anonymised."""
    months = current_app.config["RETENTION_ANONYMISE_MONTHS"]
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.slug)).all():
        schedule = anonymisation_schedule(db.session, campaign, months)
        if schedule.anonymise_at is None:
            when = "not scheduled: the campaign has no closing date"
        else:
            when = schedule.anonymise_at.isoformat()
        line = f"{campaign.slug}: {when}"
        if schedule.postponed_until is not None:
            until = schedule.postponed_until.isoformat()
            line += f" (postponed until {until}: {schedule.postponement_reason})"
        click.echo(line)


@privacy_cli.command("postpone")
@click.argument("slug")
@click.option(
    "--until",
    "until_text",
    required=True,
    metavar="DATE",
    help="Keep the signatures until this date (ISO 8601).",
)
@click.option("--reason", required=True, help="Why, for the record (at most 500 characters).")
@click.option("--by", "recorded_by", help="Who decided, for the record.")
def postpone_command(slug: str, until_text: str, reason: str, recorded_by: str | None) -> None:
    """Postpone the anonymisation of one campaign's signatures, with a recorded reason."""
    campaign = find_campaign_by_slug(db.session, slug)
    if campaign is None:
        raise click.ClickException(f"no campaign {slug!r}")
    until = _parse_time(until_text, "--until")
    try:
        postpone_anonymisation(
            db.session, campaign, until=until, reason=reason, recorded_by=recorded_by, now=utcnow()
        )
    except PostponementInvalid as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    schedule = anonymisation_schedule(
        db.session, campaign, current_app.config["RETENTION_ANONYMISE_MONTHS"]
    )
    if schedule.anonymise_at is None:
        click.echo(f"{slug}: recorded; the campaign has no closing date, so nothing is scheduled")
    else:
        click.echo(f"{slug}: signatures will be anonymised on {schedule.anonymise_at.isoformat()}")
