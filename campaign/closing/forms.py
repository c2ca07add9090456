"""The milestones form and the closing form: one text field per language the site offers,
the campaign's own language first. Built per request, as the languages come from the
configuration."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, Form, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from campaign.campaigns.milestones import (
    MAX_COUNT,
    MAX_MILESTONE_TEXT,
    MAX_MILESTONES,
    Milestone,
    campaign_milestones,
)
from campaign.campaigns.models import Campaign
from campaign.campaigns.outcomes import MAX_OUTCOME_TEXT, OutcomeKind
from campaign.closing.services import OutcomeInput
from campaign.i18n import language_name

# Rows for new milestones below the existing ones (the page works without script).
BLANK_ROWS = 3
# Any control character but tab and line breaks (which a textarea sends).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.replace("\r\n", "\n").strip())
    return value


def no_control_characters(form: Form, field: Field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(_l("Please remove the invisible control characters."))


def ordered_languages(languages: list[str], main: str) -> list[str]:
    """The campaign's language first, then the others the site offers."""
    return [main, *(language for language in languages if language != main)]


def _text_field_name(language: str) -> str:
    return f"text_{language}"


def milestones_form(campaign: Campaign, languages: list[str]) -> type[FlaskForm]:
    """A form with one row per milestone (and blank rows to add some): a count, and a text
    per language. A row with no count is dropped."""
    ordered = ordered_languages(languages, campaign.locale)
    rows = min(MAX_MILESTONES, len(campaign_milestones(campaign.milestones)) + BLANK_ROWS)

    class MilestonesForm(FlaskForm):
        languages = ordered

        def row_fields(self) -> list[tuple[Field, list[tuple[str, Field]]]]:
            return [
                (
                    self[f"count_{i}"],
                    [(language, self[f"{_text_field_name(language)}_{i}"]) for language in ordered],
                )
                for i in range(rows)
            ]

        def fill_from(self, milestones: list[Milestone]) -> None:
            for i, milestone in enumerate(milestones[:rows]):
                self[f"count_{i}"].data = milestone.count
                for language in ordered:
                    field = self[f"{_text_field_name(language)}_{i}"]
                    field.data = milestone.texts.get(language, "")

        def milestones(self) -> list[Milestone]:
            result = []
            for count, texts in self.row_fields():
                if count.data is None:
                    continue
                result.append(
                    Milestone(
                        count=int(count.data),
                        texts={language: field.data or "" for language, field in texts},
                    )
                )
            return result

    for i in range(rows):
        setattr(
            MilestonesForm,
            f"count_{i}",
            IntegerField(
                _l("Number of signatures"),
                validators=[
                    Optional(),
                    NumberRange(
                        min=1,
                        max=MAX_COUNT,
                        message=_l("Please enter a number from 1 to 1,000,000,000."),
                    ),
                ],
            ),
        )
        for language in ordered:
            setattr(
                MilestonesForm,
                f"{_text_field_name(language)}_{i}",
                StringField(
                    _l("What happens then (%(language)s)", language=language_name(language)),
                    filters=[clean],
                    validators=[
                        Length(
                            max=MAX_MILESTONE_TEXT,
                            message=_l("Please use at most 200 characters."),
                        ),
                        no_control_characters,
                    ],
                ),
            )
    return MilestonesForm


KIND_LABELS = {
    OutcomeKind.DELIVERED: _l("Delivered: we handed the petition to its target"),
    OutcomeKind.RESPONSE: _l("A response: the target answered"),
    OutcomeKind.WON: _l("Won: the demand was met"),
    OutcomeKind.LOST: _l("Lost: the demand was refused"),
}


def closing_form(campaign: Campaign, languages: list[str]) -> type[FlaskForm]:
    """The outcome: what happened, on which day, and a text per language."""
    ordered = ordered_languages(languages, campaign.locale)

    class ClosingForm(FlaskForm):
        kind = RadioField(
            _l("What happened"),
            choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
            validate_choice=True,
        )
        on = DateField(_l("On (the day it happened)"), validators=[Optional()])

        def text_fields(self) -> list[tuple[str, Field]]:
            return [(language, self[_text_field_name(language)]) for language in ordered]

        def fill_from(self, campaign: Campaign) -> None:
            self.kind.data = campaign.outcome
            self.on.data = campaign.outcome_on
            for language, field in self.text_fields():
                field.data = (campaign.outcome_texts or {}).get(language, "")

        def outcome(self) -> OutcomeInput:
            on: date | None = self.on.data
            return OutcomeInput(
                kind=OutcomeKind(self.kind.data),
                on=on,
                texts={language: field.data or "" for language, field in self.text_fields()},
            )

    for language in ordered:
        setattr(
            ClosingForm,
            _text_field_name(language),
            TextAreaField(
                _l("What to tell supporters (%(language)s)", language=language_name(language)),
                filters=[clean],
                validators=[
                    Length(max=MAX_OUTCOME_TEXT, message=_l("Please use at most 3000 characters.")),
                    no_control_characters,
                ],
            ),
        )
    return ClosingForm


class ReopenForm(FlaskForm):
    """Only its CSRF token: reopening is one button."""
