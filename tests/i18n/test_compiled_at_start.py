"""A deployment that never ran `make translations` still speaks French, or says why not.

The `.mo` files are built from the `.po` catalogues and never committed; the app compiles
a missing or stale one when it starts (see docs/languages.md)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from campaign.extensions import babel
from campaign.i18n import CataloguesUnavailable
from tests.factories import sign
from tests.helpers import outbox

ROOT = Path(__file__).resolve().parents[2]


def _forget_loaded_translations(app: Flask) -> None:
    # Flask-Babel keeps loaded catalogues in its one (module-level) Babel object, for every
    # app of the process: a real deployment builds one app, the test run many.
    with app.app_context():
        babel.domain_instance.cache.clear()


@pytest.fixture
def fresh_clone_translations(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """The translations folder as a fresh clone has it: catalogues, nothing compiled."""
    folder = tmp_path / "translations"
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        target = folder / po.relative_to(ROOT / "translations")
        target.parent.mkdir(parents=True)
        shutil.copy2(po, target)
    _forget_loaded_translations(app)
    yield folder
    _forget_loaded_translations(app)


def test_a_clone_without_compiled_catalogues_speaks_french_in_pages_and_emails(
    make_app: Callable[..., Flask], campaign: str, fresh_clone_translations: Path
) -> None:
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(fresh_clone_translations))
    client = app.test_client()

    page = client.get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert "Prénom" in page

    assert sign(client, campaign, query="?lang=fr").status_code == 303
    assert outbox(app)[-1].subject.startswith("Veuillez confirmer votre signature")
    assert (fresh_clone_translations / "fr/LC_MESSAGES/messages.mo").is_file()


def test_a_catalogue_edited_after_it_was_compiled_is_compiled_again(
    app: Flask, make_app: Callable[..., Flask], campaign: str, fresh_clone_translations: Path
) -> None:
    make_app(BABEL_TRANSLATION_DIRECTORIES=str(fresh_clone_translations))
    po = fresh_clone_translations / "fr/LC_MESSAGES/messages.po"
    po.write_text(po.read_text().replace('msgstr "Prénom"', 'msgstr "Prénom usuel"'))
    later = po.with_suffix(".mo").stat().st_mtime + 10
    os.utime(po, (later, later))
    _forget_loaded_translations(app)  # as a restarted process would

    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(fresh_clone_translations))
    page = app.test_client().get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert "Prénom usuel" in page


def _make_unwritable(translations: Path) -> None:
    # Tests run as root, for whom permissions do not stop a write: a directory where the
    # compiled file would go stops it for anyone, as a read-only install does.
    for po in translations.glob("*/LC_MESSAGES/messages.po"):
        po.with_suffix(".mo").mkdir()


def test_a_read_only_install_compiles_into_the_instance_folder(
    make_app: Callable[..., Flask], campaign: str, fresh_clone_translations: Path, tmp_path: Path
) -> None:
    _make_unwritable(fresh_clone_translations)
    instance = tmp_path / "instance"
    app = make_app(
        BABEL_TRANSLATION_DIRECTORIES=str(fresh_clone_translations), INSTANCE_PATH=str(instance)
    )
    page = app.test_client().get(f"/campaigns/{campaign}?lang=fr").get_data(as_text=True)
    assert "Prénom" in page
    assert (instance / "translations/fr/LC_MESSAGES/messages.mo").is_file()


def test_it_refuses_to_start_and_names_the_command_when_it_cannot_compile(
    make_app: Callable[..., Flask], fresh_clone_translations: Path, tmp_path: Path
) -> None:
    _make_unwritable(fresh_clone_translations)
    not_a_folder = tmp_path / "instance-is-a-file"
    not_a_folder.write_text("")
    with pytest.raises(CataloguesUnavailable, match="make translations"):
        make_app(
            BABEL_TRANSLATION_DIRECTORIES=str(fresh_clone_translations),
            INSTANCE_PATH=str(not_a_folder),
        )
