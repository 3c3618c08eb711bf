"""Pieces the public forms share: filters, plain-language validators, choices, contact checks.

Every message says what to do, in words a worried teenager or a busy counselor understands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ().\-]+$")
PICK_ONE = "Please choose one of the options shown."
PICK_CATEGORY = "Please choose the closest one, or \u201cSomething else\u201d."
BAD_EMAIL = "This does not look like an email address (name@example.com)."
BAD_PHONE = "Please enter a phone number using digits, like 555 123 4567."


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def at_most(most: int) -> Length:
    return Length(max=most, message=f"Please shorten this to {most:,} characters or fewer.")


class OneOf:
    """The submitted value must be one of ``allowed`` (choices a browser could not have sent)."""

    def __init__(self, allowed: dict[str, str], message: str) -> None:
        self.allowed = allowed
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data not in self.allowed:
            raise ValidationError(self.message)


class EachOneOf(OneOf):
    """Every value of a multiple choice (checkboxes) must be one of ``allowed``."""

    def __call__(self, form: Form, field: Field) -> None:
        values = field.data or []
        if any(value not in self.allowed for value in values) or len(set(values)) != len(values):
            raise ValidationError(self.message)


def choices(options: dict[str, str], order: Iterable[str] = ()) -> list[SelectChoice]:
    first = list(order)
    values = [*first, *(value for value in options if value not in first)]
    return [SelectChoice(value, options[value]) for value in values]


YES_NO_ORDER = ("yes", "no", "unsure")


def contact_problems(
    email_field: Field, phone_field: Field, missing_message: str
) -> list[tuple[Field, str]]:
    """What is wrong with an email/phone pair of which at least one is needed."""
    email, phone = email_field.data or "", phone_field.data or ""
    problems: list[tuple[Field, str]] = []
    if not email and not phone:
        problems.append((email_field, missing_message))
    if email and not EMAIL.match(email):
        problems.append((email_field, BAD_EMAIL))
    digits = sum(ch.isdigit() for ch in phone)
    if phone and (not PHONE.match(phone) or not 7 <= digits <= 15):
        problems.append((phone_field, BAD_PHONE))
    return problems


def add_errors(problems: list[tuple[Field, str]]) -> bool:
    """Attach each message to its field; True when there was nothing to attach."""
    for problem_field, message in problems:
        problem_field.errors = [*problem_field.errors, message]
    return not problems
