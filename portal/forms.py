"""The report form: exactly the fields of ``tipline.report_schema``, with plain-language messages.

Every message says what to do, next to the field it is about, and the form is re-shown with what
the person typed. Field names are the schema's names, plus ``contact_choice``
(``anonymous``, the default, or ``share``).
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from tipline.report_schema import CATEGORIES, HOW_KNOWN, LIMITS, LOCATION_TYPES, YES_NO_UNSURE

ANONYMOUS = "anonymous"
SHARE = "share"
CONTACT_CHOICES = {
    ANONYMOUS: "Stay anonymous (we will not know who you are)",
    SHARE: "Share how to reach me",
}
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]+$")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _limit(name: str) -> Length:
    most = LIMITS[name]
    return Length(max=most, message=f"Please shorten this to {most:,} characters or fewer.")


class OneOf:
    """The submitted value must be one of ``allowed`` (choices a browser could not have sent)."""

    def __init__(self, allowed: dict[str, str], message: str) -> None:
        self.allowed = allowed
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data not in self.allowed:
            raise ValidationError(self.message)


def _choices(options: dict[str, str], order: tuple[str, ...] = ()) -> list[SelectChoice]:
    values = [*order, *(value for value in options if value not in order)]
    return [SelectChoice(value, options[value]) for value in values]


_YES_NO_ORDER = ("yes", "no", "unsure")


_PICK_ONE = "Please choose one of the options shown."
_PICK_CATEGORY = "Please choose the closest one, or \u201cSomething else\u201d."


class ReportForm(FlaskForm):
    what_happened = TextAreaField(
        "What happened, or what are you worried about?",
        filters=[_strip],
        validators=[
            DataRequired("Please tell us what happened, in your own words."),
            _limit("what_happened"),
        ],
    )
    category = RadioField(
        "Which of these is closest?",
        choices=_choices(CATEGORIES),
        validate_choice=False,
        validators=[OneOf(CATEGORIES, _PICK_CATEGORY)],
    )
    subject = StringField("Who is it about?", filters=[_strip], validators=[_limit("subject")])
    location_type = SelectField(
        "Where is this happening?",
        choices=_choices(LOCATION_TYPES),
        default="",
        validate_choice=False,
        validators=[OneOf(LOCATION_TYPES, _PICK_ONE)],
    )
    location = StringField(
        "Name of the place, if you know it",
        filters=[_strip],
        validators=[_limit("location")],
    )
    when = StringField(
        "When did it happen, or when might it happen?",
        filters=[_strip],
        validators=[_limit("when")],
    )
    danger_now = RadioField(
        "Is someone in danger right now?",
        choices=_choices(YES_NO_UNSURE, _YES_NO_ORDER),
        default="unsure",
        validate_choice=False,
        validators=[OneOf(YES_NO_UNSURE, _PICK_ONE)],
    )
    weapons_access = RadioField(
        "Does the person have access to weapons?",
        choices=_choices(YES_NO_UNSURE, _YES_NO_ORDER),
        default="unsure",
        validate_choice=False,
        validators=[OneOf(YES_NO_UNSURE, _PICK_ONE)],
    )
    how_known = SelectField(
        "How do you know about this?",
        choices=_choices(HOW_KNOWN),
        default="",
        validate_choice=False,
        validators=[OneOf(HOW_KNOWN, _PICK_ONE)],
    )
    how_known_detail = TextAreaField(
        "Anything else about how you know?",
        filters=[_strip],
        validators=[_limit("how_known_detail")],
    )
    contact_choice = RadioField(
        "Do you want to tell us how to reach you?",
        choices=_choices(CONTACT_CHOICES),
        default=ANONYMOUS,
        validate_choice=False,
        validators=[OneOf(CONTACT_CHOICES, _PICK_ONE)],
    )
    contact_name = StringField("Your name", filters=[_strip], validators=[_limit("contact_name")])
    contact_email = StringField(
        "Email address", filters=[_strip], validators=[_limit("contact_email")]
    )
    contact_phone = StringField(
        "Phone number", filters=[_strip], validators=[_limit("contact_phone")]
    )

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.contact_choice.data == SHARE:
            valid = self._validate_contact() and valid
        return valid

    def _validate_contact(self) -> bool:
        email, phone = self.contact_email.data or "", self.contact_phone.data or ""
        problems: list[tuple[Field, str]] = []
        if not email and not phone:
            problems.append(
                (
                    self.contact_email,
                    "Please add an email address or a phone number, "
                    "or choose \u201cStay anonymous\u201d above.",
                )
            )
        if email and not _EMAIL.match(email):
            problems.append(
                (self.contact_email, "This does not look like an email address (name@example.com).")
            )
        digits = sum(ch.isdigit() for ch in phone)
        if phone and (not _PHONE.match(phone) or not 7 <= digits <= 15):
            problems.append(
                (self.contact_phone, "Please enter a phone number using digits, like 555 123 4567.")
            )
        for field, message in problems:
            field.errors = [*field.errors, message]
        return not problems

    # --- the document sections this form fills -------------------------------------------

    def report_section(self) -> dict[str, str]:
        return {
            "what_happened": self.what_happened.data,
            "category": self.category.data,
            "subject": self.subject.data or "",
            "location_type": self.location_type.data or "",
            "location": self.location.data or "",
            "when": self.when.data or "",
            "danger_now": self.danger_now.data,
            "weapons_access": self.weapons_access.data,
            "how_known": self.how_known.data or "",
            "how_known_detail": self.how_known_detail.data or "",
        }

    def contact_section(self) -> dict[str, str] | None:
        """``None`` for an anonymous report: contact fields typed anyway are not sent."""
        if self.contact_choice.data != SHARE:
            return None
        return {
            "name": self.contact_name.data or "",
            "email": self.contact_email.data or "",
            "phone": self.contact_phone.data or "",
        }

    def says_danger_now(self) -> bool:
        return self.danger_now.data == "yes"
