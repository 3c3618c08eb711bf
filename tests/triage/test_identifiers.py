"""Normalization of identifiers: which spellings are one identifier, and which are not."""

from __future__ import annotations

import pytest

from tests.triage.conftest import referral_document, report_document
from triage.blind_index import digest
from triage.identifiers import (
    EMAIL,
    HANDLE,
    PERSON,
    PHONE,
    PLACE,
    REPORTER,
    Identifier,
    extract,
    find_in_text,
    normalize_email,
    normalize_handle,
    normalize_name,
    normalize_phone,
)

KEY = b"a test blind-index key"


@pytest.mark.parametrize(
    "spelling",
    [
        "Jonathan Q. Smith",
        "smith, jonathan",
        "SMITH, Jonathan Q.",
        "Jonathan  Smith",
        "Mr. Jonathan Smith Jr.",
        "Jonathan Smith (10th grade, Lincoln High)",
        "jonathan smith, 16",
    ],
)
def test_spellings_of_one_name_are_one_person(spelling: str) -> None:
    assert normalize_name(spelling) == "jonathan smith"


def test_accents_apostrophes_and_hyphens_are_folded() -> None:
    assert normalize_name("José Álvarez-Ruiz") == normalize_name("jose alvarez ruiz")
    assert normalize_name("Seán O'Brien") == normalize_name("Sean OBrien") == "obrien sean"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jon Smith", "Jonathan Smith"),  # nicknames are not matched
        ("Jonathan Smith", "Jonathan Smyth"),  # nor near spellings
        ("Jonathan Smith", "Jonathan Adam Smith"),  # a middle name (not an initial) counts
    ],
)
def test_different_names_stay_different(first: str, second: str) -> None:
    assert normalize_name(first) != normalize_name(second)


@pytest.mark.parametrize(
    "text", ["Jonathan", "the tall kid in 10B", "", "a b c d e f", "one two three four five"]
)
def test_what_is_not_a_name(text: str) -> None:
    assert normalize_name(text) is None


def test_two_plain_words_are_read_as_a_name() -> None:
    # Documented: they only ever match the same two words in another report's "Who".
    assert normalize_name("my neighbour") == "my neighbour"


@pytest.mark.parametrize(
    "text",
    [
        "@JonSmith99",
        "his account @jon_smith99.",
        "instagram.com/jon.smith99",
        "https://www.tiktok.com/@Jon.Smith99",
        "see x.com/JONSMITH99 for the posts",
    ],
)
def test_handles_match_without_at_case_dots_underscores_or_platform(text: str) -> None:
    assert find_in_text(text) == {Identifier(HANDLE, "jonsmith99")}


def test_an_email_is_not_a_handle_and_short_handles_are_ignored() -> None:
    assert find_in_text("write to jon@example.org") == {Identifier(EMAIL, "jon@example.org")}
    assert find_in_text("@jo said hi") == set()
    assert normalize_handle("@a_b") is None


@pytest.mark.parametrize(
    "text",
    ["(555) 013-4477", "555.013.4477", "+1 555 013 4477", "1-555-013-4477", "5550134477"],
)
def test_north_american_numbers_are_ten_digits(text: str) -> None:
    assert find_in_text(f"call {text} now") == {Identifier(PHONE, "5550134477")}


def test_international_numbers_need_a_plus_and_other_digit_runs_are_not_phones() -> None:
    assert find_in_text("+44 20 7946 0958") == {Identifier(PHONE, "442079460958")}
    assert find_in_text("0044 20 7946 0958") == {Identifier(PHONE, "442079460958")}
    for text in ("013-4477", "on 2030-01-06 at 10:30", "case 12345678", "7946 0958"):
        assert find_in_text(text) == set(), text
    assert normalize_phone("0555013447") is None  # NANP area codes never start with 0 or 1


def test_emails_fold_case_plus_tags_and_gmail_dots() -> None:
    assert normalize_email("Jon.Smith+school@GoogleMail.com") == "jonsmith@gmail.com"
    assert normalize_email("jon.smith+x@Example.org") == "jon.smith@example.org"
    assert normalize_email("jonsmith@example.org") != normalize_email("jon.smith@example.org")


def test_a_report_gives_every_kind_and_keeps_the_reporters_own_apart() -> None:
    document = report_document(
        "00000000-0000-4000-8000-000000000001",
        contact={"name": "Pat", "email": "pat@example.org", "phone": "555-013-9999"},
        subject="Smith, Jonathan @JonSmith99",
        what_happened="He texts from 555 013 4477. Call me back at 555-013-9999 or pat@example.org",
        location="Lincoln High School, gym",
    )
    assert extract(document) == {
        Identifier(PERSON, "jonathan smith"),
        Identifier(HANDLE, "jonsmith99"),
        Identifier(PHONE, "5550134477"),
        Identifier(PLACE, "lincoln high school gym"),
        Identifier(REPORTER, "email:pat@example.org"),
        Identifier(REPORTER, "phone:5550139999"),
    }


def test_a_referral_reads_its_subject_and_its_filer_is_the_reporter() -> None:
    document = referral_document(
        "00000000-0000-4000-8000-000000000002",
        subject="Jonathan Q. Smith",
        actions_taken="Parents called on 555.013.4477",
    )
    assert extract(document) == {
        Identifier(PERSON, "jonathan smith"),
        Identifier(PHONE, "5550134477"),
        Identifier(REPORTER, "email:ana@school.example"),
    }


def test_digests_are_keyed_and_separate_kinds() -> None:
    name = Identifier(PERSON, "jonathan smith")
    assert digest(KEY, name) == digest(KEY, Identifier(PERSON, "jonathan smith"))
    assert digest(KEY, name) != digest(b"another key", name)
    assert digest(KEY, Identifier(HANDLE, "abc")) != digest(KEY, Identifier(PLACE, "abc"))
    assert "jonathan" not in digest(KEY, name)
