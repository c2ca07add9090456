"""campaign: a petition backend that human-rights campaigns can trust on their biggest day."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign import extensions, http_cache, i18n
from campaign.branding import views as branding_views
from campaign.cache import ShortLivedCache
from campaign.campaigns.images import campaign_image
from campaign.campaigns.milestones import campaign_shown_goal
from campaign.database import configure_sqlite
from campaign.extensions import csrf, db, limiter, migrate
from campaign.links import public_url_for
from campaign.logs import redact_request_log
from campaign.organisers.auth import configure_login
from campaign.protection.headers import init_security_headers
from campaign.protection.requests import init_request_checks

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The app cannot start safely with this configuration."""


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application. No I/O and no queries: only configuration and wiring."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object("config.Config")
    if overrides:
        app.config.update(overrides)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    _check_secret_key(app)
    # Secure cookies whenever the public address is https (the proxy terminates TLS).
    app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_URL"].startswith("https://")
    redact_request_log()

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file cannot drop a connection: pinging it before every checkout only costs time.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # Through the module: `campaign.mail` (the package) would shadow a bare `mail` here.
    extensions.mail.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    http_cache.init_app(app)
    # Absolute links (from PUBLIC_URL) for email templates, which have no request to go by.
    app.jinja_env.globals["public_url_for"] = public_url_for
    app.jinja_env.globals["campaign_image"] = campaign_image
    app.jinja_env.globals["shown_goal"] = campaign_shown_goal
    configure_login(app)
    app.extensions["campaign_page_cache"] = ShortLivedCache(app.config["TALLY_CACHE_SECONDS"])
    branding_views.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    init_request_checks(app)
    init_security_headers(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = "development-only-secret-key"  # noqa: S105 (debug/tests only)
        return
    raise ConfigurationError(
        "SECRET_KEY is not set. Set it in the environment or in .env to a long random value, "
        "e.g. python -c 'import secrets; print(secrets.token_hex(32))'. "
        "(`make run` generates one for local use.)"
    )


def _register_blueprints(app: Flask) -> None:
    from campaign import health
    from campaign.api import admin as api_key_views
    from campaign.api import views as api_views
    from campaign.campaigns import image_views as campaign_image_views
    from campaign.closing import views as closing_views
    from campaign.dashboard import views as dashboard_views
    from campaign.editor import views as editor_views
    from campaign.errors import register_error_pages
    from campaign.exports import views as export_views
    from campaign.news import views as news_views
    from campaign.organisers import account_views, cleanup_views, identity_settings, image_settings
    from campaign.organisers import views as organiser_views
    from campaign.organisers.area import organiser_area
    from campaign.paper import views as paper_views
    from campaign.privacy import views as privacy_views
    from campaign.signing import embed as embed_views
    from campaign.signing import resend as signing_resend
    from campaign.signing import views as signing_views
    from campaign.webhooks import views as webhook_views

    app.register_blueprint(signing_views.bp)
    app.register_blueprint(embed_views.bp)
    app.register_blueprint(signing_resend.bp)
    app.register_blueprint(privacy_views.bp)
    # Every staff page and download sits in the one organiser area (no-store, noindex).
    app.register_blueprint(
        organiser_area(
            organiser_views.bp,
            account_views.bp,
            cleanup_views.bp,
            dashboard_views.bp,
            editor_views.bp,
            export_views.bp,
            identity_settings.bp,
            api_key_views.bp,
            paper_views.bp,
            news_views.bp,
            webhook_views.bp,
            image_settings.bp,
            closing_views.bp,
        )
    )
    app.register_blueprint(health.bp)
    app.register_blueprint(branding_views.bp)
    app.register_blueprint(campaign_image_views.bp)
    app.register_blueprint(api_views.bp)
    register_error_pages(app)

    # Models must be imported for Alembic and `create_all` to see every table.
    from campaign import models  # noqa: F401

    # News to supporters: its outbox sender (the 'news' kind) and its signal subscribers.
    from campaign.news import delivery as _news_kind  # noqa: F401

    # Webhooks: their signal subscribers and their outbox sender, in every process.
    from campaign.webhooks import delivery as _webhook_kind  # noqa: F401


def _register_cli(app: Flask) -> None:
    from campaign.api.cli import api_keys_cli
    from campaign.campaigns.cli import campaigns_cli
    from campaign.closing import cli as _closing_cli  # noqa: F401 (adds `export report`)
    from campaign.exports.cli import export_cli
    from campaign.mail.cli import mail_cli
    from campaign.organisers.cli import organisers_cli
    from campaign.paper.cli import signatures_cli
    from campaign.privacy.cli import privacy_cli
    from campaign.signing.cli import tallies_cli
    from campaign.webhooks.cli import webhooks_cli

    app.cli.add_command(campaigns_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(tallies_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(organisers_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(signatures_cli)
    app.cli.add_command(webhooks_cli)
