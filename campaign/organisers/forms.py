from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from campaign.organisers.passwords import MAX_LENGTH
from campaign.signing.forms import email_field


class LoginForm(FlaskForm):
    email = email_field(_l("Email address"), _l("Please enter your email address."))
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=MAX_LENGTH, message=_l("That password is too long.")),
        ],
    )
    next = HiddenField()
