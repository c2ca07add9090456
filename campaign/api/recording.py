"""OSDI's record-signature helper: a person in JSON, checked by the signing form's rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from campaign.campaigns.questions import Question
from campaign.signing.forms import (
    QUESTION_PREFIX,
    SOURCE_PATTERN,
    answers_from,
    clean_text,
    form_class,
)
from campaign.signing.services import SignatureInput, SignerDetails

# The form's fields, and where each is in an OSDI person.
FIELD_PATHS = {
    "first_name": "person.given_name",
    "last_name": "person.family_name",
    "email": "person.email_addresses[0].address",
    "country": "person.postal_addresses[0].country",
    "postcode": "person.postal_addresses[0].postal_code",
}


class InvalidPerson(ValueError):
    """Field errors, by their place in the request body."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid person")
        self.errors = errors


@dataclass(frozen=True)
class RecordedPerson(SignerDetails):
    language: str | None
    answers: dict[str, Any] | None


def _text(value: Any, path: str, errors: dict[str, list[str]]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(path, []).append("must be a string")
        return ""
    return value


def _first(value: Any, path: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The primary (else the first) entry of an OSDI list of objects."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.setdefault(path, []).append("must be a list of objects")
        return {}
    primary = [item for item in value if item.get("primary") is True]
    return (primary or value or [{}])[0]


def _custom_fields(
    person: dict[str, Any], questions: Sequence[Question], errors: dict[str, list[str]]
) -> dict[str, str]:
    """The answers in `person.custom_fields`, as the form's fields would have them."""
    given = person.get("custom_fields")
    if given is None:
        return {}
    if not isinstance(given, dict):
        errors.setdefault("person.custom_fields", []).append("must be an object")
        return {}
    keys = {question.key: question for question in questions}
    values: dict[str, str] = {}
    for key, value in given.items():
        path = f"person.custom_fields.{key}"
        question = keys.get(key)
        if question is None:
            errors.setdefault(path, []).append("this petition asks no such question")
        elif question.kind == "checkbox":
            if not isinstance(value, bool):
                errors.setdefault(path, []).append("must be true or false")
            elif value:
                values[QUESTION_PREFIX + key] = "y"
        elif not isinstance(value, str):
            errors.setdefault(path, []).append("must be a string")
        else:
            values[QUESTION_PREFIX + key] = value
    return values


def read_person(
    body: Any, questions: Sequence[Question] = (), locale: str = "en"
) -> RecordedPerson:
    """The signer described by a record-signature body; raises InvalidPerson.

    The same checks as the web form (lengths, one line, no links in names, a valid address,
    a known country, the campaign's own questions), on the same normalised text.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        raise InvalidPerson({"": ["the body must be a JSON object"]})
    person = body.get("person")
    if not isinstance(person, dict):
        raise InvalidPerson({"person": ["a person object is required"]})
    email = _first(person.get("email_addresses"), "person.email_addresses", errors)
    postal = _first(person.get("postal_addresses"), "person.postal_addresses", errors)
    languages = person.get("languages_spoken")
    if languages is not None and not (
        isinstance(languages, list) and all(isinstance(code, str) for code in languages)
    ):
        errors.setdefault("person.languages_spoken", []).append("must be a list of strings")
        languages = None
    referrer = body.get("referrer_data")
    if referrer is not None and not isinstance(referrer, dict):
        errors.setdefault("referrer_data", []).append("must be an object")
        referrer = None
    values = {
        "first_name": _text(person.get("given_name"), FIELD_PATHS["first_name"], errors),
        "last_name": _text(person.get("family_name"), FIELD_PATHS["last_name"], errors),
        "email": _text(email.get("address"), FIELD_PATHS["email"], errors),
        "country": _text(postal.get("country"), FIELD_PATHS["country"], errors).upper(),
        "postcode": _text(postal.get("postal_code"), FIELD_PATHS["postcode"], errors),
    }
    source = _text((referrer or {}).get("source"), "referrer_data.source", errors)
    values.update(_custom_fields(person, questions, errors))
    form = form_class(questions, locale)(formdata=MultiDict(values), meta={"csrf": False})
    if not form.validate():
        for name, messages in form.errors.items():
            path = FIELD_PATHS.get(str(name), str(name))
            if path.startswith(QUESTION_PREFIX):
                path = "person.custom_fields." + path.removeprefix(QUESTION_PREFIX)
            errors.setdefault(path, []).extend(str(message) for message in messages)
    if errors:
        raise InvalidPerson(errors)
    cleaned_source = (clean_text(source) or "").lower()
    return RecordedPerson(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        country=form.country.data,
        postcode=form.postcode.data or None,
        # News only when the caller says the person asked for it (OSDI's "subscribed").
        opt_in=email.get("status") == "subscribed",
        source=cleaned_source if SOURCE_PATTERN.match(cleaned_source) else None,
        language=(languages or [None])[0],
        answers=answers_from(form, questions),
    )


def signature_input(person: RecordedPerson, locale: str) -> SignatureInput:
    return SignatureInput(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        country=person.country,
        postcode=person.postcode,
        opt_in=person.opt_in,
        source=person.source,
        locale=locale,
        ip_hash=None,  # a server posts for many people: its address says nothing of theirs
        answers=person.answers,
    )
