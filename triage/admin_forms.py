"""Forms of the admin screens and of moving an item (CSRF tokens come from flask-wtf).

Choices that come from the database (units, organizations) are filled in by the views. The
forms check shape only; ``triage.directory_admin`` checks meaning and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from tipline.directory import ORGANIZATION_KINDS
from triage.models import CONTACT_CHANNELS, ROUTE_KINDS

MOVE_REASON_LIMIT = 300

try:  # WTForms 3.3 wants SelectChoice objects and deprecates (value, label) tuples.
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def options(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Choices for a ``SelectField`` from ``(value, label)`` pairs."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DirectionForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class OrganizationForm(FlaskForm):
    slug = StringField(
        "Id (letters, digits and dashes; used in links and files)",
        validators=[DataRequired(), Length(max=63)],
        filters=[_strip],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    kind = SelectField("Kind", choices=options(ORGANIZATION_KINDS.items()))
    parent = SelectField("Part of", choices=options([("", "(none)")]), validate_choice=False)


class OrganizationEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    kind = SelectField("Kind", choices=options(ORGANIZATION_KINDS.items()))
    parent = SelectField("Part of", choices=options([("", "(none)")]), validate_choice=False)
    active = BooleanField("Active (listed on the portal; its referral links work)")


class UnitForm(FlaskForm):
    slug = StringField(
        "Id (letters, digits and dashes)",
        validators=[DataRequired(), Length(max=40)],
        filters=[_strip],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_strip])


PURPOSE_LABELS = {
    "on_call": "On call (paged for life-safety reports, in list order)",
    "supervisor": "Supervisor (told when nobody answers a page, and when an item is past due)",
}


class PurposeForm(FlaskForm):
    purpose = SelectField("Purpose", choices=options(PURPOSE_LABELS.items()))


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_strip])
    channel = SelectField("Channel", choices=options((c, c.capitalize()) for c in CONTACT_CHANNELS))
    address = StringField(
        "Address (email, https:// web address, or phone number)",
        validators=[DataRequired(), Length(max=300)],
        filters=[_strip],
    )
    purpose = SelectField("Purpose", choices=options(PURPOSE_LABELS.items()), default="on_call")


class OfficerUnitForm(FlaskForm):
    unit = SelectField("Unit", choices=[], validate_choice=False)


class RouteForm(FlaskForm):
    kind = SelectField("Kind", choices=options((k, k.capitalize()) for k in ROUTE_KINDS))
    match = StringField("Match", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    unit = SelectField("Send to unit", choices=[], validate_choice=False)
    position = IntegerField(
        "Position (empty: last)", validators=[Optional(), NumberRange(min=1, max=10000)]
    )


class MoveItemForm(FlaskForm):
    unit = SelectField("Move to unit", choices=[], validate_choice=False)
    reason = TextAreaField(
        "Why (kept in the audit trail and shown with the item)",
        validators=[
            InputRequired("Say why the item moves."),
            DataRequired("Say why the item moves."),
            Length(max=MOVE_REASON_LIMIT),
        ],
        filters=[_strip],
        render_kw={"rows": 2, "maxlength": MOVE_REASON_LIMIT},
    )
