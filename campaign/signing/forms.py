"""The signing form: what a supporter may send, and the messages when it is wrong."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from campaign.campaigns.questions import Question, parse_questions, questions_to_json
from campaign.countries import COUNTRY_CODES
from campaign.identity import checked_email
from campaign.signing.consent import CURRENT_WORDING

_URL_LIKE = re.compile(
    r"(https?://|www\.|://)|\b[\w-]+\.(com|net|org|io|ru|info|xyz|link|ly)\b", re.I
)
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


def clean_text(value: Any) -> Any:
    """Trim and NFC-normalise, so the same name typed on two keyboards is stored the same."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


_JOINERS = ("\u200c", "\u200d")  # zero-width non-joiner, zero-width joiner
_TAGS = ("\U000e0020", "\U000e007f")  # the tag characters of a flag such as England's
_BLACK_FLAG = "\U0001f3f4"


def _belongs_where_it_is(before: str, character: str, after: str) -> bool:
    """Whether an invisible format character is part of how the text is written.

    A joiner inside an emoji sequence (👩‍💻), a joiner or non-joiner between two letters of
    a script that needs them (Persian, the Indic scripts), the tags of a subdivision flag.
    Anything else (bidirectional overrides, zero-width spaces, a BOM) only hides or
    reorders what the reader sees.
    """
    if character in _JOINERS:
        if not before or not after:
            return False
        left, right = unicodedata.category(before), unicodedata.category(after)
        if left[0] in "LM" and right[0] in "LM" and not (before.isascii() or after.isascii()):
            return True
        emoji_before = left in ("So", "Sk") or before == "\ufe0f"
        return character == "\u200d" and emoji_before and right == "So"
    if _TAGS[0] <= character <= _TAGS[1]:
        return before == _BLACK_FLAG or _TAGS[0] <= before <= _TAGS[1]
    return False


def strip_format_characters(value: Any) -> Any:
    """The text without invisible format characters (Unicode Cf) that do not belong to it.

    U+202E and its kind reverse how a name displays, zero-width spaces make two names that
    look alike differ (or hide `=` from the spreadsheet formula guard), and none of them can
    be seen to be removed: they are dropped rather than refused (see docs/security.md).
    """
    if not isinstance(value, str) or all(unicodedata.category(ch) != "Cf" for ch in value):
        return value
    kept: list[str] = []
    for index, character in enumerate(value):
        if unicodedata.category(character) != "Cf" or _belongs_where_it_is(
            kept[-1] if kept else "", character, value[index + 1 : index + 2]
        ):
            kept.append(character)
    return "".join(kept)


def _has_control_characters(value: str) -> bool:
    # Cc covers NUL, tabs, line breaks and the C1 range; Zl/Zp are Unicode line breaks.
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def single_line(form: FlaskForm, field: Field) -> None:
    if field.data and _has_control_characters(field.data):
        raise ValidationError(_l("Please use letters, spaces and punctuation only."))


def no_links(form: FlaskForm, field: Field) -> None:
    if field.data and _URL_LIKE.search(field.data):
        raise ValidationError(_l("A name cannot contain a web address."))


def valid_email(form: FlaskForm, field: Field) -> None:
    if not field.data:
        return
    if _has_control_characters(field.data):
        raise ValidationError(_l("Please enter a valid email address, like name@example.org."))
    if checked_email(field.data) is None:
        if not field.data.isascii():
            # Letters of other scripts are welcome (sent with SMTPUTF8, or to the domain's
            # ASCII form); these ones no mail server could take.
            raise ValidationError(
                _l(
                    "Email cannot be delivered to this address: please check its letters and "
                    "symbols, or use another address."
                )
            )
        raise ValidationError(_l("Please enter a valid email address, like name@example.org."))


def email_field(
    label: object, required: object, checks: Sequence[Callable[[FlaskForm, Field], None]] = ()
) -> EmailField:
    """An email address a form must have: cleaned, at most 254 characters (what SMTP takes),
    with `required` as the message when it is missing and `checks` run after."""
    return EmailField(
        label,
        filters=[clean_text],
        validators=[
            DataRequired(required),
            Length(max=254, message=_l("Please use at most 254 characters.")),
            *checks,
        ],
    )


def known_country(form: FlaskForm, field: Field) -> None:
    if field.data not in COUNTRY_CODES:
        raise ValidationError(_l("Please choose your country from the list."))


class SignatureForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        filters=[strip_format_characters, clean_text],
        validators=[
            DataRequired(_l("Please enter your first name.")),
            Length(max=100, message=_l("Please use at most 100 characters.")),
            single_line,
            no_links,
        ],
    )
    last_name = StringField(
        _l("Last name"),
        filters=[strip_format_characters, clean_text],
        validators=[
            DataRequired(_l("Please enter your last name.")),
            Length(max=100, message=_l("Please use at most 100 characters.")),
            single_line,
            no_links,
        ],
    )
    email = email_field(
        _l("Email address"), _l("Please enter your email address."), checks=[valid_email]
    )
    country = StringField(
        _l("Country"),
        filters=[clean_text],
        validators=[DataRequired(_l("Please choose your country from the list.")), known_country],
    )
    postcode = StringField(
        _l("Postcode (optional)"),
        filters=[strip_format_characters, clean_text],
        validators=[
            Optional(),
            Length(max=16, message=_l("Please use at most 16 characters.")),
            single_line,
        ],
    )
    # Separate from signing and never ticked in advance; its label is part of the versioned
    # consent wording.
    opt_in = BooleanField(CURRENT_WORDING.opt_in_label, default=False)
    source = HiddenField(filters=[clean_text])
    # The honeypot: hidden from people and assistive technology; a bot fills it in.
    leave_this_empty = StringField()

    def clean_source(self) -> str | None:
        """The share channel, if it is a short code we can trust; otherwise none."""
        value = (self.source.data or "").lower()
        return value if SOURCE_PATTERN.match(value) else None


QUESTION_PREFIX = "q_"


def _one_of(allowed: set[str]) -> Callable[[FlaskForm, Field], None]:
    def check(form: FlaskForm, field: Field) -> None:
        if field.data and field.data not in allowed:
            raise ValidationError(_l("Please choose one of the answers given."))

    return check


def _question_field(question: Question, locale: str) -> Field:
    label, help_text = question.label(locale), question.help(locale) or ""
    if question.kind == "checkbox":
        required = [InputRequired(_l("Please tick this box."))] if question.required else []
        return BooleanField(label, description=help_text, validators=required)
    if question.kind == "choice":
        return RadioField(
            label,
            description=help_text,
            choices=[SelectChoice(value, label) for value, label in question.choice_labels(locale)],
            validate_choice=False,  # checked below, with our own message
            validators=[
                InputRequired(_l("Please choose an answer.")) if question.required else Optional(),
                _one_of({choice.value for choice in question.choices}),
            ],
        )
    return StringField(
        label,
        description=help_text,
        filters=[strip_format_characters, clean_text],
        validators=[
            DataRequired(_l("Please answer this question.")) if question.required else Optional(),
            Length(
                max=question.max_length,
                message=_l("Please use at most %(max)d characters.", max=question.max_length),
            ),
            single_line,
        ],
    )


@lru_cache(maxsize=256)
def _form_with(stored: str, locale: str, base: Any) -> type[FlaskForm]:
    questions = parse_questions(json.loads(stored))
    fields = {QUESTION_PREFIX + q.key: _question_field(q, locale) for q in questions}
    return type(f"{base.__name__}WithQuestions", (base,), fields)


def form_class(
    questions: Sequence[Question], locale: str, base: type[FlaskForm] | None = None
) -> type[FlaskForm]:
    """The signing form (or `base`) with a field per campaign question, labelled in
    `locale`; the form itself when the campaign asks nothing more."""
    base = base or SignatureForm
    if not questions:
        return base
    stored = json.dumps(questions_to_json(list(questions)), sort_keys=True)
    return _form_with(stored, locale, cast(Hashable, base))


def question_fields(form: FlaskForm, questions: Sequence[Question]) -> list[Field]:
    return [form[QUESTION_PREFIX + question.key] for question in questions]


def answers_from(form: FlaskForm, questions: Sequence[Question]) -> dict[str, Any] | None:
    """The checked answers, by question key (a checkbox as true or false, others as text;
    an unanswered optional question is left out); None when there are no questions."""
    if not questions:
        return None
    answers: dict[str, Any] = {}
    for question in questions:
        value = form[QUESTION_PREFIX + question.key].data
        if question.kind == "checkbox":
            answers[question.key] = bool(value)
        elif value:
            answers[question.key] = value
    return answers
