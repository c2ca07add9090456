"""Start-up refuses an unsafe configuration, and reads everything from the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from campaign import ConfigurationError, create_app

ROOT = Path(__file__).resolve().parents[1]


def test_production_without_a_secret_key_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app({"SECRET_KEY": None, "DEBUG": False, "TESTING": False})


def test_gunicorn_entry_point_fails_with_a_clear_message_without_a_secret_key(
    tmp_path: Path,
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_create_app_does_no_io(tmp_path: Path) -> None:
    # A database that does not exist and a server that is not there: creating the app
    # must not notice, because it must not connect.
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    assert app.name == "campaign"


def test_postgres_urls_from_a_host_use_psycopg_3(monkeypatch: pytest.MonkeyPatch) -> None:
    import config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/x")
    assert config._database_url() == "postgresql+psycopg://u@db.example/x"
