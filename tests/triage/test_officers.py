"""Officer accounts: Argon2id hashes, clear errors, password checks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.triage.helpers import PASSWORD
from tipline.db import transaction
from triage.models import DEFAULT_UNIT_SLUG, Officer
from triage.officers import (
    DuplicateUsername,
    InvalidRole,
    InvalidUsername,
    OfficerError,
    WeakPassword,
    add_officer,
    authenticate,
)
from triage.passwords import hash_password, verify_password


def test_new_officer_gets_an_argon2id_hash_and_the_default_unit(sessions) -> None:
    with transaction(sessions) as session:
        officer = add_officer(session, "  Bob.Smith ", PASSWORD, "supervisor", memory_kib=64)
    with sessions() as session:
        stored = session.scalars(select(Officer)).one()
        assert stored.id == officer.id
        assert stored.username == "bob.smith"
        assert stored.role == "supervisor" and stored.active
        assert stored.unit.slug == DEFAULT_UNIT_SLUG
        assert stored.password_hash.startswith("$argon2id$v=19$m=64,")
        assert PASSWORD not in stored.password_hash
        assert stored.created_at.tzinfo is not None and stored.last_login_at is None


def test_hashes_are_salted() -> None:
    first, second = hash_password(PASSWORD, 64), hash_password(PASSWORD, 64)
    assert first != second
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "not a phc string")


@pytest.mark.parametrize(
    ("username", "password", "role", "error", "message"),
    [
        ("carol", PASSWORD, "chief", InvalidRole, "role must be one of officer, supervisor"),
        ("carol", "short pass", "officer", WeakPassword, "at least 12 characters"),
        ("c", PASSWORD, "officer", InvalidUsername, "username must be 2-80 characters"),
        ("carol smith", PASSWORD, "officer", InvalidUsername, "username must be"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    sessions, username, password, role, error, message
) -> None:
    with transaction(sessions) as session, pytest.raises(error, match=message) as caught:
        add_officer(session, username, password, role, memory_kib=64)
    assert isinstance(caught.value, OfficerError) and isinstance(caught.value, ValueError)


def test_duplicate_username_is_refused(sessions) -> None:
    with transaction(sessions) as session:
        add_officer(session, "dave", PASSWORD, "officer", memory_kib=64)
    with transaction(sessions) as session, pytest.raises(DuplicateUsername, match="'dave'"):
        add_officer(session, "DAVE", PASSWORD, "admin", memory_kib=64)


def test_authenticate(sessions) -> None:
    with transaction(sessions) as session:
        add_officer(session, "erin", PASSWORD, "officer", memory_kib=64)
        inactive = add_officer(session, "frank", PASSWORD, "officer", memory_kib=64)
        inactive.active = False
    with transaction(sessions) as session:
        officer = authenticate(session, "Erin", PASSWORD, memory_kib=64)
        assert officer is not None and officer.last_login_at is not None
        assert authenticate(session, "erin", "wrong password!", memory_kib=64) is None
        assert authenticate(session, "nobody", PASSWORD, memory_kib=64) is None
        assert authenticate(session, "frank", PASSWORD, memory_kib=64) is None
