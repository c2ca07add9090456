"""Fixtures: an app on a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
a test client, a CLI runner, and a real SMTP server on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from campaign import create_app
from campaign.extensions import db
from tests.factories import make_campaign
from tests.smtp import SmtpServer

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

requires_postgres = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL test: set TEST_DATABASE_URL (see .ci/run)"
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Create the tables once per run; each test then starts from empty tables."""
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()


def _test_config(database_url: str, instance: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": "https://petition.example.org",
        "MAIL_SERVER": None,
        "MAIL_DEFAULT_SENDER": "Petition <petition@example.org>",
        "TALLY_CACHE_SECONDS": 0,
        "MAIL_POLL_SECONDS": 0.05,
        # Off for tests of other features, which sign many times from one address;
        # tests/protection turns them on.
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(_test_config(database_url, tmp_path))
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def make_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the same database with some settings changed (settings such as rate
    limits are read at start-up); its connections are closed after the test."""
    made: list[Flask] = []

    def build(**overrides: object) -> Flask:
        other = create_app({**app.config, **overrides})
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def campaign(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        made = make_campaign(db.session)
        db.session.commit()
        slug = made.slug
    return slug


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app: Flask, smtp_server: SmtpServer) -> Flask:
    """The app, delivering to the loopback SMTP server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=5)
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = smtp_server.port
    return app


def postgres_admin_url() -> str:
    assert TEST_DATABASE_URL
    return TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"


def create_postgres_database(name: str) -> str:
    """A new, empty PostgreSQL database beside the test one; returns its URL."""
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    assert TEST_DATABASE_URL
    return TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(name: str) -> None:
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the kind the suite runs on (for migration tests)."""
    if TEST_DATABASE_URL:
        name = TEST_DATABASE_URL.rsplit("/", 1)[1] + f"_migrations_{os.getpid()}"
        yield create_postgres_database(name)
        drop_postgres_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
