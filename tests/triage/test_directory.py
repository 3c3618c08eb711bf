"""Directory services: clear refusals, referral links (hashes only), the TOML file (round trip,
idempotency, templates, errors that name the entry) and publishing to the portal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.triage.helpers import redis_dump, table_dump
from tipline import directory
from tipline.db import transaction
from tipline.queue_contract import PORTAL_QUEUE, STORE_DIRECTORY, queue
from triage import directory_admin as admin
from triage.directory_admin import DirectoryError
from triage.directory_file import export_config, import_config
from triage.models import Officer, ReferralToken, Unit
from triage.officers import add_officer
from triage.publishing import build_directory, publish_directory

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: admin.add_organization(s, "Bad Id", "X", "school"), "organization id 'Bad Id'"),
        (lambda s: admin.add_organization(s, "x", "X", "church"), "kind must be one of"),
        (lambda s: admin.add_organization(s, "x", "X", "school", "nope"), "no organization 'nope'"),
        (lambda s: admin.add_organization(s, "acme", "Again", "employer"), "already exists"),
        (lambda s: admin.add_organization(s, "x", "  ", "school"), "name is 1-200 characters"),
        (lambda s: admin.issue_referral_token(s, "nope"), "no organization 'nope'"),
        (lambda s: admin.add_unit(s, "work", "Again"), "a unit 'work' already exists"),
        (lambda s: admin.add_unit(s, "No!", "X"), "unit id 'No!'"),
        (lambda s: admin.add_unit_contact(s, "nope", "A", "email", "a@b.example"), "no unit"),
        (lambda s: admin.add_unit_contact(s, "work", "A", "fax", "1"), "channel must be one of"),
        (lambda s: admin.add_unit_contact(s, "work", "A", "email", "nobody"), "not an email"),
        (lambda s: admin.add_unit_contact(s, "work", "A", "phone", "call me"), "not a phone"),
        (lambda s: admin.add_unit_contact(s, "work", "A", "webhook", "ftp://x"), "web address"),
        (lambda s: admin.add_route(s, "weather", "rain", "work"), "route kind must be one of"),
        (lambda s: admin.add_route(s, "organization", "nope", "work"), "no organization 'nope'"),
        (lambda s: admin.add_route(s, "category", "gossip", "work"), "category must be one of"),
        (lambda s: admin.add_route(s, "place", " , ", "work"), "location type or words"),
        (lambda s: admin.add_route(s, "category", "weapons", "nope"), "no unit 'nope'"),
        (lambda s: admin.add_route(s, "category", "weapons", "work", 0), "position must be"),
        (lambda s: admin.move_officer(s, "nobody", "work"), "no officer 'nobody'"),
        (lambda s: admin.move_route(s, 999, "up"), "no routing rule #999"),
    ],
)
def test_refusals_say_what_is_wrong(sessions, change, message) -> None:
    with transaction(sessions) as session:
        admin.add_unit(session, "work", "Workplace team")
        admin.add_organization(session, "acme", "Acme Corp", "employer")
    with sessions() as session, pytest.raises(DirectoryError) as caught:
        change(session)
    assert message in str(caught.value)


def test_referral_links_keep_only_hashes_and_revoke(sessions, triage_db_url) -> None:
    with transaction(sessions) as session:
        admin.add_organization(session, "acme", "Acme Corp", "employer")
        first = admin.issue_referral_token(session, "acme")
        second = admin.issue_referral_token(session, "acme")
    assert first != second and len(first) >= 32
    dump = b"\n".join(table_dump(triage_db_url))
    assert first.encode() not in dump and second.encode() not in dump
    assert directory.token_hash(first).encode() in dump
    with transaction(sessions) as session:
        links = admin.referral_links(session, "acme")
        assert admin.revoke_referral_tokens(session, "acme", links[0].id) == 1
        assert admin.live_link_counts(session) == {"acme": 1}
        assert admin.revoke_referral_tokens(session, "acme") == 1
        assert admin.revoke_referral_tokens(session, "acme") == 0


def test_units_default_contacts_and_officers(sessions) -> None:
    with transaction(sessions) as session:
        add_officer(session, "sam", "correct horse battery staple", "officer", memory_kib=64)
        admin.add_unit(session, "north", "North team")
        admin.set_default_unit(session, "north")
        a = admin.add_unit_contact(session, "north", "Duty", "phone", "+1 555 0100")
        b = admin.add_unit_contact(session, "north", "Inbox", "email", "n@team.example")
        admin.move_unit_contact(session, "north", b.id, "up")
        admin.move_officer(session, "SAM", "north")
    with transaction(sessions) as session:
        units = session.scalars(select(Unit).where(Unit.is_default.is_(True))).all()
        assert [u.slug for u in units] == ["north"]  # exactly one default
        north = admin.get_unit(session, "north")
        assert [(c.name, c.position) for c in north.contacts] == [("Inbox", 1), ("Duty", 2)]
        admin.remove_unit_contact(session, "north", b.id)
        assert session.scalars(select(Officer.unit_id)).one() == north.id
    with sessions() as session:
        assert [(c.id, c.position) for c in admin.get_unit(session, "north").contacts] == [
            (a.id, 1)
        ]


def setup_directory(session) -> None:
    admin.add_unit(session, "county", "County BTAU")
    admin.set_default_unit(session, "county")
    admin.add_unit(session, "schools", "Schools team")
    admin.add_unit_contact(session, "schools", "On call", "phone", "+1 555 0100")
    admin.add_unit_contact(session, "schools", "Hook", "webhook", "https://hooks.example/x")
    admin.add_organization(session, "sd", "School District", "district")
    admin.add_organization(session, "lincoln", "Lincoln High", "school", "sd")
    admin.add_organization(session, "closed", "Closed School", "school")
    admin.update_organization(session, "closed", active=False)
    admin.add_route(session, "organization", "sd", "schools")
    rule = admin.add_route(session, "place", "Springfield, Shelbyville", "schools")
    admin.set_route_active(session, rule.id, False)
    admin.add_route(session, "category", "bullying", "schools")
    admin.issue_referral_token(session, "lincoln")


def test_export_import_round_trip_is_idempotent_and_never_holds_tokens(sessions) -> None:
    with transaction(sessions) as session:
        setup_directory(session)
        token = admin.issue_referral_token(session, "sd")
    with sessions() as session:
        exported = export_config(session)
    assert token not in exported and directory.token_hash(token) not in exported
    assert "token" not in exported.replace("Referral links are never in this file", "")

    # Re-importing what was exported changes nothing, and says so.
    with transaction(sessions) as session:
        summary = import_config(session, exported)
    assert summary == (
        "units: 0 added, 0 changed, 2 unchanged; organizations: 0 added, 0 changed,"
        " 3 unchanged; routes: 3 rule(s), unchanged"
    )
    with sessions() as session:
        assert export_config(session) == exported

    # Links are not part of the file: without them, the same file.
    with transaction(sessions) as session:
        for link in session.scalars(select(ReferralToken)):
            session.delete(link)
    with sessions() as session:
        assert export_config(session) == exported


def test_import_updates_by_id_and_replaces_routes(sessions) -> None:
    with transaction(sessions) as session:
        setup_directory(session)
    changed = """
[[units]]
id = "schools"
name = "County schools team"
contacts = [{ name = "On call", channel = "phone", address = "+1 555 0199" }]

[[units]]
id = "work"
name = "Workplace team"
default = true

[[organizations]]
id = "lincoln"
name = "Lincoln High School"
kind = "school"

[[routes]]
kind = "category"
match = "weapons"
unit = "work"
"""
    with transaction(sessions) as session:
        summary = import_config(session, changed)
    assert summary == (
        "units: 1 added, 1 changed, 0 unchanged; organizations: 0 added, 1 changed,"
        " 0 unchanged; routes: 1 rule(s), replaced"
    )
    with transaction(sessions) as session:
        lincoln = admin.get_organization(session, "lincoln")
        assert (lincoln.name, lincoln.parent_id) == ("Lincoln High School", None)
        assert admin.get_organization(session, "sd").name == "School District"  # left alone
        assert [(r.kind, r.match, r.unit.slug) for r in admin.list_routes(session)] == [
            ("category", "weapons", "work")
        ]
        assert [c.address for c in admin.get_unit(session, "schools").contacts] == ["+1 555 0199"]
        assert [u.slug for u in admin.list_units(session) if u.is_default] == ["work"]
        assert import_config(session, changed).endswith("routes: 1 rule(s), unchanged")


@pytest.mark.parametrize("name", ["county", "state"])
def test_templates_import_and_route(sessions, name) -> None:
    text = (TEMPLATES / f"{name}.toml").read_text()
    with transaction(sessions) as session:
        summary = import_config(session, text)
    assert "routes: " in summary and "replaced" in summary
    with transaction(sessions) as session:
        assert import_config(session, text).endswith("unchanged")
        units = admin.list_units(session)
        assert len(units) >= 2 and sum(u.is_default for u in units) == 1
        assert all(u.contacts for u in units)
        organizations = admin.list_organizations(session)
        assert any(o.parent_id for o in organizations)  # schools under districts
        assert {r.kind for r in admin.list_routes(session)} >= {"organization", "place"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[organizations]]\nid = 'x'\nname = 'X'\nkind = 'school'\nparent = 'nope'\n",
            "organizations[1] (x): no organization 'nope'",
        ),
        (
            "[[organizations]]\nid = 'a'\nname = 'A'\nkind = 'school'\n"
            "[[organizations]]\nid = 'b'\nname = 'B'\nkind = 'castle'\n",
            "organizations[2] (b): organization kind must be one of",
        ),
        (
            "[[units]]\nid = 'u'\nname = 'U'\ncontacts = [{ name = 'A', channel = 'email',"
            " address = 'nope' }]\n",
            "units[1] (u): contact #1: 'nope' is not an email",
        ),
        ("[[units]]\nid = 'u'\nnam = 'U'\n", "units[1] (u): unknown key 'nam'"),
        (
            "[[routes]]\nkind = 'category'\nmatch = 'weapons'\nunit = 'ghost'\n",
            "routes[1] (weapons): no unit 'ghost'",
        ),
        (
            "[[units]]\nid = 'a'\nname = 'A'\ndefault = true\n"
            "[[units]]\nid = 'b'\nname = 'B'\ndefault = true\n",
            "units[2] (b): only one unit can be the default",
        ),
        ("[[tokens]]\nid = 'x'\n", "unknown section 'tokens'"),
        ("units = 3\n", "units must be a list of tables"),
        ("[[units]\n", "not valid TOML"),
    ],
)
def test_a_malformed_file_names_the_entry_and_changes_nothing(sessions, text, message) -> None:
    with sessions() as session:
        before = export_config(session)
    with pytest.raises(DirectoryError) as caught, transaction(sessions) as session:
        import_config(session, text)
    assert message in str(caught.value)
    with sessions() as session:
        assert export_config(session) == before


def test_publish_directory_sends_public_fields_and_token_hashes_only(sessions, redis_conn) -> None:
    with transaction(sessions) as session:
        setup_directory(session)
        token = admin.issue_referral_token(session, "sd")
        revoked = admin.issue_referral_token(session, "sd")
        link = admin.referral_links(session, "sd")[0]
        admin.revoke_referral_tokens(session, "sd", link.id)
    with sessions() as session:
        first = publish_directory(session, redis_conn)
        second = publish_directory(session, redis_conn)
    assert second > first  # the portal keeps the newest
    jobs = queue(PORTAL_QUEUE, redis_conn).get_jobs()
    assert [job.func_name for job in jobs] == [STORE_DIRECTORY, STORE_DIRECTORY]
    document = directory.decode(jobs[-1].args[0])
    assert document["version"] == second
    by_id = {org["id"]: org for org in document["organizations"]}
    assert set(by_id) == {"sd", "lincoln"}  # the inactive one is not published
    assert by_id["lincoln"]["parent"] == "sd"
    assert by_id["lincoln"]["name"] == "Lincoln High"
    assert by_id["sd"]["token_hashes"] == [directory.token_hash(token)]
    assert len(by_id["lincoln"]["token_hashes"]) == 1
    everything = b"\n".join(redis_dump(redis_conn))
    assert token.encode() not in everything and revoked.encode() not in everything
    assert directory.token_hash(revoked).encode() not in everything


def test_an_empty_directory_is_valid(sessions) -> None:
    with sessions() as session:
        document = build_directory(session, version=7)
    assert document == {"schema": "tipline.directory/1", "version": 7, "organizations": []}
