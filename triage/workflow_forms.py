"""Forms of the officer's working panel: claim, assign, record a disposition, reopen, set the
tier (CSRF tokens come from flask-wtf).

Each disposition has its own small form (prefixed with the disposition's name, so five of them
fit on one page), showing only the fields that disposition needs: the page works without
JavaScript. The forms check shape only; ``triage.dispositions`` checks meaning and says what
is missing, all at once.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields import BooleanField
from wtforms.validators import InputRequired, Optional

from triage.admin_forms import options
from triage.dispositions import (
    NO_ACTION_REASONS,
    NOTE_LIMIT,
    PARTNER_KINDS,
    PARTNER_NAME_LIMIT,
)
from triage.lifecycle import REOPEN_REASONS
from triage.models import TIERS
from triage.tier_override import OVERRIDE_REASONS

PICK = ("", "Choose...")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class AssignForm(FlaskForm):
    """A supervisor gives the item to an officer of the unit (choices filled by the view)."""

    assignee = SelectField("Assign to", validators=[InputRequired("Choose an officer.")])


class DispositionForm(FlaskForm):
    """Every field any disposition may need; the template shows a disposition's own only."""

    law_enforcement_notified = BooleanField("Law enforcement has been notified")
    notified_at = DateTimeLocalField(
        "When law enforcement was notified (UTC)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )
    partner_kind = SelectField(
        "Kind of partner", choices=options([PICK, *PARTNER_KINDS.items()]), validate_choice=False
    )
    partner_name = StringField(
        "Partner's name",
        filters=[_strip],
        render_kw={"maxlength": PARTNER_NAME_LIMIT, "autocomplete": "off"},
    )
    review_on = DateField("Review again on", validators=[Optional()])
    reason = SelectField(
        "Why no further action",
        choices=options([PICK, *NO_ACTION_REASONS.items()]),
        validate_choice=False,
    )
    note = TextAreaField(
        "Note",
        filters=[_strip],
        render_kw={"rows": 4, "maxlength": NOTE_LIMIT},
    )


class ReopenForm(FlaskForm):
    reopen_reason = SelectField(
        "Why reopen it", choices=options([PICK, *REOPEN_REASONS.items()]), validate_choice=False
    )


class TierForm(FlaskForm):
    new_tier = SelectField(
        "New tier", choices=options([PICK, *((t, t) for t in TIERS)]), validate_choice=False
    )
    tier_reason = SelectField(
        "Why", choices=options([PICK, *OVERRIDE_REASONS.items()]), validate_choice=False
    )
