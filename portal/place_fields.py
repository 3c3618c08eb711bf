"""The questions the report form and the referral form share: where, when, and safety now."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField

from portal.form_helpers import PICK_ONE, YES_NO_ORDER, OneOf, at_most, choices, strip
from tipline.report_schema import LIMITS, LOCATION_TYPES, YES_NO_UNSURE


class PlaceTimeSafetyForm(FlaskForm):
    """Base class: WTForms forms inherit their parents' fields."""

    location_type = SelectField(
        "Where is this happening?",
        choices=choices(LOCATION_TYPES),
        default="",
        validate_choice=False,
        validators=[OneOf(LOCATION_TYPES, PICK_ONE)],
    )
    location = StringField(
        "Name of the place, if you know it",
        filters=[strip],
        validators=[at_most(LIMITS["location"])],
    )
    when = StringField(
        "When did it happen, or when might it happen?",
        filters=[strip],
        validators=[at_most(LIMITS["when"])],
    )
    danger_now = RadioField(
        "Is someone in danger right now?",
        choices=choices(YES_NO_UNSURE, YES_NO_ORDER),
        default="unsure",
        validate_choice=False,
        validators=[OneOf(YES_NO_UNSURE, PICK_ONE)],
    )
    weapons_access = RadioField(
        "Does the person have access to weapons?",
        choices=choices(YES_NO_UNSURE, YES_NO_ORDER),
        default="unsure",
        validate_choice=False,
        validators=[OneOf(YES_NO_UNSURE, PICK_ONE)],
    )
