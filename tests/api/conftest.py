"""API keys made through the command line, as an operator makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse


def make_key(runner: FlaskCliRunner, *args: str) -> str:
    """`flask api-keys create …`; the key, from the last line of its output."""
    result = runner.invoke(args=["api-keys", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def key(runner: FlaskCliRunner) -> str:
    """A read-write key for every campaign."""
    return make_key(runner, "CRM")


@pytest.fixture
def api(client: FlaskClient, key: str) -> Callable[..., TestResponse]:
    """Requests to /api/v1 with the key, as Action Network's clients send it."""

    def call(method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {"OSDI-API-Token": key, **kwargs.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def sign_and_confirm(app: Flask, client: FlaskClient, slug: str, **form: Any) -> None:
    """Sign through the form and confirm through the emailed link, as a supporter does."""
    from tests.factories import sign
    from tests.helpers import confirmation_path

    assert sign(client, slug, **form).status_code == 303
    assert client.post(confirmation_path(app)).status_code == 200
