"""The organization directory: delivered by triage's job, newest version kept, read by the forms."""

from __future__ import annotations

import json
import logging

import portal.jobs
import portal.worker
from portal.directory import Directory
from tests.portal.conftest import DIRECTORY, LINCOLN_TOKEN, directory_json
from tipline.directory import token_hash
from tipline.queue_contract import PORTAL_QUEUE, enqueue_directory, queue


def renamed(version: int, name: str) -> str:
    """The directory with Acme renamed, as a later (or earlier) version."""
    organizations = [
        org | {"name": name} if org["id"] == "acme-logistics" else org
        for org in DIRECTORY["organizations"]
    ]
    return directory_json(version, organizations=organizations)


def test_the_newest_version_wins_and_repeats_are_harmless(app, client, rows):
    assert portal.jobs.store_directory(renamed(5, "Acme Logistics")) == "stored"
    assert portal.jobs.store_directory(renamed(7, "Acme Freight")) == "stored"
    assert portal.jobs.store_directory(renamed(6, "Acme Old Name")) == "not-newer"  # late arrival
    assert portal.jobs.store_directory(renamed(7, "Acme Same Version")) == "not-newer"

    stored = rows.directory()
    assert stored.version == 7
    assert "Acme Freight" in stored.document
    page = client.get("/report").get_data(as_text=True)
    assert 'value="Acme Freight"' in page
    assert "Acme Old Name" not in page and "Acme Same Version" not in page

    # A newer version reaches the running app without a restart.
    assert portal.jobs.store_directory(renamed(8, "Acme Freight and Storage")) == "stored"
    assert 'value="Acme Freight and Storage"' in client.get("/report").get_data(as_text=True)


def test_a_malformed_directory_is_ignored_and_logged_without_content(app, rows, caplog):
    portal.jobs.store_directory(directory_json(5))
    bad_id = [{"id": "Not An Id!", "name": "Canary School 5521", "kind": "school"}]
    unknown_kind = [{"id": "x", "name": "Canary School 5521", "kind": "prison"}]
    malformed = [
        "{not json",
        json.dumps({"schema": "tipline.directory/1", "version": 9}),  # no organizations
        directory_json(9).replace('"version":9', '"version":"nine"'),
        json.dumps({"schema": "tipline.directory/1", "version": 9, "organizations": bad_id}),
        json.dumps({"schema": "tipline.directory/1", "version": 9, "organizations": unknown_kind}),
        ["not", "text"],
    ]
    with caplog.at_level(logging.INFO, logger="portal"):
        for document in malformed:
            assert portal.jobs.store_directory(document) == "malformed"  # type: ignore[arg-type]
    assert rows.directory().version == 5
    assert "ignored malformed directory" in caplog.text
    assert "Canary School 5521" not in caplog.text


def test_the_portal_worker_runs_the_directory_job(settings, rows, redis_conn):
    enqueue_directory(redis_conn, directory_json(3), 3)
    portal.worker.run(settings, burst=True)
    assert rows.directory().version == 3
    assert queue(PORTAL_QUEUE, redis_conn).count == 0


def test_without_a_directory_the_forms_still_work(client, rows):
    assert rows.directory() is None
    page = client.get("/report").get_data(as_text=True)
    assert 'name="organization"' in page and "<datalist" not in page
    assert client.get("/refer").status_code == 200


# --- the in-memory index (no database) ------------------------------------------------------


def test_names_match_exactly_ignoring_case_and_spacing():
    directory = Directory.from_document(DIRECTORY)
    assert directory.resolve("  lincoln   HIGH school ") == {"id": "lincoln-high"}
    assert directory.resolve("Lincoln High") == {"name": "Lincoln High"}  # not exact: kept
    assert directory.resolve("   ") is None
    assert directory.by_token(LINCOLN_TOKEN).id == "lincoln-high"
    assert directory.by_token(LINCOLN_TOKEN + "x") is None
    assert directory.by_token(None) is None


def test_two_organizations_with_one_name_get_distinct_labels():
    district_b = {"id": "shelby-district", "name": "Shelby County Schools", "kind": "district"}
    second_lincoln = {
        "id": "lincoln-high-shelby",
        "name": "Lincoln High School",
        "kind": "school",
        "parent": "shelby-district",
        "token_hashes": [token_hash("another-token")],
    }
    document = DIRECTORY | {
        "organizations": [*DIRECTORY["organizations"], district_b, second_lincoln]
    }
    directory = Directory.from_document(document)
    labels = {org.id: org.label for org in directory.organizations}
    assert labels["lincoln-high"] == "Lincoln High School (Springfield School District)"
    assert labels["lincoln-high-shelby"] == "Lincoln High School (Shelby County Schools)"
    assert directory.resolve("lincoln high school (shelby county schools)") == {
        "id": "lincoln-high-shelby"
    }
    # The bare name is ambiguous: kept as typed, for the team to sort out.
    assert directory.resolve("Lincoln High School") == {"name": "Lincoln High School"}
