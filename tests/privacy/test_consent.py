"""Consent records: the wording beside the form is versioned, and each signature keeps the
version it was shown and when."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from campaign.database import utcnow
from campaign.signing.consent import CURRENT_WORDING, PAST_WORDINGS, wording_for
from tests.factories import sign
from tests.helpers import signatures


def test_each_signature_records_the_version_of_the_wording_it_was_shown_and_when(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert str(CURRENT_WORDING.statement) in page
    assert str(CURRENT_WORDING.opt_in_label) in page
    before = utcnow()

    sign(client, campaign, opt_in="y")

    [signature] = signatures(app)
    assert signature.consent_version == CURRENT_WORDING.version
    assert before - timedelta(seconds=1) <= signature.signed_at <= utcnow()
    assert signature.opt_in is True


def test_every_version_ever_recorded_still_has_its_wording() -> None:
    # The foundation's signatures carry "2026-11-28": what they agreed to must stay readable.
    assert "2026-11-28" in PAST_WORDINGS
    for version in [CURRENT_WORDING.version, *PAST_WORDINGS]:
        wording = wording_for(version)
        assert wording is not None and wording.version == version
        assert str(wording.statement) and str(wording.opt_in_label)
    assert CURRENT_WORDING.version not in PAST_WORDINGS
    assert len(CURRENT_WORDING.version) <= 32  # the column's size
    assert wording_for("no-such-version") is None


def test_the_opt_in_is_separate_from_signing_and_never_ticked_in_advance(
    app: Flask, client: FlaskClient, campaign: str
) -> None:
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    box = page.split('name="opt_in"')[0].rsplit("<input", 1)[1] + page.split('name="opt_in"')[1]
    assert "checked" not in box.split(">", 1)[0]
    assert "required" not in box.split(">", 1)[0]
    sign(client, campaign)
    assert signatures(app)[0].opt_in is False
