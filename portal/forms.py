"""The report form: exactly the fields of ``tipline.report_schema``, with plain-language messages.

Every message says what to do, next to the field it is about, and the form is re-shown with what
the person typed. Field names are the schema's names, plus ``contact_choice``
(``anonymous``, the default, or ``share``) and ``organization``: the text of the organization
picker, which the view maps to a listed organization's id or keeps as a typed name
(``portal.directory.Directory.resolve``).
"""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.form_helpers import (
    PICK_CATEGORY,
    PICK_ONE,
    OneOf,
    add_errors,
    at_most,
    choices,
    contact_problems,
    strip,
)
from portal.place_fields import PlaceTimeSafetyForm
from tipline.report_schema import (
    CATEGORIES,
    HOW_KNOWN,
    LIMITS,
    ORGANIZATION_SCHEMA,
)

ANONYMOUS = "anonymous"
SHARE = "share"
CONTACT_CHOICES = {
    ANONYMOUS: "Stay anonymous (we will not know who you are)",
    SHARE: "Share how to reach me",
}
ORGANIZATION_NAME_MAX: int = ORGANIZATION_SCHEMA["properties"]["name"]["maxLength"]


def _limit(name: str) -> Length:
    return at_most(LIMITS[name])


class ReportForm(PlaceTimeSafetyForm):
    what_happened = TextAreaField(
        "What happened, or what are you worried about?",
        filters=[strip],
        validators=[
            DataRequired("Please tell us what happened, in your own words."),
            _limit("what_happened"),
        ],
    )
    category = RadioField(
        "Which of these is closest?",
        choices=choices(CATEGORIES),
        validate_choice=False,
        validators=[OneOf(CATEGORIES, PICK_CATEGORY)],
    )
    subject = StringField("Who is it about?", filters=[strip], validators=[_limit("subject")])
    organization = StringField(
        "Which school, workplace or organization is this about?",
        filters=[strip],
        validators=[at_most(ORGANIZATION_NAME_MAX)],
    )
    how_known = SelectField(
        "How do you know about this?",
        choices=choices(HOW_KNOWN),
        default="",
        validate_choice=False,
        validators=[OneOf(HOW_KNOWN, PICK_ONE)],
    )
    how_known_detail = TextAreaField(
        "Anything else about how you know?",
        filters=[strip],
        validators=[_limit("how_known_detail")],
    )
    contact_choice = RadioField(
        "Do you want to tell us how to reach you?",
        choices=choices(CONTACT_CHOICES),
        default=ANONYMOUS,
        validate_choice=False,
        validators=[OneOf(CONTACT_CHOICES, PICK_ONE)],
    )
    contact_name = StringField("Your name", filters=[strip], validators=[_limit("contact_name")])
    contact_email = StringField(
        "Email address", filters=[strip], validators=[_limit("contact_email")]
    )
    contact_phone = StringField(
        "Phone number", filters=[strip], validators=[_limit("contact_phone")]
    )

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.contact_choice.data == SHARE:
            valid = self._validate_contact() and valid
        return valid

    def _validate_contact(self) -> bool:
        missing = (
            "Please add an email address or a phone number, "
            "or choose \u201cStay anonymous\u201d above."
        )
        return add_errors(contact_problems(self.contact_email, self.contact_phone, missing))

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
