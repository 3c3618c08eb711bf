"""``[related]`` in the rules file: defaults, the shipped settings, and clear errors."""

from __future__ import annotations

import tomllib

import pytest

from tests.triage.conftest import RULES_PATH
from triage.rules import RelatedRules, RulesError, parse_rules


def with_related(related: object | None) -> dict:
    data = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
    data.pop("related", None)
    if related is not None:
        data["related"] = related
    return data


def test_the_shipped_file_raises_three_reports_to_p2() -> None:
    related = parse_rules(with_related(None) | {"related": {}}).related
    assert related == RelatedRules()
    shipped = parse_rules(tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))).related
    assert (shipped.min_reports, shipped.raise_to) == (3, "P2")


def test_a_file_without_related_gets_the_defaults() -> None:
    assert parse_rules(with_related(None)).related == RelatedRules()


def test_settings_are_read() -> None:
    related = parse_rules(
        with_related({"min_reports": 4, "raise_to": "P1", "near_duplicate": 0.8, "max_links": 5})
    ).related
    assert (related.min_reports, related.raise_to, related.near_duplicate) == (4, "P1", 0.8)
    assert related.max_links == 5


@pytest.mark.parametrize(
    ("related", "message"),
    [
        ({"min_reports": 1}, "min_reports must be at least 2"),
        ({"min_reports": "3"}, "min_reports must be a whole number"),
        ({"raise_to": "P0"}, "tier must be one of P1, P2, P3, P4"),
        ({"near_duplicate": 0}, "near_duplicate must be a number between 0 and 1"),
        ({"near_duplicate": 1.5}, "near_duplicate must be a number between 0 and 1"),
        ({"max_links": 0}, "max_links must be a whole number of at least 1"),
        ({"threshold": 3}, "unknown key 'threshold'"),
        ("yes", "[related] must be a table"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(related: object, message: str) -> None:
    with pytest.raises(RulesError) as error:
        parse_rules(with_related(related))
    assert message in str(error.value)
    assert "[related]" in str(error.value)
