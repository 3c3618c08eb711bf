"""Forms of the officers' app (CSRF tokens come from flask-wtf)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from tipline.followup_schema import TEXT_LIMIT
from triage.officers import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[InputRequired(), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class MessageForm(FlaskForm):
    """A question to the reporter (sealed to their key before it is stored)."""

    text = TextAreaField(
        "Message to the reporter",
        validators=[
            DataRequired("Write the message first."),
            Length(max=TEXT_LIMIT, message=f"Keep the message under {TEXT_LIMIT} characters."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"rows": 4, "maxlength": TEXT_LIMIT},
    )
