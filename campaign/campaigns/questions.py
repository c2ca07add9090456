"""A campaign's own questions (a checkbox, a choice from a list, a short text), asked beside
the signing form: how they are written in a content file, stored and read back.

In a campaign folder, `questions.toml` (or `<slug>.questions.toml` beside a single-file
campaign):

    [[question]]
    key = "member"              # the export's column and the API's custom_fields key
    type = "checkbox"           # checkbox, choice or text
    required = false
    label.en = "I am a member of the association"
    label.fr = "Je suis membre de l'association"
    help.en = "Optional: it helps us count our members."

    [[question]]
    key = "region"
    type = "choice"
    label.en = "Your region"
    choices = [{ value = "north", label.en = "North", label.fr = "Nord" },
               { value = "south", label.en = "South", label.fr = "Sud" }]
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

MAX_QUESTIONS = 5
KINDS = ("checkbox", "choice", "text")
MAX_TEXT_LENGTH = 200
MAX_CHOICES = 30
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# The export's own columns: a question may not take one of their names.
RESERVED_KEYS = frozenset(
    (
        "first_name",
        "last_name",
        "email",
        "country",
        "postcode",
        "opt_in",
        "source",
        "signed_at",
        "confirmed_at",
        "locale",
        "consent_version",
    )
)


class QuestionsError(ValueError):
    """Questions that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Choice:
    value: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    required: bool
    labels: dict[str, str]  # by language; the campaign's own language at least
    helps: dict[str, str]
    choices: tuple[Choice, ...] = ()
    max_length: int = MAX_TEXT_LENGTH

    def label(self, locale: str) -> str:
        return _in(self.labels, locale)

    def help(self, locale: str) -> str | None:
        return _in(self.helps, locale) if self.helps else None

    def choice_labels(self, locale: str) -> list[tuple[str, str]]:
        return [(choice.value, _in(choice.labels, locale)) for choice in self.choices]


def _in(texts: dict[str, str], locale: str) -> str:
    """The text in `locale`, else in English, else in the first language given."""
    return texts.get(locale) or texts.get("en") or next(iter(texts.values()))


def _texts(value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        value = {"en": value}
    if (
        not isinstance(value, dict)
        or not value
        or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        )
    ):
        raise QuestionsError(f'{where} must be a text per language, like label.en = "…"')
    if any(len(v) > 500 for v in value.values()):
        raise QuestionsError(f"{where}: at most 500 characters")
    return {k: v.strip() for k, v in value.items()}


def parse_questions(entries: Any) -> list[Question]:
    """Questions from their plain form (TOML's `[[question]]` tables, or the stored JSON)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise QuestionsError("questions must be a list of [[question]] tables")
    if len(entries) > MAX_QUESTIONS:
        raise QuestionsError(f"at most {MAX_QUESTIONS} questions")
    questions: list[Question] = []
    for number, entry in enumerate(entries, start=1):
        where = f"question {number}"
        if not isinstance(entry, dict):
            raise QuestionsError(f"{where} must be a table")
        key = entry.get("key")
        if not isinstance(key, str) or not _KEY.match(key) or key in RESERVED_KEYS:
            raise QuestionsError(
                f"{where}: key must be a short lowercase name (letters, digits, _) that is "
                "not one of the export's columns"
            )
        if key in {q.key for q in questions}:
            raise QuestionsError(f"{where}: the key {key} is used twice")
        kind = entry.get("type")
        if kind not in KINDS:
            raise QuestionsError(f"{where} ({key}): type must be one of {', '.join(KINDS)}")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise QuestionsError(f"{where} ({key}): required must be true or false")
        choices: list[Choice] = []
        if kind == "choice":
            raw = entry.get("choices")
            if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
                raise QuestionsError(f"{where} ({key}): a choice needs 2 to {MAX_CHOICES} choices")
            for item in raw:
                value = item.get("value") if isinstance(item, dict) else None
                if not isinstance(value, str) or not value.strip() or len(value) > 64:
                    raise QuestionsError(f"{where} ({key}): each choice needs a short value")
                if value in {c.value for c in choices}:
                    raise QuestionsError(f"{where} ({key}): the choice {value} is given twice")
                choices.append(
                    Choice(
                        value,
                        _texts(item.get("label"), f"{where} ({key}) choice {value}", required=True),
                    )
                )
        max_length = entry.get("max_length", MAX_TEXT_LENGTH)
        if not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_LENGTH:
            raise QuestionsError(f"{where} ({key}): max_length is 1 to {MAX_TEXT_LENGTH}")
        questions.append(
            Question(
                key=key,
                kind=kind,
                required=required,
                labels=_texts(entry.get("label"), f"{where} ({key}) label", required=True),
                helps=_texts(entry.get("help"), f"{where} ({key}) help", required=False),
                choices=tuple(choices),
                max_length=max_length,
            )
        )
    return questions


def questions_from_toml(text: str) -> list[Question]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuestionsError(f"not valid TOML: {error}") from error
    unknown = set(data) - {"question"}
    if unknown:
        raise QuestionsError(f"unknown setting {sorted(unknown)[0]}: only [[question]] tables")
    return parse_questions(data.get("question", []))


def questions_to_json(questions: list[Question]) -> list[dict[str, Any]] | None:
    """The stored form (the campaign's `questions` column); None for no questions."""
    if not questions:
        return None
    stored: list[dict[str, Any]] = []
    for question in questions:
        entry: dict[str, Any] = {
            "key": question.key,
            "type": question.kind,
            "required": question.required,
            "label": question.labels,
        }
        if question.helps:
            entry["help"] = question.helps
        if question.choices:
            entry["choices"] = [{"value": c.value, "label": c.labels} for c in question.choices]
        if question.kind == "text" and question.max_length != MAX_TEXT_LENGTH:
            entry["max_length"] = question.max_length
        stored.append(entry)
    return stored


def questions_to_toml(questions: list[Question]) -> str:
    """The questions as an organiser edits them (the content file's form)."""
    lines: list[str] = []
    for question in questions:
        lines += [
            "[[question]]",
            f"key = {json.dumps(question.key)}",
            f"type = {json.dumps(question.kind)}",
        ]
        lines.append(f"required = {'true' if question.required else 'false'}")
        lines += [
            f"label.{lang} = {json.dumps(text, ensure_ascii=False)}"
            for lang, text in question.labels.items()
        ]
        lines += [
            f"help.{lang} = {json.dumps(text, ensure_ascii=False)}"
            for lang, text in question.helps.items()
        ]
        if question.kind == "text" and question.max_length != MAX_TEXT_LENGTH:
            lines.append(f"max_length = {question.max_length}")
        if question.choices:
            lines.append("choices = [")
            for choice in question.choices:
                labels = ", ".join(
                    f"label.{lang} = {json.dumps(text, ensure_ascii=False)}"
                    for lang, text in choice.labels.items()
                )
                lines.append(f"  {{ value = {json.dumps(choice.value)}, {labels} }},")
            lines.append("]")
        lines.append("")
    return "\n".join(lines)


def campaign_questions(stored: Any) -> list[Question]:
    """A campaign's questions from its `questions` column (checked when they were saved)."""
    return parse_questions(stored) if stored else []
