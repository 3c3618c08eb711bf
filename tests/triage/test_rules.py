"""Scoring: each default rule, the tier it sets, the due time, and rules-file errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.conftest import RULES_PATH
from tipline.settings import load_settings
from triage.rules import RulesError, load_rules, score

RECEIVED = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


def scored(rules, **report):
    fields = {
        "what_happened": "Someone keeps leaving rude notes in the break room.",
        "category": "other",
        "danger_now": "no",
        "weapons_access": "no",
    } | report
    return score({"report": fields}, rules, RECEIVED)


def rule_ids(result) -> list[str]:
    return [reason["rule"] for reason in result.reasons]


@pytest.mark.parametrize(
    ("report", "tier", "rule"),
    [
        ({"danger_now": "yes"}, "P1", "danger-now"),
        (
            {"weapons_access": "yes", "category": "threat_of_violence"},
            "P1",
            "weapons-with-threat",
        ),
        (
            {"weapons_access": "yes", "what_happened": "He said he would SHOOT them all."},
            "P1",
            "weapons-with-threat",
        ),
        (
            {
                "weapons_access": "yes",
                "what_happened": "He keeps talking about the thing.",
                "when": "Next Friday",
            },
            "P1",
            "weapons-with-time-frame",
        ),
        ({"category": "self_harm", "danger_now": "yes"}, "P1", "self-harm-urgent"),
        (
            {"what_happened": "She says she wants to end it all tonight."},
            "P1",
            "self-harm-urgent",
        ),
        ({"category": "self_harm"}, "P2", "self-harm"),
        ({"what_happened": "He posted that he is suicidal."}, "P2", "self-harm"),
        ({"weapons_access": "yes"}, "P2", "weapons-access"),
        ({"category": "threat_of_violence"}, "P2", "threat-of-violence"),
        ({"category": "weapons"}, "P2", "weapons"),
        ({"what_happened": "He brought a knife in his bag."}, "P2", "weapons"),
        (
            {"what_happened": "He said he will stab him", "when": "tomorrow"},
            "P2",
            "threat-with-time-frame",
        ),
        ({"what_happened": "Something is planned for the assembly."}, "P3", "time-frame"),
        ({"what_happened": "They are meeting on   Monday about it."}, "P3", "time-frame"),
        ({"subject": "A boy in 9th grade"}, "P3", "named-person"),
        ({"location": "Lincoln High School"}, "P3", "named-place"),
        ({"category": "bullying"}, "P3", "bullying-or-online-posts"),
        ({"category": "online_posts"}, "P3", "bullying-or-online-posts"),
    ],
)
def test_each_rule_sets_its_tier(rules, report, tier, rule) -> None:
    result = scored(rules, **report)
    assert result.tier == tier
    assert rule in rule_ids(result)


def test_nothing_matched_is_routine_with_its_reason(rules) -> None:
    result = scored(rules)
    assert result.tier == "P4"
    assert result.reasons == [
        {"rule": "default", "text": "No risk indicator matched; routine review", "tier": "P4"}
    ]


def test_keywords_match_whole_words_only(rules) -> None:
    # "skilled" must not match "kill", nor "plays Mondays" match "on monday".
    result = scored(rules, what_happened="A very skilled pianist plays Mondays.")
    assert result.tier == "P4"


def test_blank_text_is_not_a_named_target(rules) -> None:
    assert scored(rules, subject="   ", location="").tier == "P4"


def test_tier_is_the_most_urgent_and_every_match_is_listed(rules) -> None:
    result = scored(
        rules,
        category="threat_of_violence",
        weapons_access="yes",
        subject="A student",
        what_happened="He said he would bring a gun on Friday.",
    )
    assert result.tier == "P1"
    assert {
        "weapons-with-threat",
        "weapons-with-time-frame",
        "weapons-access",
        "threat-of-violence",
        "weapons",
        "threat-with-time-frame",
        "time-frame",
        "named-person",
    } <= set(rule_ids(result))
    tiers = [reason["tier"] for reason in result.reasons]
    assert tiers == sorted(tiers)  # most urgent reasons first
    assert all(reason["text"] for reason in result.reasons)
    # Reasons explain with the rule's words, never with the report's.
    assert not any("gun" in reason["text"] for reason in result.reasons)


@pytest.mark.parametrize(
    ("tier", "report", "due"),
    [
        ("P1", {"danger_now": "yes"}, timedelta(minutes=15)),
        ("P2", {"weapons_access": "yes"}, timedelta(hours=4)),
        ("P3", {"category": "bullying"}, timedelta(days=2)),
        ("P4", {}, timedelta(days=7)),
    ],
)
def test_due_time_follows_the_tier(rules, tier, report, due) -> None:
    result = scored(rules, **report)
    assert result.tier == tier
    assert result.due_at == RECEIVED + due
    assert rules.tiers[tier].due == due


def test_tier_labels_come_from_the_file(rules) -> None:
    assert rules.tiers["P1"].label == "Life safety"


VALID_HEAD = """
[tiers.P1]
label = "Life safety"
due = "15 minutes"
[tiers.P2]
label = "Urgent"
due = "4 hours"
[tiers.P3]
label = "Priority"
due = "2 days"
[tiers.P4]
label = "Routine"
due = "7 days"
[default]
tier = "P4"
reason = "Nothing matched"
[keywords]
threat = ["kill"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_a_minimal_custom_file_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + """
[[rules]]
id = "school"
reason = "At a school"
tier = "P2"
conditions = [{ field = "location_type", equals = "school" }]
""",
    )
    rules = load_rules(path)
    assert scored(rules, location_type="school").tier == "P2"
    assert scored(rules, danger_now="yes").tier == "P4"  # only the file's rules count


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            'id = "x"\nreason = "r"\ntier = "P9"\nconditions = [{ field = "category", '
            'equals = "weapons" }]',
            "rule 'x': tier must be one of P1, P2, P3, P4",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ field = "colour", '
            'equals = "red" }]',
            "rule 'x', condition #1: unknown report field 'colour'",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ field = "danger_now", '
            'equals = "maybe" }]',
            "rule 'x', condition #1: 'maybe' is never a value of danger_now",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ keywords = "nope", '
            'in = ["what_happened"] }]',
            "rule 'x', condition #1: no keyword list named 'nope'",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ keywords = "threat", '
            'in = ["category"] }]',
            "rule 'x', condition #1: 'category' is not a free-text",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ field = "subject" }]',
            "rule 'x', condition #1: needs exactly one of",
        ),
        (
            'id = "x"\nreason = ""\ntier = "P1"\nconditions = [{ field = "subject", '
            "non_empty = true }]",
            "rule 'x': reason must be a non-empty text",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = []',
            "rule 'x': conditions must be a non-empty list",
        ),
        (
            'id = "x"\nreason = "r"\ntier = "P1"\nconditions = [{ field = "subject", '
            "non_empty = true }]\nweight = 3",
            "rule 'x': unknown key 'weight'",
        ),
        (
            'id = "Bad Id"\nreason = "r"\ntier = "P1"\nconditions = [{ field = "subject", '
            "non_empty = true }]",
            "rule #1: id must be lowercase",
        ),
    ],
)
def test_malformed_rule_names_the_rule_and_the_problem(tmp_path: Path, rule, message) -> None:
    path = write(tmp_path, VALID_HEAD + "\n[[rules]]\n" + rule + "\n")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    rule = (
        '[[rules]]\nid = "x"\nreason = "r"\ntier = "P1"\n'
        'conditions = [{ field = "subject", non_empty = true }]\n'
    )
    with pytest.raises(RulesError, match="rule 'x': the id is used twice"):
        load_rules(write(tmp_path, VALID_HEAD + rule + rule))


def test_bad_due_time_and_bad_toml_are_reported(tmp_path: Path) -> None:
    bad_due = VALID_HEAD.replace('due = "4 hours"', 'due = "soon"')
    with pytest.raises(RulesError, match=r"\[tiers.P2\]: due must look like"):
        load_rules(write(tmp_path, bad_due + "[[rules]]\n"))
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(write(tmp_path, "[[rules]\nid="))
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")


def test_the_shipped_file_is_the_default(tmp_path: Path) -> None:
    settings = load_settings({"TIPLINE_ENV": "test", "TIPLINE_DATA_DIR": str(tmp_path)})
    assert settings.rules_path == RULES_PATH
    assert load_rules(settings.rules_path).rules
