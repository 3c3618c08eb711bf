"""Officer accounts: creation with clear errors, and password login."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.models import ROLES, Officer, default_unit, utcnow
from triage.passwords import DEFAULT_MEMORY_KIB, burn_verification, hash_password, verify_password

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class OfficerError(ValueError):
    """An officer account cannot be created as asked; the message says why."""


class DuplicateUsername(OfficerError):
    pass


class InvalidRole(OfficerError):
    pass


class InvalidUsername(OfficerError):
    pass


class WeakPassword(OfficerError):
    pass


def normalise_username(username: str) -> str:
    return username.strip().lower()


def add_officer(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    memory_kib: int = DEFAULT_MEMORY_KIB,
) -> Officer:
    """Create an active officer in the default unit (created if absent); flushes, no commit.

    ``memory_kib`` is the Argon2id memory cost (``settings.password_argon2_memory_kib``).
    """
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InvalidUsername(
            "username must be 2-80 characters: letters, digits, dot, dash or underscore"
        )
    if role not in ROLES:
        raise InvalidRole(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    if session.scalars(select(Officer.id).where(Officer.username == name)).first() is not None:
        raise DuplicateUsername(f"an officer named {name!r} already exists")
    officer = Officer(
        username=name,
        password_hash=hash_password(password, memory_kib),
        role=role,
        unit=default_unit(session),
        active=True,
    )
    session.add(officer)
    session.flush()
    return officer


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    memory_kib: int = DEFAULT_MEMORY_KIB,
    now: datetime | None = None,
) -> Officer | None:
    """The active officer with these credentials, or None. Records the login time.

    Unknown and inactive usernames cost the same Argon2id work as a wrong password.
    """
    officer = session.scalars(
        select(Officer).where(Officer.username == normalise_username(username))
    ).one_or_none()
    if officer is None or not officer.active or len(password) > MAX_PASSWORD_LENGTH:
        burn_verification(password[:MAX_PASSWORD_LENGTH], memory_kib)
        return None
    if not verify_password(password, officer.password_hash):
        return None
    officer.last_login_at = now or utcnow()
    return officer
