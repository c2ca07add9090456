"""The signing form: what a supporter may send, and the messages when it is wrong."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from campaign.countries import COUNTRY_CODES
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
    try:
        validate_email(field.data, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            _l("Please enter a valid email address, like name@example.org.")
        ) from error


def known_country(form: FlaskForm, field: Field) -> None:
    if field.data not in COUNTRY_CODES:
        raise ValidationError(_l("Please choose your country from the list."))


class SignatureForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your first name.")),
            Length(max=100, message=_l("Please use at most 100 characters.")),
            single_line,
            no_links,
        ],
    )
    last_name = StringField(
        _l("Last name"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your last name.")),
            Length(max=100, message=_l("Please use at most 100 characters.")),
            single_line,
            no_links,
        ],
    )
    email = EmailField(
        _l("Email address"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please use at most 254 characters.")),
            valid_email,
        ],
    )
    country = StringField(
        _l("Country"),
        filters=[clean_text],
        validators=[DataRequired(_l("Please choose your country from the list.")), known_country],
    )
    postcode = StringField(
        _l("Postcode (optional)"),
        filters=[clean_text],
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
