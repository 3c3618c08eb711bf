"""Forms of the follow-up pages: the receipt code, a reply, and "leave"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tipline.followup_schema import TEXT_LIMIT


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class CodeForm(FlaskForm):
    code = StringField(
        "Your receipt code",
        filters=[_strip],
        validators=[
            DataRequired("Please type the receipt code you wrote down."),
            Length(max=100, message="A receipt code is 7 groups of 4 digits."),
        ],
    )


class ReplyForm(FlaskForm):
    text = TextAreaField(
        "Your answer",
        filters=[_strip],
        validators=[
            Length(
                max=TEXT_LIMIT,
                message=f"Please shorten this to {TEXT_LIMIT:,} characters or fewer.",
            )
        ],
    )


class LeaveForm(FlaskForm):
    """Only the CSRF token: leaving is a state change."""
