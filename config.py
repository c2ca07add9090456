"""Configuration, read once from the environment (and a `.env` file where present).

Nothing else in the project reads `os.environ`: everything goes through `Config`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

load_dotenv(BASE_DIR / ".env")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _database_url() -> str:
    url = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'campaign.db'}")
    assert url is not None
    # Operators often paste the URL their host gives them; psycopg 3 is the driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Settings for a real deployment; every value can be set by an environment variable."""

    SECRET_KEY = _env("SECRET_KEY")
    SECRET_KEY_FALLBACKS = [k for k in (_env("SECRET_KEY_FALLBACKS") or "").split(",") if k]
    DEBUG = _bool("FLASK_DEBUG", False)
    TESTING = False
    LOG_LEVEL = (_env("LOG_LEVEL", "INFO") or "INFO").upper()

    SQLALCHEMY_DATABASE_URI = _database_url()
    # hide_parameters: an error in the logs never quotes a name or an email address.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # Seconds SQLite waits for the write lock before giving up.
    SQLITE_BUSY_TIMEOUT = _int("SQLITE_BUSY_TIMEOUT", 30)

    PUBLIC_URL = (_env("PUBLIC_URL", "http://127.0.0.1:5000") or "").rstrip("/")
    INSTANCE_PATH = str(INSTANCE_DIR)

    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    # Flask-Mail would silently drop mail when TESTING; our tests use a real SMTP server.
    MAIL_SUPPRESS_SEND = False
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Campaign <no-reply@localhost>")
    # Seconds an SMTP conversation may stall before it counts as a temporary failure.
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    # A claimed message whose worker died is retried once its lease has run out.
    MAIL_LEASE_SECONDS = _int("MAIL_LEASE_SECONDS", 120)
    MAIL_RETRY_MAX_SECONDS = _int("MAIL_RETRY_MAX_SECONDS", 60)
    # A message still undeliverable after this long (the server kept refusing) is marked failed.
    MAIL_GIVE_UP_HOURS = _int("MAIL_GIVE_UP_HOURS", 72)
    MAIL_BATCH_SIZE = _int("MAIL_BATCH_SIZE", 50)
    MAIL_POLL_SECONDS = float(_env("MAIL_POLL_SECONDS", "1") or 1)

    CONFIRMATION_TOKEN_DAYS = _int("CONFIRMATION_TOKEN_DAYS", 30)
    # Confirmation emails re-sent when the same address signs again, per signature.
    CONFIRMATION_RESENDS = _int("CONFIRMATION_RESENDS", 3)
    # Rows in the sharded confirmed-count table per campaign and country (see docs/tallies.md).
    TALLY_SHARDS = _int("TALLY_SHARDS", 8)
    # Seconds the public page and JSON keep counts in process memory.
    TALLY_CACHE_SECONDS = float(_env("TALLY_CACHE_SECONDS", "2") or 2)

    # Retention (see docs/privacy.md): `flask privacy purge`, run daily, applies these.
    # Unconfirmed signatures are deleted this many days after signing (once their link expired).
    RETENTION_PENDING_DAYS = _int("RETENTION_PENDING_DAYS", 30)
    # Emails are deleted this many days after they were delivered or given up on.
    RETENTION_OUTBOX_DAYS = _int("RETENTION_OUTBOX_DAYS", 30)
    # Signatures lose names, addresses and postcodes this many months after the campaign closes.
    RETENTION_ANONYMISE_MONTHS = _int("RETENTION_ANONYMISE_MONTHS", 6)
    # How long the operator's backups are kept: the privacy notice tells supporters.
    BACKUP_RETENTION_DAYS = _int("BACKUP_RETENTION_DAYS", 30)
    # Who holds the data, how to reach them about it, and who delivers the email: shown in
    # the privacy notice. Set them for any real deployment.
    PRIVACY_CONTROLLER = _env("PRIVACY_CONTROLLER", "the organisers of this petition")
    PRIVACY_CONTACT = _env("PRIVACY_CONTACT")
    PRIVACY_EMAIL_PROVIDER = _env("PRIVACY_EMAIL_PROVIDER")

    # Rate limits and abuse (docs/security.md). Limits are `limits` strings: "N/period;…".
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STRATEGY = "moving-window"
    # If Redis goes away, limits carry on in each process's memory (with a logged warning).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = False  # a bot learns nothing about how close it is
    # Above these, a request is refused with 429 ("clearly a script").
    RATELIMIT_SIGN_PER_ADDRESS = _env("RATELIMIT_SIGN_PER_ADDRESS", "30/minute;300/hour")
    RATELIMIT_SIGN_PER_DOMAIN = _env("RATELIMIT_SIGN_PER_DOMAIN", "120/minute;3000/hour")
    RATELIMIT_CONFIRM_PER_ADDRESS = _env("RATELIMIT_CONFIRM_PER_ADDRESS", "60/minute;600/hour")
    RATELIMIT_LOGIN_PER_ADDRESS = _env("RATELIMIT_LOGIN_PER_ADDRESS", "20/minute;200/hour")
    # Above these (and below the above), a signature is accepted but held back as suspect.
    RATELIMIT_SIGN_SUSPECT_PER_ADDRESS = _env(
        "RATELIMIT_SIGN_SUSPECT_PER_ADDRESS", "10/minute;60/hour"
    )
    RATELIMIT_SIGN_SUSPECT_PER_DOMAIN = _env(
        "RATELIMIT_SIGN_SUSPECT_PER_DOMAIN", "30/minute;600/hour"
    )
    # Providers so large that a crowd of their users is normal: never limited by domain.
    RATELIMIT_DOMAIN_ALLOWLIST = frozenset(
        (
            _env(
                "RATELIMIT_DOMAIN_ALLOWLIST",
                "gmail.com,googlemail.com,outlook.com,hotmail.com,hotmail.fr,live.com,live.fr,"
                "msn.com,yahoo.com,yahoo.fr,ymail.com,icloud.com,me.com,mac.com,aol.com,"
                "proton.me,protonmail.com,gmx.de,gmx.net,gmx.fr,web.de,orange.fr,wanadoo.fr,"
                "free.fr,sfr.fr,laposte.net,bbox.fr,yandex.ru,mail.ru,qq.com,163.com,"
                "naver.com,rediffmail.com,comcast.net,btinternet.com",
            )
            or ""
        ).split(",")
    )
    # Requests one API key may make (429 above); see docs/api.md.
    RATELIMIT_API_PER_KEY = _env("RATELIMIT_API_PER_KEY", "300/minute;10000/hour")
    # Webhooks (docs/api.md): loopback and private targets are refused unless this is true
    # (tests, or receivers on a private network); metadata addresses always are.
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", False)
    # Seconds a receiver may take to answer before the attempt counts as failed.
    WEBHOOK_TIMEOUT_SECONDS = float(_env("WEBHOOK_TIMEOUT_SECONDS", "10") or 10)
    # An event not accepted after this long is marked failed (retried with backoff until then).
    WEBHOOK_GIVE_UP_HOURS = _int("WEBHOOK_GIVE_UP_HOURS", 24)
    # The cap on the backoff between two attempts.
    WEBHOOK_RETRY_MAX_SECONDS = _int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
    # News to supporters (docs/organisers.md, "Writing to supporters"): at most this many
    # news emails leave per minute, across every worker; confirmations have their own queue.
    NEWS_SEND_RATE = _int("NEWS_SEND_RATE", 600)
    # Recipients queued per transaction when an organiser presses Send.
    NEWS_QUEUE_BATCH = _int("NEWS_QUEUE_BATCH", 1000)
    # Reverse proxies in front of the app whose X-Forwarded-For we trust (0: none).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    LANGUAGES = ["en", "fr"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    CONTENT_DIR = str(BASE_DIR / "content" / "campaigns")
    # Where campaigns' pictures are kept (files named by their hash, served at /uploads/):
    # default `uploads` in the instance folder. Every web process must see the same folder.
    UPLOAD_FOLDER = _env("UPLOAD_FOLDER")
    # The largest picture file an organiser may upload, in bytes (docs/organisers.md).
    CAMPAIGN_IMAGE_MAX_BYTES = _int("CAMPAIGN_IMAGE_MAX_BYTES", 8 * 1024 * 1024)

    # Every validator has our own (translated) message; WTForms' catalogue is not needed, and
    # looking it up costs more than the rest of building the form.
    WTF_I18N_ENABLED = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session cookie
    # The public signing form's token (not tied to a session, so the page can be cached):
    # how long a form stays valid after the page was loaded (docs/security.md).
    FORM_TOKEN_HOURS = float(_env("FORM_TOKEN_HOURS", "8") or 8)
    # Seconds browsers and shared caches (nginx, a CDN) may keep the public campaign page
    # and its JSON (docs/deploy.md).
    PUBLIC_CACHE_SECONDS = _int("PUBLIC_CACHE_SECONDS", 30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 64 * 1024)

    # Organisers and exports
    # A login lasts one working day from the moment the password was typed, however active.
    ORGANISER_SESSION_HOURS = _int("ORGANISER_SESSION_HOURS", 9)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=ORGANISER_SESSION_HOURS)
    # Failed logins: answers slow down after LOGIN_SLOWDOWN_AFTER failures (doubling from
    # LOGIN_SLOWDOWN_SECONDS up to LOGIN_SLOWDOWN_MAX_SECONDS), and logins are refused for
    # LOGIN_BLOCK_MINUTES once an account (or one browser) reaches LOGIN_ACCOUNT_LIMIT, or a
    # client address LOGIN_ADDRESS_LIMIT, failures without LOGIN_BLOCK_MINUTES of quiet.
    LOGIN_SLOWDOWN_AFTER = _int("LOGIN_SLOWDOWN_AFTER", 3)
    LOGIN_SLOWDOWN_SECONDS = float(_env("LOGIN_SLOWDOWN_SECONDS", "0.5") or 0.5)
    LOGIN_SLOWDOWN_MAX_SECONDS = float(_env("LOGIN_SLOWDOWN_MAX_SECONDS", "4") or 4)
    LOGIN_ACCOUNT_LIMIT = _int("LOGIN_ACCOUNT_LIMIT", 10)
    LOGIN_ADDRESS_LIMIT = _int("LOGIN_ADDRESS_LIMIT", 30)
    LOGIN_BLOCK_MINUTES = _int("LOGIN_BLOCK_MINUTES", 15)
    # A browser that logged in before is trusted for this long: a flood of wrong passwords
    # for an account never locks its owner out of a browser they already use.
    LOGIN_KNOWN_BROWSER_DAYS = _int("LOGIN_KNOWN_BROWSER_DAYS", 90)
    # The name authenticator apps show beside an organiser's codes (default: the site's host).
    ORGANISER_TOTP_ISSUER = _env("ORGANISER_TOTP_ISSUER") or (
        urlsplit(PUBLIC_URL).hostname or "campaign"
    )
    # Rows read per query while streaming a CSV export (memory is proportional to it).
    EXPORT_BATCH_SIZE = _int("EXPORT_BATCH_SIZE", 2000)
