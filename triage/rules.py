"""Explainable scoring: rules from a TOML file (``settings.rules_path``), not from code.

A rule holds when all its conditions hold; every rule that holds becomes a reason on the queue
item, and the tier is the most urgent among them. No rule -> the file's default tier and reason.
A malformed file fails at load with ``RulesError`` naming the rule and the problem.

Rules read the ``report`` object of a report or the ``referral`` object of a referral
(``triage.documents.fields_of``); a field one of them lacks is simply empty. List fields (the
referral's behavior checklist) are tested with ``includes`` / ``includes_any``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tipline import referral_schema, report_schema
from triage.documents import fields_of


def _field_specs() -> dict[str, dict[str, Any]]:
    """Every field a rule may read, from both schemas (shared fields have the same values)."""
    specs: dict[str, dict[str, Any]] = {}
    for properties in (
        report_schema.SCHEMA["properties"]["report"]["properties"],
        referral_schema.SCHEMA["properties"]["referral"]["properties"],
    ):
        for name, spec in properties.items():
            specs.setdefault(name, spec)
    return specs


FIELD_SPECS = _field_specs()
REPORT_FIELDS = frozenset(name for name, spec in FIELD_SPECS.items() if spec.get("type") != "array")
LIST_FIELDS = frozenset(name for name, spec in FIELD_SPECS.items() if spec.get("type") == "array")
TEXT_FIELDS = frozenset(
    name
    for name, spec in FIELD_SPECS.items()
    if spec.get("type") == "string" and "enum" not in spec
)
_TESTS = ("equals", "one_of", "non_empty", "keywords", "any", "includes", "includes_any")
_DURATION = re.compile(r"^\s*(\d+)\s*(minute|hour|day|week)s?\s*$")
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file, the rule and the problem."""


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    due: timedelta


@dataclass(frozen=True)
class Condition:
    """One test over report fields: equals, one_of, non_empty, keywords, includes,
    includes_any, or any (of these)."""

    kind: str
    field: str = ""
    values: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    options: tuple[Condition, ...] = ()

    def holds(self, report: Mapping[str, Any]) -> bool:
        if self.kind == "any":
            return any(option.holds(report) for option in self.options)
        if self.kind == "keywords":
            assert self.pattern is not None
            return any(self.pattern.search(str(report.get(f) or "")) for f in self.fields)
        value = report.get(self.field)
        if self.kind in ("includes", "includes_any"):
            return isinstance(value, list) and any(v in value for v in self.values)
        if self.kind == "non_empty":
            return isinstance(value, str) and value.strip() != ""
        return value in self.values  # equals / one_of


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    tier: str
    conditions: tuple[Condition, ...]

    def holds(self, report: Mapping[str, Any]) -> bool:
        return all(condition.holds(report) for condition in self.conditions)


@dataclass(frozen=True)
class RelatedRules:
    """``[related]``: linking related reports and the tier rule for several reports about one
    person (``triage.related``; ``docs/related-reports.md``)."""

    min_reports: int = 3  # this many independent reports about one person ...
    raise_to: str = "P2"  # ... raise their open items to at least this tier
    near_duplicate: float = 0.5  # estimated Jaccard similarity from which texts are "the same"
    max_links: int = 25  # automatic links made for one new item, newest first
    text_window_days: int = 365  # narratives compared with those received this recently


@dataclass(frozen=True)
class Rules:
    tiers: dict[str, Tier]
    rules: tuple[Rule, ...]
    default_tier: str
    default_reason: str
    related: RelatedRules = field(default_factory=RelatedRules)


@dataclass(frozen=True)
class Score:
    tier: str
    due_at: datetime
    reasons: list[dict[str, str]]  # [{"rule", "text", "tier"}], most urgent first


def score(document: Mapping[str, Any], rules: Rules, received_at: datetime) -> Score:
    """Score a validated report or referral. Reasons hold rule texts only, never content."""
    report = fields_of(document)
    matched = [rule for rule in rules.rules if rule.holds(report)]
    if matched:
        reasons = [{"rule": r.id, "text": r.reason, "tier": r.tier} for r in matched]
        reasons.sort(key=lambda reason: reason["tier"])  # stable: file order within a tier
    else:
        reasons = [{"rule": "default", "text": rules.default_reason, "tier": rules.default_tier}]
    tier = reasons[0]["tier"]
    return Score(tier=tier, due_at=received_at + rules.tiers[tier].due, reasons=reasons)


# --- loading -----------------------------------------------------------------------------


def load_rules(path: Path) -> Rules:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_rules(data)
    except RulesError as exc:
        raise RulesError(f"{path}: {exc}") from None


def parse_rules(data: Mapping[str, Any]) -> Rules:
    _only_keys(data, {"tiers", "default", "keywords", "rules", "related"}, "the file")
    tiers = _parse_tiers(data.get("tiers"))
    keyword_lists = _parse_keyword_lists(data.get("keywords", {}))
    default = data.get("default")
    if not isinstance(default, dict):
        raise RulesError("[default] is missing: it needs a tier and a reason")
    _only_keys(default, {"tier", "reason"}, "[default]")
    default_tier = _tier_name(default.get("tier"), tiers, "[default]")
    default_reason = _text(default.get("reason"), "[default]", "reason")

    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RulesError("no [[rules]] defined")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        where = f"rule #{index}"
        if not isinstance(raw, dict):
            raise RulesError(f"{where}: must be a table")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", rule_id):
            raise RulesError(f"{where}: id must be lowercase letters, digits and dashes")
        where = f"rule {rule_id!r}"
        if rule_id in seen or rule_id == "default":
            raise RulesError(f"{where}: the id is used twice (or is the reserved 'default')")
        seen.add(rule_id)
        _only_keys(raw, {"id", "reason", "tier", "conditions"}, where)
        conditions = raw.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            raise RulesError(f"{where}: conditions must be a non-empty list")
        rules.append(
            Rule(
                id=rule_id,
                reason=_text(raw.get("reason"), where, "reason"),
                tier=_tier_name(raw.get("tier"), tiers, where),
                conditions=tuple(
                    _parse_condition(c, keyword_lists, f"{where}, condition #{n}")
                    for n, c in enumerate(conditions, start=1)
                ),
            )
        )
    related = _parse_related(data.get("related", {}), tiers)
    return Rules(tiers, tuple(rules), default_tier, default_reason, related)


def _parse_related(raw: object, tiers: Mapping[str, Tier]) -> RelatedRules:
    """``[related]``; every key is optional (defaults in ``RelatedRules``)."""
    where = "[related]"
    if not isinstance(raw, dict):
        raise RulesError(f"{where} must be a table")
    _only_keys(raw, set(RelatedRules.__dataclass_fields__), where)
    defaults = RelatedRules()
    values: dict[str, Any] = {}
    for name in ("min_reports", "max_links", "text_window_days"):
        value = raw.get(name, getattr(defaults, name))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RulesError(f"{where}: {name} must be a whole number of at least 1")
        values[name] = value
    if values["min_reports"] < 2:
        raise RulesError(f"{where}: min_reports must be at least 2")
    values["raise_to"] = _tier_name(raw.get("raise_to", defaults.raise_to), tiers, where)
    threshold = raw.get("near_duplicate", defaults.near_duplicate)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        raise RulesError(f"{where}: near_duplicate must be a number between 0 and 1")
    if not 0 < threshold <= 1:
        raise RulesError(f"{where}: near_duplicate must be a number between 0 and 1")
    values["near_duplicate"] = float(threshold)
    return RelatedRules(**values)


def _parse_tiers(raw: object) -> dict[str, Tier]:
    if not isinstance(raw, dict) or not raw:
        raise RulesError("[tiers] is missing: define P1 to P4 with a label and a due time")
    tiers: dict[str, Tier] = {}
    for name in ("P1", "P2", "P3", "P4"):
        spec = raw.get(name)
        where = f"[tiers.{name}]"
        if not isinstance(spec, dict):
            raise RulesError(f"{where} is missing")
        _only_keys(spec, {"label", "due"}, where)
        tiers[name] = Tier(name, _text(spec.get("label"), where, "label"), _due(spec, where))
    extra = set(raw) - set(tiers)
    if extra:
        raise RulesError(f"[tiers]: unknown tier {sorted(extra)[0]!r}; tiers are P1 to P4")
    return tiers


def _due(spec: Mapping[str, Any], where: str) -> timedelta:
    raw = spec.get("due")
    match = _DURATION.match(raw) if isinstance(raw, str) else None
    if match is None or int(match.group(1)) == 0:
        raise RulesError(f"{where}: due must look like '15 minutes', '4 hours' or '2 days'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _parse_keyword_lists(raw: object) -> dict[str, re.Pattern[str]]:
    if not isinstance(raw, dict):
        raise RulesError("[keywords] must be a table of named word lists")
    return {name: _keyword_pattern(words, f"[keywords] {name}") for name, words in raw.items()}


def _keyword_pattern(words: object, where: str) -> re.Pattern[str]:
    if not isinstance(words, list) or not words:
        raise RulesError(f"{where}: must be a non-empty list of words or phrases")
    parts = []
    for word in words:
        if not isinstance(word, str) or not word.strip():
            raise RulesError(f"{where}: every keyword must be a non-empty string")
        parts.append(r"\s+".join(re.escape(piece) for piece in word.split()))
    # Whole words only: "kill" matches "Kill!" but not "skill".
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def _parse_condition(
    raw: object, keyword_lists: Mapping[str, re.Pattern[str]], where: str, nested: bool = False
) -> Condition:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table such as {{ field = ..., equals = ... }}")
    tests = [k for k in _TESTS if k in raw]
    if len(tests) != 1:
        raise RulesError(f"{where}: needs exactly one of {', '.join(_TESTS)}")
    kind = tests[0]
    if kind == "any":
        _only_keys(raw, {"any"}, where)
        options = raw["any"]
        if nested or not isinstance(options, list) or len(options) < 2:
            raise RulesError(f"{where}: any must list two or more simple conditions")
        return Condition(
            "any",
            options=tuple(
                _parse_condition(o, keyword_lists, f"{where}, option #{n}", nested=True)
                for n, o in enumerate(options, start=1)
            ),
        )
    if kind == "keywords":
        _only_keys(raw, {"keywords", "in"}, where)
        fields = raw.get("in")
        if not isinstance(fields, list) or not fields:
            raise RulesError(f"{where}: keywords needs 'in', a list of text fields to search")
        for name in fields:
            if name not in TEXT_FIELDS:
                raise RulesError(f"{where}: {name!r} is not a free-text report field")
        words = raw["keywords"]
        if isinstance(words, str):
            if words not in keyword_lists:
                raise RulesError(f"{where}: no keyword list named {words!r} in [keywords]")
            pattern = keyword_lists[words]
        else:
            pattern = _keyword_pattern(words, where)
        return Condition("keywords", fields=tuple(fields), pattern=pattern)
    _only_keys(raw, {"field", kind}, where)
    field = raw.get("field")
    if kind in ("includes", "includes_any"):
        return _parse_list_condition(kind, field, raw[kind], where)
    if field in LIST_FIELDS:
        raise RulesError(f"{where}: {field!r} is a list; test it with includes or includes_any")
    if field not in REPORT_FIELDS:
        raise RulesError(f"{where}: unknown report field {field!r}")
    value = raw[kind]
    if kind == "non_empty":
        if value is not True:
            raise RulesError(f"{where}: non_empty must be true")
        return Condition("non_empty", field=field)
    values = [value] if kind == "equals" else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RulesError(f"{where}: {kind} needs text value(s)")
    allowed = FIELD_SPECS[field].get("enum")
    for v in values:
        if allowed is not None and v not in allowed:
            raise RulesError(f"{where}: {v!r} is never a value of {field}")
    return Condition(kind, field=field, values=tuple(values))


def _parse_list_condition(kind: str, field: object, value: object, where: str) -> Condition:
    """``{ field = "behaviors", includes = "planning" }`` or ``includes_any = [...]``."""
    if field not in LIST_FIELDS:
        raise RulesError(f"{where}: {kind} works on list fields only ({', '.join(LIST_FIELDS)})")
    assert isinstance(field, str)
    values = [value] if kind == "includes" else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RulesError(f"{where}: {kind} needs text value(s)")
    allowed = FIELD_SPECS[field]["items"].get("enum", ())
    for v in values:
        if v not in allowed:
            raise RulesError(f"{where}: {v!r} is never an entry of {field}")
    return Condition(kind, field=field, values=tuple(values))


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r}")


def _tier_name(value: object, tiers: Mapping[str, Tier], where: str) -> str:
    if value not in tiers:
        raise RulesError(f"{where}: tier must be one of {', '.join(tiers)}, got {value!r}")
    assert isinstance(value, str)
    return value


def _text(value: object, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}: {key} must be a non-empty text")
    return value.strip()
