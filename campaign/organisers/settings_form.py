from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, Field, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from campaign.campaigns.embedding import BadOrigin, parse_origins
from campaign.campaigns.questions import (
    QuestionsError,
    campaign_questions,
    questions_from_toml,
    questions_to_json,
    questions_to_toml,
)
from campaign.organisers.settings import MAX_GOAL, MAX_PAUSED_MESSAGE, CampaignSettings
from campaign.signing.forms import clean_text

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


class CampaignSettingsForm(FlaskForm):
    goal = IntegerField(
        _l("Goal (confirmed signatures)"),
        validators=[
            DataRequired(_l("Please enter a goal.")),
            NumberRange(
                min=1, max=MAX_GOAL, message=_l("Please enter a number from 1 to 1,000,000,000.")
            ),
        ],
    )
    opens_at = DateTimeLocalField(
        _l("Opens at (UTC, optional)"),
        format=TIME_FORMAT,
        validators=[Optional()],
    )
    closes_at = DateTimeLocalField(
        _l("Closes at (UTC, optional)"),
        format=TIME_FORMAT,
        validators=[Optional()],
    )
    show_recent_signers = BooleanField(_l("Show recent signatures (country and time only)"))
    signing_paused = BooleanField(_l("Pause signing: show the message below instead of the form"))
    paused_message = TextAreaField(
        _l("Message shown while signing is paused"),
        filters=[clean_text],
        validators=[
            Length(max=MAX_PAUSED_MESSAGE, message=_l("Please use at most 500 characters."))
        ],
    )

    embed_origins = TextAreaField(
        _l("Sites that may show the embedded form (one origin per line, like https://example.org)"),
        validators=[Length(max=2000, message=_l("Please use at most 2000 characters."))],
    )
    questions = TextAreaField(
        _l("Your own questions beside the form (TOML, as in the campaign's questions.toml)"),
        validators=[Length(max=20000, message=_l("Please use at most 20000 characters."))],
    )

    def validate_embed_origins(self, field: Field) -> None:
        try:
            parse_origins(field.data)
        except BadOrigin as error:
            raise ValidationError(
                _l("%(origin)s is not an origin like https://example.org", origin=str(error))
            ) from error

    def validate_questions(self, field: Field) -> None:
        try:
            questions_from_toml(field.data or "")
        except QuestionsError as error:
            raise ValidationError(str(error)) from error

    def fill_from(self, settings: CampaignSettings) -> None:
        self.goal.data = settings.goal
        self.opens_at.data = settings.opens_at.replace(tzinfo=None) if settings.opens_at else None
        self.closes_at.data = (
            settings.closes_at.replace(tzinfo=None) if settings.closes_at else None
        )
        self.show_recent_signers.data = settings.show_recent_signers
        self.signing_paused.data = settings.signing_paused
        self.paused_message.data = settings.paused_message or ""
        self.embed_origins.data = settings.embed_origins or ""
        self.questions.data = questions_to_toml(campaign_questions(settings.questions))

    def settings(self) -> CampaignSettings:
        return CampaignSettings(
            goal=int(self.goal.data),
            opens_at=_utc(self.opens_at.data),
            closes_at=_utc(self.closes_at.data),
            show_recent_signers=bool(self.show_recent_signers.data),
            signing_paused=bool(self.signing_paused.data),
            paused_message=self.paused_message.data or None,
            embed_origins="\n".join(parse_origins(self.embed_origins.data)) or None,
            questions=questions_to_json(questions_from_toml(self.questions.data or "")),
        )
