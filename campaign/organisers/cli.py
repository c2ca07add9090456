"""`flask organisers create|list|set-password|deactivate|activate|grant|revoke|allow-create|
reset-second-factor`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from campaign.audit.services import record_event
from campaign.campaigns.services import find_campaign_by_slug
from campaign.database import utcnow
from campaign.extensions import db
from campaign.organisers.accounts import set_campaign_creation
from campaign.organisers.passwords import PasswordRejected
from campaign.organisers.second_factor import reset_second_factor
from campaign.organisers.services import (
    OrganiserError,
    create_organiser,
    get_organiser,
    grant,
    list_organisers,
    revoke,
    set_active,
    set_password,
    unblock_account,
)

organisers_cli = AppGroup("organisers", help="Organiser accounts (campaign staff).")


def read_new_password() -> str:
    """The password, typed twice: hidden prompts on a terminal, else two lines of stdin."""
    stdin = sys.stdin
    if stdin.isatty():
        first = click.prompt("Password", hide_input=True, prompt_suffix=": ")
        second = click.prompt("Password (again)", hide_input=True, prompt_suffix=": ")
    else:
        first = stdin.readline().rstrip("\r\n")
        second = stdin.readline().rstrip("\r\n")
        if not first and not second:
            raise click.ClickException(
                "No password on standard input: give it twice, on two lines."
            )
    if first != second:
        raise click.ClickException("The two passwords differ; nothing was changed.")
    return first


def _fail(error: Exception) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(error))


@organisers_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May see every campaign and the audit log.")
def create_command(email: str, admin: bool) -> None:
    """Create an organiser account; asks for the password twice."""
    password = read_new_password()
    now = utcnow()
    try:
        organiser = create_organiser(db.session, email, password, admin=admin, now=now)
    except (OrganiserError, PasswordRejected) as error:
        raise _fail(error) from error
    record_event(
        db.session,
        actor=None,
        action="organiser.create",
        campaign_id=None,
        details={"organiser": organiser.email, "admin": admin},
        now=now,
    )
    db.session.commit()
    click.echo(f"created {'admin' if admin else 'organiser'} {organiser.email}")
    if not admin:
        click.echo(
            f"grant access to a campaign with: flask organisers grant {organiser.email} SLUG"
        )


@organisers_cli.command("list")
def list_command() -> None:
    """Every account: address, role, status, campaigns, last login."""
    rows = list_organisers(db.session)
    if not rows:
        click.echo("no organisers yet: flask organisers create EMAIL")
        return
    for organiser, slugs in rows:
        role = "admin" if organiser.is_admin else "organiser"
        status = "active" if organiser.active else "deactivated"
        campaigns = "all campaigns" if organiser.is_admin else (", ".join(slugs) or "no campaign")
        if organiser.can_create_campaigns and not organiser.is_admin:
            campaigns += " (may start campaigns)"
        last = (
            organiser.last_login_at.strftime("%Y-%m-%d %H:%M UTC")
            if organiser.last_login_at
            else "never"
        )
        click.echo(f"{organiser.email}\t{role}\t{status}\t{campaigns}\tlast login: {last}")


@organisers_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Give an account a new password (ends its sessions, lifts a login refusal)."""
    try:
        organiser = get_organiser(db.session, email)
        password = read_new_password()
        now = utcnow()
        set_password(db.session, organiser, password, now)
    except (OrganiserError, PasswordRejected) as error:
        raise _fail(error) from error
    unblock_account(db.session, organiser.email, current_app.config["SECRET_KEY"])
    record_event(
        db.session,
        actor=None,
        action="organiser.set_password",
        campaign_id=None,
        details={"organiser": organiser.email},
        now=now,
    )
    db.session.commit()
    click.echo(f"new password set for {organiser.email}")


def _set_active(email: str, active: bool) -> None:
    try:
        organiser = get_organiser(db.session, email)
    except OrganiserError as error:
        raise _fail(error) from error
    set_active(db.session, organiser, active)
    record_event(
        db.session,
        actor=None,
        action="organiser.activate" if active else "organiser.deactivate",
        campaign_id=None,
        details={"organiser": organiser.email},
        now=utcnow(),
    )
    db.session.commit()
    click.echo(f"{'activated' if active else 'deactivated'} {organiser.email}")


@organisers_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop an account from logging in; its open sessions end at their next request."""
    _set_active(email, False)


@organisers_cli.command("activate")
@click.argument("email")
def activate_command(email: str) -> None:
    """Let a deactivated account log in again."""
    _set_active(email, True)


def _membership(email: str, slug: str, granting: bool) -> None:
    now = utcnow()
    try:
        organiser = get_organiser(db.session, email)
        campaign = find_campaign_by_slug(db.session, slug)
        if campaign is None:
            raise OrganiserError(f"No campaign has the slug {slug!r}.")
    except OrganiserError as error:
        raise _fail(error) from error
    changed = (
        grant(db.session, organiser, campaign, now)
        if granting
        else revoke(db.session, organiser, campaign)
    )
    if changed:
        record_event(
            db.session,
            actor=None,
            action="organiser.grant" if granting else "organiser.revoke",
            campaign_id=campaign.id,
            details={"organiser": organiser.email},
            now=now,
        )
    db.session.commit()
    if granting:
        click.echo(f"{organiser.email} {'may now see' if changed else 'could already see'} {slug}")
    else:
        click.echo(
            f"{organiser.email} {'may no longer see' if changed else 'could not see'} {slug}"
        )


@organisers_cli.command("grant")
@click.argument("email")
@click.argument("slug")
def grant_command(email: str, slug: str) -> None:
    """Let an organiser see a campaign (its dashboard and exports)."""
    _membership(email, slug, granting=True)


@organisers_cli.command("revoke")
@click.argument("email")
@click.argument("slug")
def revoke_command(email: str, slug: str) -> None:
    """Take a campaign away from an organiser."""
    _membership(email, slug, granting=False)


@organisers_cli.command("allow-create")
@click.argument("email")
@click.option("--remove", is_flag=True, help="Take the right away instead.")
def allow_create_command(email: str, remove: bool) -> None:
    """Let an organiser start new campaigns (admins always may); --remove takes it away."""
    try:
        organiser = get_organiser(db.session, email)
    except OrganiserError as error:
        raise _fail(error) from error
    changed = set_campaign_creation(db.session, None, organiser, not remove, utcnow())
    db.session.commit()
    if remove:
        click.echo(
            f"{organiser.email} {'may no longer' if changed else 'could not'} start campaigns"
        )
    else:
        click.echo(f"{organiser.email} {'may now' if changed else 'could already'} start campaigns")


@organisers_cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Remove an account's second factor (a lost phone and lost recovery codes); its
    sessions end. It sets up a new one at its next login if the team requires one."""
    try:
        organiser = get_organiser(db.session, email)
    except OrganiserError as error:
        raise _fail(error) from error
    reset_second_factor(db.session, organiser, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"second factor removed for {organiser.email}")
