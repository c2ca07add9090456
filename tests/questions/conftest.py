"""A campaign seeded from a content folder with a questions file."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

QUESTIONS = """
[[question]]
key = "member"
type = "checkbox"
label.en = "I am a member of the association"
label.fr = "Je suis membre de l'association"

[[question]]
key = "region"
type = "choice"
required = true
label.en = "Your region"
label.fr = "Votre région"
choices = [
  { value = "north", label.en = "North", label.fr = "Nord" },
  { value = "south", label.en = "South", label.fr = "Sud" },
]

[[question]]
key = "why"
type = "text"
max_length = 40
label.en = "Why do you sign?"
help.en = "One sentence is plenty."
"""
MAIN = """title: Stop it
summary: A summary.
target: Leaders
goal: 500

Our demand.
"""


@pytest.fixture
def asking(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> str:
    """A campaign seeded from a folder with a questions file; its slug."""
    folder = tmp_path / "asking"
    folder.mkdir()
    (folder / "en.md").write_text(MAIN, encoding="utf-8")
    (folder / "questions.toml").write_text(QUESTIONS, encoding="utf-8")
    result = runner.invoke(args=["campaigns", "seed", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return "asking"
