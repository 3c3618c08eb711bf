"""The referral form for schools, employers and agencies: the fields of ``tipline.referral/1``.

Field names follow the schema: ``filer_name``, ``filer_role``, ``filer_organization`` (the
organization picker's text), ``filer_email``, ``filer_phone``, then the referral's own fields,
``behaviors`` being a checklist (several values). As on the report form, every message says what
to do next to its field, and the form comes back with everything typed.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.form_helpers import (
    PICK_CATEGORY,
    EachOneOf,
    OneOf,
    add_errors,
    at_most,
    choices,
    contact_problems,
    strip,
)
from portal.place_fields import PlaceTimeSafetyForm
from tipline.referral_schema import BEHAVIORS, REFERRAL_LIMITS, RELATIONS, URGENCY
from tipline.report_schema import CATEGORIES

# One line under each checklist item: what it looks like in practice.
BEHAVIOR_HINTS: dict[str, str] = {
    "threats_communicated": "Said, wrote or posted that they would hurt someone, even as a joke.",
    "leakage": "Told others, or posted, that something will happen or that they have a plan.",
    "weapons_interest": "Talks about, searches for or tries to get weapons beyond hobby or work.",
    "attacker_interest": "Admires, studies or copies people who carried out attacks.",
    "planning": "Lists, maps, schedules, buying equipment, rehearsing, a chosen date or target.",
    "fixation": "Keeps coming back to one person, group or cause; it takes over their life.",
    "grievance": "Feels wronged, blames someone, talks about getting even.",
    "suicidal_statements": "Talks about dying, having nothing to lose, or no other way out.",
    "recent_stressors": "A loss, discipline, failure, a breakup, money or legal trouble.",
    "sudden_changes": "Withdrawn, angry or no longer caring; a change in how they act or look.",
    "violence_aggression": "Fights, hurting animals, or aggression that is new for them.",
    "weapons_access": "Owns weapons, or can get them at home, at work or from someone.",
}
assert set(BEHAVIOR_HINTS) == set(BEHAVIORS)

_PICK_FROM_LIST = "Please choose only from the list shown."
_URGENCY_ORDER = ("emergency", "today", "this_week", "routine")


def _limit(name: str) -> Length:
    return at_most(REFERRAL_LIMITS[name])


class ReferralForm(PlaceTimeSafetyForm):
    # --- the filer -----------------------------------------------------------------------
    filer_name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Please give your name."), _limit("filer_name")],
    )
    filer_role = StringField(
        "Your role or job title",
        filters=[strip],
        validators=[
            DataRequired("Please give your role, for example \u201cschool counselor\u201d."),
            _limit("filer_role"),
        ],
    )
    filer_organization = StringField(
        "Your school, workplace or organization",
        filters=[strip],
        validators=[_limit("filer_organization")],
    )
    filer_email = StringField(
        "Email address", filters=[strip], validators=[_limit("contact_email")]
    )
    filer_phone = StringField("Phone number", filters=[strip], validators=[_limit("contact_phone")])

    # --- the person of concern and what happened ---------------------------------------
    relation = RadioField(
        "How do you know the person of concern?",
        choices=choices(RELATIONS),
        validate_choice=False,
        validators=[OneOf(RELATIONS, "Please choose the closest one, or \u201cOther\u201d.")],
    )
    relation_detail = StringField(
        "Anything to add about how you know them?",
        filters=[strip],
        validators=[_limit("relation_detail")],
    )
    subject = StringField(
        "Who is the person of concern?", filters=[strip], validators=[_limit("subject")]
    )
    what_happened = TextAreaField(
        "What happened, or what are you worried about?",
        filters=[strip],
        validators=[
            DataRequired("Please describe what happened."),
            _limit("what_happened"),
        ],
    )
    category = RadioField(
        "Which of these is closest?",
        choices=choices(CATEGORIES),
        validate_choice=False,
        validators=[OneOf(CATEGORIES, PICK_CATEGORY)],
    )
    behaviors = SelectMultipleField(
        "Which of these have you or others seen?",
        choices=choices(BEHAVIORS),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[EachOneOf(BEHAVIORS, _PICK_FROM_LIST)],
    )
    actions_taken = TextAreaField(
        "What has been done so far?",
        filters=[strip],
        validators=[_limit("actions_taken")],
    )

    # --- urgency, safety, place and time -------------------------------------------------
    urgency = RadioField(
        "How urgent is this?",
        choices=choices(URGENCY, _URGENCY_ORDER),
        validate_choice=False,
        validators=[OneOf(URGENCY, "Please choose how urgent this is.")],
    )

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        valid = super().validate(extra_validators)
        missing = "Please add an email address or a phone number, so the team can reach you."
        return add_errors(contact_problems(self.filer_email, self.filer_phone, missing)) and valid

    # --- the document sections this form fills -------------------------------------------

    def filer_section(self, organization: dict[str, str] | None) -> dict[str, str]:
        """``organization`` is the picker resolved against the directory ({"id"} or {"name"})."""
        filer = {"name": self.filer_name.data, "role": self.filer_role.data}
        if organization and "id" in organization:
            filer["organization_id"] = organization["id"]
        elif organization:
            filer["organization_name"] = organization["name"]
        if self.filer_email.data:
            filer["email"] = self.filer_email.data
        if self.filer_phone.data:
            filer["phone"] = self.filer_phone.data
        return filer

    def referral_section(self) -> dict[str, Any]:
        return {
            "what_happened": self.what_happened.data,
            "category": self.category.data,
            "subject": self.subject.data or "",
            "relation": self.relation.data,
            "relation_detail": self.relation_detail.data or "",
            "behaviors": list(self.behaviors.data or []),
            "actions_taken": self.actions_taken.data or "",
            "urgency": self.urgency.data,
            "location_type": self.location_type.data or "",
            "location": self.location.data or "",
            "when": self.when.data or "",
            "danger_now": self.danger_now.data,
            "weapons_access": self.weapons_access.data,
        }

    def says_call_911(self) -> bool:
        return self.urgency.data == "emergency" or self.danger_now.data == "yes"
