"""Scoring referrals: the behavior checklist and the urgency feed the rules; list conditions
(``includes`` / ``includes_any``) are checked when the rules file loads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.triage.conftest import referral_document
from tests.triage.test_rules import RECEIVED, VALID_HEAD, rule_ids, scored, write
from triage.rules import RulesError, load_rules, score


def referral(rules, **fields):
    return score(referral_document(str(uuid.uuid4()), **fields), rules, RECEIVED)


@pytest.mark.parametrize(
    ("fields", "tier", "rule"),
    [
        ({"urgency": "emergency"}, "P1", "referral-emergency"),
        ({"behaviors": ["planning", "weapons_access"]}, "P1", "planning-with-weapons"),
        ({"behaviors": ["planning"], "weapons_access": "yes"}, "P1", "planning-with-weapons"),
        ({"behaviors": ["leakage", "weapons_access"]}, "P1", "communicated-threat-with-weapons"),
        ({"behaviors": ["suicidal_statements", "weapons_access"]}, "P1", "suicidal-with-weapons"),
        ({"behaviors": ["threats_communicated"]}, "P2", "communicated-threat"),
        ({"behaviors": ["leakage"]}, "P2", "communicated-threat"),
        ({"behaviors": ["planning"]}, "P2", "planning"),
        ({"behaviors": ["suicidal_statements"]}, "P2", "suicidal-statements"),
        ({"behaviors": ["weapons_access"]}, "P2", "weapons-access"),
        ({"urgency": "today"}, "P2", "referral-today"),
        ({"behaviors": ["attacker_interest"]}, "P3", "attacker-or-weapons-interest"),
        ({"behaviors": ["weapons_interest"]}, "P3", "attacker-or-weapons-interest"),
        ({"behaviors": ["fixation"]}, "P3", "fixation"),
        ({"behaviors": ["grievance"]}, "P3", "grievance"),
        ({"behaviors": ["violence_aggression"]}, "P3", "violence-aggression"),
        ({"behaviors": ["recent_stressors", "sudden_changes"]}, "P3", "stressors-and-changes"),
        ({"urgency": "this_week"}, "P3", "referral-this-week"),
        ({"behaviors": ["recent_stressors"]}, "P4", "recent-stressors"),
        ({"behaviors": ["sudden_changes"]}, "P4", "sudden-changes"),
    ],
)
def test_checklist_and_urgency_set_the_tier(rules, fields, tier, rule) -> None:
    # A plain referral: category "other", nothing in the text that a keyword rule would catch.
    base = {"category": "other", "what_happened": "Please look into this student."}
    result = referral(rules, **(base | fields))
    assert result.tier == tier
    assert rule in rule_ids(result)


def test_the_checklist_changes_the_tier_of_the_same_referral(rules) -> None:
    base = {"category": "other", "what_happened": "Please look into this student."}
    assert referral(rules, **base).tier == "P4"
    assert referral(rules, **base, behaviors=["grievance"]).tier == "P3"
    assert referral(rules, **base, behaviors=["grievance", "leakage"]).tier == "P2"
    result = referral(rules, **base, behaviors=["grievance", "leakage", "weapons_access"])
    assert result.tier == "P1"
    # Every indicator stays visible as a reason, most urgent first.
    assert rule_ids(result)[:1] == ["communicated-threat-with-weapons"]
    assert {"grievance", "communicated-threat", "weapons-access"} <= set(rule_ids(result))


def test_report_rules_read_referral_fields_too(rules) -> None:
    result = referral(rules, category="other", what_happened="He said he will shoot them.")
    assert "threat-of-violence" in rule_ids(result)


def test_reports_score_as_before(rules) -> None:
    # Reports have no checklist or urgency: the referral rules never match them.
    assert rule_ids(scored(rules)) == ["default"]
    assert scored(rules, weapons_access="yes").tier == "P2"


def test_list_conditions_in_a_custom_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + """
[[rules]]
id = "pathway"
reason = "Planning and fixation"
tier = "P1"
conditions = [
    { field = "behaviors", includes = "planning" },
    { field = "behaviors", includes_any = ["fixation", "grievance"] },
]
""",
    )
    rules = load_rules(path)
    assert referral(rules, behaviors=["planning", "grievance"]).tier == "P1"
    assert referral(rules, behaviors=["planning"]).tier == "P4"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ('{ field = "category", includes = "weapons" }', "works on list fields only"),
        ('{ field = "behaviors", includes = "astrology" }', "'astrology' is never an entry"),
        ('{ field = "behaviors", includes_any = [] }', "includes_any needs text value(s)"),
        ('{ field = "behaviors", equals = "planning" }', "is a list; test it with includes"),
        ('{ field = "urgency", equals = "soonish" }', "'soonish' is never a value of urgency"),
    ],
)
def test_malformed_list_conditions_are_refused(tmp_path: Path, condition, message) -> None:
    rule = f'\n[[rules]]\nid = "x"\nreason = "r"\ntier = "P1"\nconditions = [{condition}]\n'
    with pytest.raises(RulesError, match="rule 'x', condition #1") as caught:
        load_rules(write(tmp_path, VALID_HEAD + rule))
    assert message in str(caught.value)
