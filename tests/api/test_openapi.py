"""The OpenAPI document against the running app: schemathesis sends generated requests
(valid and not) to every operation, and fails on any 5xx or any response that does not
match the document."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import make_key, sign_and_confirm


@pytest.fixture
def keyed(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, campaign: str
) -> tuple[str, str]:
    """A key and a petition with a confirmed signature, for the generated requests."""
    sign_and_confirm(app, client, campaign, opt_in="y", postcode="N1 9GU")
    return make_key(runner, "schemathesis"), campaign


def test_the_api_matches_its_openapi_document(app: Flask, keyed: tuple[str, str]) -> None:
    # Each operation's cases are drawn by Hypothesis here rather than through schemathesis'
    # pytest plugin (`from_fixture`), which does not run under pytest 9.
    key, slug = keyed
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} >= {
        "GET /petitions",
        "GET /petitions/{slug}",
        "GET /petitions/{slug}/signatures",
        "POST /petitions/{slug}/signatures",
        "GET /petitions/{slug}/deleted_signatures",
    }

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            if "slug" in (case.path_parameters or {}):
                case.path_parameters["slug"] = slug  # the petition that exists: real answers
            case.call_and_validate(
                headers={"OSDI-API-Token": key},
                # A request the document allows may still be refused with a 4xx: a schema
                # cannot say which countries exist or which cursors the API gave.
                excluded_checks=[positive_data_acceptance],
            )

        check()


def test_the_document_is_openapi_3_1_and_needs_no_key(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {
        "/petitions",
        "/petitions/{slug}",
        "/petitions/{slug}/signatures",
        "/petitions/{slug}/deleted_signatures",
    }
