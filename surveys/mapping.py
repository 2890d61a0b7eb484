"""Mapping rules: how answers become field records (and so, through the ticket rules, tickets).

A question's ``maps_to`` is a list of rules. Each names the ``record`` kind to make and, for each field of
that record, either a literal value (``"asset_kind": "printer"``), or where to take it from
(``"condition_from": "answer"`` for this question's answer, ``"category_from": "${problem_category}"`` for
another answer), optionally translated by ``<field>_map`` (``{"no_signal": "none"}``; a value mapped to null
makes no record). ``when`` is a condition (``.`` is this answer); without it a rule fires whenever the question
is answered. ``point_from`` takes the record's position from a geopoint answer instead of the response's.

Example: ``{"record": "equipment_check", "asset_kind": "printer", "condition_from": "answer",
"notes_from": "${printer_notes}"}`` makes an equipment check from a printer's condition; a broken or missing
one opens a ticket like any equipment check sent by a phone.
"""

import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from server.models.records import ASSET_KINDS, CATEGORIES, CONDITIONS, NETWORKS, SERVICES, SEVERITIES
from surveys.expressions import ExpressionError, evaluate, is_empty, parse, to_bool, to_number, to_string

RECORD_FIELDS: dict[str, dict[str, Any]] = {
    "equipment_check": {
        "asset_kind": ASSET_KINDS,
        "asset_label": "text",
        "condition": CONDITIONS,
        "age_years": "number",
        "notes": "text",
    },
    "connectivity_reading": {
        "network": NETWORKS,
        "operator_code": "text",
        "operator": "text",
        "signal_dbm": "integer",
        "down_mbps": "number",
        "up_mbps": "number",
        "latency_ms": "number",
        "power_available": "boolean",
    },
    "assistance_log": {
        "service": SERVICES,
        "citizens_helped": "integer",
        "language_support": "integer",
        "outcome": "text",
    },
    "finding": {
        "category": CATEGORIES,
        "severity": SEVERITIES,
        "description": "text",
        "beyond_local_authority": "boolean",
    },
}
REQUIRED_FIELDS = {
    "equipment_check": ("asset_kind", "condition"),
    "connectivity_reading": ("network",),
    "assistance_log": ("service", "citizens_helped"),
    "finding": ("category", "severity", "description"),
}
# Values a record gets when its rule says nothing about a field (as the record schemas load them).
DEFAULTS = {
    "equipment_check": {"asset_label": "", "age_years": None, "notes": ""},
    "connectivity_reading": {
        "operator_code": None,
        "operator": "",
        "signal_dbm": None,
        "down_mbps": None,
        "up_mbps": None,
        "latency_ms": None,
        "power_available": None,
    },
    "assistance_log": {"language_support": 0, "outcome": ""},
    "finding": {"severity": "medium", "beyond_local_authority": False},
}
RULE_KEYS = {"record", "when", "point_from"}


def _rule_keys(kind: str) -> set[str]:
    fields = RECORD_FIELDS[kind]
    return RULE_KEYS | set(fields) | {f"{name}_from" for name in fields} | {f"{name}_map" for name in fields}


def _literal_ok(kind_of_field: Any, value: Any) -> bool:
    if isinstance(kind_of_field, tuple):
        return value in kind_of_field
    if kind_of_field == "text":
        return isinstance(value, str)
    if kind_of_field == "boolean":
        return isinstance(value, bool)
    if kind_of_field == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 10**12
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= 10**12 and math.isfinite(value)
    )


def _describe(kind_of_field: Any) -> str:
    if isinstance(kind_of_field, tuple):
        return "one of: " + ", ".join(kind_of_field)
    return {"text": "text", "boolean": "true or false", "integer": "a whole number"}.get(kind_of_field, "a number")


def _source_name(source: Any) -> str | None:
    """The question a ``_from`` value names: "answer" is this question; "${name}" another one."""
    if source == "answer":
        return ""
    if isinstance(source, str):
        try:
            expression = parse(source)
        except ExpressionError:
            return None
        if expression.tree[0] == "ref":
            return expression.tree[1]
    return None


def check_rules(rules: Any, question, checker) -> Iterator[tuple[str, str]]:
    """Problems of a question's ``maps_to`` as (field, message); reference checks are left to ``checker``."""
    if isinstance(rules, dict):
        rules = [rules]
    if not isinstance(rules, list):
        yield "maps_to", "Must be a list of rules."
        return
    for number, rule in enumerate(rules, start=1):
        where = f"maps_to rule {number}"
        if not isinstance(rule, dict) or not isinstance(rule.get("record"), str) or rule["record"] not in RECORD_FIELDS:
            yield "maps_to", f"{where}: needs record, one of: {', '.join(RECORD_FIELDS)}."
            continue
        kind = rule["record"]
        fields = RECORD_FIELDS[kind]
        for extra in sorted(set(rule) - _rule_keys(kind)):
            yield "maps_to", f"{where}: {extra!r} is not a field of a {kind} rule."
        checker.parse_expression(question.name, "maps_to", rule.get("when"), question.repeat, allow_self=True)
        if "point_from" in rule:
            yield from _check_source(rule["point_from"], f"{where}: point_from", question, checker, geopoint=True)
        for name, kind_of_field in fields.items():
            if name in rule and not _literal_ok(kind_of_field, rule[name]):
                yield "maps_to", f"{where}: {name} must be {_describe(kind_of_field)}."
            mapping = rule.get(f"{name}_map")
            if mapping is not None:
                if not isinstance(mapping, dict):
                    yield "maps_to", f"{where}: {name}_map must map answers to values."
                else:
                    for answer, value in mapping.items():
                        if value is not None and not _literal_ok(kind_of_field, value):
                            yield "maps_to", f"{where}: {name}_map[{answer!r}] must be {_describe(kind_of_field)}."
            if f"{name}_from" in rule:
                yield from _check_source(rule[f"{name}_from"], f"{where}: {name}_from", question, checker)
                if isinstance(kind_of_field, tuple):
                    checker.later.append(_choice_check(question, rule, name, kind_of_field, where, checker))
        for name in REQUIRED_FIELDS[kind]:
            if name not in rule and f"{name}_from" not in rule and name not in DEFAULTS.get(kind, {}):
                yield "maps_to", f"{where}: a {kind} needs {name} or {name}_from."


def _check_source(source: Any, where: str, question, checker, geopoint: bool = False) -> Iterator[tuple[str, str]]:
    name = _source_name(source)
    if name is None:
        yield "maps_to", f'{where} must be "answer" or a reference ${{name}}.'
        return
    if name:
        checker.parse_expression(question.name, "maps_to", source, question.repeat, allow_self=False)
    if geopoint:

        def is_geopoint():
            target = checker.compiled.questions.get(name or question.name)
            if target is not None and target.type != "geopoint":
                yield question.name, "maps_to", f"{where} must refer to a geopoint question."

        checker.later.append(is_geopoint)


def _choice_check(question, rule: dict, field_name: str, vocabulary: tuple, where: str, checker) -> Callable:
    """A select answer feeding an enumerated field must give a value of its vocabulary for every choice."""

    def check():
        source = _source_name(rule[f"{field_name}_from"])
        target = checker.compiled.questions.get(source or question.name)
        if target is None or target.type != "select_one":
            return
        mapping = rule.get(f"{field_name}_map")
        mapping = mapping if isinstance(mapping, dict) else {}
        bad = [c for c in target.choices if mapping.get(c, c) is not None and mapping.get(c, c) not in vocabulary]
        if bad:
            yield (
                question.name,
                "maps_to",
                f"{where}: choices {', '.join(bad)} of {target.name} are not valid for {field_name} "
                f"({', '.join(vocabulary)}); map them with {field_name}_map (null: no record).",
            )

    return check


def _convert(kind_of_field: Any, value: Any) -> Any:
    if is_empty(value):
        return None
    if isinstance(kind_of_field, tuple) or kind_of_field == "text":
        return to_string(value) if not isinstance(value, str) else value
    if kind_of_field == "boolean":
        return value if isinstance(value, bool) else to_bool(value)
    number = to_number(value)
    if not math.isfinite(number):  # not a usable number: the record schema rejects the original value
        return value
    return int(number) if kind_of_field == "integer" and float(number).is_integer() else number


def derive_records(compiled, answers: dict, response_id: uuid.UUID, base: dict) -> list[tuple[str, str, dict]]:
    """The records a validated set of answers makes: (question name, record kind, record fields).

    ``base`` holds what every record shares (observed_at, lat, lon, site, visit, team). Ids are derived from the
    response id, the question, the repetition and the rule, so storing the same response twice makes nothing new.
    """
    made = []
    for name in compiled.top:
        if name in compiled.repeats:
            for index, item in enumerate(answers.get(name) or []):
                for member in compiled.repeats[name].members:
                    lookup = _lookup(compiled, answers, item)
                    made += _fire(compiled.questions[member], item.get(member), lookup, response_id, base, index)
        else:
            lookup = _lookup(compiled, answers, None)
            made += _fire(compiled.questions[name], answers.get(name), lookup, response_id, base, None)
    return made


def _lookup(compiled, answers: dict, item: dict | None) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        if item is not None and compiled.questions.get(name) and compiled.questions[name].repeat is not None:
            return item.get(name)
        return answers.get(name)

    return lookup


def _fire(question, answer, lookup, response_id: uuid.UUID, base: dict, index: int | None) -> list:
    rules = question.spec.get("maps_to")
    if not rules or is_empty(answer):
        return []
    if isinstance(rules, dict):
        rules = [rules]
    made = []
    for number, rule in enumerate(rules, start=1):
        when = rule.get("when")
        if when and not to_bool(evaluate(parse(when), lookup, answer)):
            continue
        kind = rule["record"]
        record = dict(DEFAULTS.get(kind, {}))
        complete = True
        for field_name, kind_of_field in RECORD_FIELDS[kind].items():
            if f"{field_name}_from" in rule:
                source = _source_name(rule[f"{field_name}_from"])
                value = lookup(source) if source else answer
                mapping = rule.get(f"{field_name}_map") or {}
                key = to_string(value)
                value = mapping[key] if key in mapping else value
                value = _convert(kind_of_field, value)
            elif field_name in rule:
                value = rule[field_name]
            else:
                continue
            if value is None and field_name in REQUIRED_FIELDS[kind]:
                complete = False
                break
            record[field_name] = DEFAULTS.get(kind, {}).get(field_name) if value is None else value
        if not complete:
            continue
        place = dict(base)
        if "point_from" in rule:
            source = _source_name(rule["point_from"])
            point = lookup(source) if source else answer
            if isinstance(point, dict):
                place.update(lat=point["lat"], lon=point["lon"])
        suffix = "" if index is None else f"[{index}]"
        record_id = uuid.uuid5(response_id, f"{question.name}{suffix}#{number}")
        made.append((question.name, kind, {**place, **record, "id": record_id}))
    return made
