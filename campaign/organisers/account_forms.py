"""Forms of the account pages: second factor, password reset, invitations, the team."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.organisers.passwords import (
    IS_EMAIL,
    MAX_LENGTH,
    MIN_LENGTH,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    PasswordRejected,
)
from campaign.signing.forms import clean_text, email_field


def password_rule_message(error: PasswordRejected) -> str:
    """The rule a new password broke, in the page's language."""
    messages = {
        TOO_SHORT: _l("The password must have at least %(n)s characters.", n=MIN_LENGTH),
        TOO_LONG: _l("The password must have at most %(n)s characters.", n=MAX_LENGTH),
        IS_EMAIL: _l("The password must not be your email address."),
        TOO_COMMON: _l("That password is one of the most common ones: please choose another."),
    }
    return str(messages.get(error.reason, _l("Please choose another password.")))


def _email_field(label: object) -> EmailField:
    return email_field(label, _l("Please enter an email address."))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Please choose a password.")),
            Length(max=MAX_LENGTH, message=_l("That password is too long.")),
        ],
    )
    password_again = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(_l("Please type the password a second time.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_LENGTH, message=_l("That password is too long.")),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter the code.")),
            Length(max=40, message=_l("That code is too long.")),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("Email address"))


class NewEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_LENGTH, message=_l("That password is too long.")),
        ],
    )


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language of your emails"), choices=[])


class PasswordCheckForm(FlaskForm):
    """A form confirmed with the current password (turning the second factor off)."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_LENGTH, message=_l("That password is too long.")),
        ],
    )


class ReplaceFactorForm(CodeForm):
    """Moving the second factor to a new app: the new app's code, and the password, since
    whoever holds only a logged-in browser must not swap in a factor of their own."""

    current_password = PasswordCheckForm.current_password


class InviteForm(FlaskForm):
    email = _email_field(_l("Their email address"))
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice("organiser", _l("Organiser: sees the campaigns chosen below")),
            SelectChoice("admin", _l("Admin: sees every campaign, the audit log and the team")),
        ],
        default="organiser",
        validators=[DataRequired(_l("Please choose a role."))],
    )
    campaigns = SelectMultipleField(
        _l("Campaigns"),
        coerce=int,
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=True,
    )
    locale = SelectField(_l("Language of the invitation"), choices=[])


class RequireSecondFactorForm(FlaskForm):
    required = BooleanField(_l("Require a second factor for every account"))
