"""The forms of the campaign editor: a new campaign, and its text in one language."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from campaign.campaigns.models import SLUG_PATTERN
from campaign.editor.services import RESERVED_SLUGS, CampaignWords
from campaign.organisers.settings import MAX_GOAL
from campaign.signing.forms import clean_text

MAX_TITLE = 200  # the columns' sizes (campaigns/models.py)
MAX_TARGET = 300
MAX_SUMMARY = 1_000
MAX_BODY = 20_000  # a few pages; the campaign of record is under 3,000


def clean_block(value: Any) -> Any:
    """The same for a text of several lines, with one kind of line break."""
    if isinstance(value, str):
        return clean_text(value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _control_characters(text: str, allowed: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def single_line(_form: FlaskForm, field: Field) -> None:
    if field.data and _control_characters(field.data, ""):
        raise ValidationError(_l("Please use one line, without control characters."))


def no_control_characters(_form: FlaskForm, field: Field) -> None:
    if field.data and _control_characters(field.data, "\n\t"):
        raise ValidationError(_l("Please remove the control characters (invisible codes)."))


def _presence(required: bool, message: str) -> Any:
    return DataRequired(message) if required else Optional()


def title_field(required: bool) -> StringField:
    return StringField(
        _l("Title"),
        filters=[clean_text],
        validators=[
            _presence(required, _l("Please enter a title.")),
            Length(max=MAX_TITLE, message=_l("At most 200 characters.")),
            single_line,
        ],
    )


def summary_field(required: bool) -> TextAreaField:
    return TextAreaField(
        _l("Summary (one or two sentences, under the title and on share cards)"),
        filters=[clean_block],
        validators=[
            _presence(required, _l("Please enter a summary.")),
            Length(max=MAX_SUMMARY, message=_l("At most 1,000 characters.")),
            no_control_characters,
        ],
    )


def target_field(required: bool) -> StringField:
    return StringField(
        _l("Addressed to (the decision makers)"),
        filters=[clean_text],
        validators=[
            _presence(required, _l("Please say who the petition is addressed to.")),
            Length(max=MAX_TARGET, message=_l("At most 300 characters.")),
            single_line,
        ],
    )


def body_field(required: bool) -> TextAreaField:
    return TextAreaField(
        _l("Text of the petition (Markdown)"),
        filters=[clean_block],
        validators=[
            _presence(required, _l("Please write the text of the petition.")),
            Length(max=MAX_BODY, message=_l("At most 20,000 characters.")),
            no_control_characters,
        ],
    )


class _WordsForm(FlaskForm):
    title: StringField
    summary: TextAreaField
    target: StringField
    body: TextAreaField

    def words(self) -> CampaignWords:
        return CampaignWords(
            title=self.title.data or "",
            summary=self.summary.data or "",
            target=self.target.data or "",
            body=self.body.data or "",
        )

    def fill(self, words: CampaignWords) -> None:
        self.title.data = words.title
        self.summary.data = words.summary
        self.target.data = words.target
        self.body.data = words.body


class MainWordsForm(_WordsForm):
    """The campaign's own language: every field is required."""

    title = title_field(required=True)
    summary = summary_field(required=True)
    target = target_field(required=True)
    body = body_field(required=True)


class TranslationForm(_WordsForm):
    """Another language: may be saved half done, and is served only once complete."""

    title = title_field(required=False)
    summary = summary_field(required=False)
    target = target_field(required=False)
    body = body_field(required=False)


def valid_slug(_form: FlaskForm, field: Field) -> None:
    if not field.data:
        return
    if not SLUG_PATTERN.fullmatch(field.data):
        raise ValidationError(
            _l(
                "Use lowercase letters a to z, digits and hyphens only, starting with a letter "
                "or a digit (at most 64)."
            )
        )
    if field.data in RESERVED_SLUGS:
        raise ValidationError(_l("This address is taken. Please choose another."))


class NewCampaignForm(MainWordsForm):
    slug = StringField(
        _l("Address of the page (slug)"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please choose the address of the page.")),
            Length(max=64, message=_l("At most 64 characters.")),
            valid_slug,
        ],
    )
    locale = SelectField(_l("Main language"), validators=[DataRequired()])
    goal = IntegerField(
        _l("Goal (confirmed signatures)"),
        validators=[
            InputRequired(_l("Please enter a goal.")),
            NumberRange(
                min=1, max=MAX_GOAL, message=_l("Please enter a number from 1 to 1,000,000,000.")
            ),
        ],
    )
