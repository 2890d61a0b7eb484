"""Validating a set of answers against the survey version it answers, with errors per question.

Answers are an object keyed by question name; a repeat's name holds a list of such objects. Each answer is
checked for its type and choices; then calculations are recomputed in document order; then, with all answers
known, relevance (an answer to a question that does not apply is an error, not silently kept), required
questions, constraints (checked only on answers given, as in XLSForm), choice filters, read-only questions and
the number of repetitions (``repeat_count``). surveys/FORMS.md states every rule.
"""

import math
import re
from datetime import date, datetime
from typing import Any

from flask_babel import gettext

from surveys.definition import CompiledDefinition, Question, label_text
from surveys.expressions import evaluate, is_empty, to_bool, to_number, to_string

MAX_TEXT = 5000
MAX_POINTS = 5000
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?$")
FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


class AnswerError(ValueError):
    pass


def _coerce(question: Question, value: Any) -> Any:
    """The answer in its stored form, or ``AnswerError`` saying what is wrong with its type."""
    kind = question.type
    if kind == "note":
        raise AnswerError(gettext("A note takes no answer."))
    coerce = _MORE_TYPES.get(kind)
    if coerce is not None:
        return coerce(question, value)
    if kind == "text":
        if not isinstance(value, str):
            raise AnswerError(gettext("Must be text."))
        if len(value) > MAX_TEXT:
            raise AnswerError(gettext("At most %(limit)s characters.", limit=MAX_TEXT))
        return value
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(gettext("Must be a whole number."))
        if abs(value) > 10**12:
            raise AnswerError(gettext("Is too large."))
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AnswerError(gettext("Must be a number."))
        if not abs(value) <= 10**15:  # also NaN, inf, and integers too large for a float
            raise AnswerError(gettext("Must be a finite number of at most 10^15."))
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise AnswerError(gettext("Must be true or false."))
        return value
    if kind == "select_one":
        if isinstance(value, int | float) and not isinstance(value, bool) and to_string(value) in question.choices:
            value = to_string(value)  # a choice named 1 sent as a number
        if not isinstance(value, str) or value not in question.choices:
            raise AnswerError(gettext("Must be one of: %(choices)s.", choices=", ".join(question.choices)))
        return value
    if kind == "select_multiple":
        return _coerce_multiple(question, value)
    if kind == "date":
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not 1900 <= day.year <= 2100:
            raise AnswerError(gettext("Must be a date as YYYY-MM-DD."))
        return value
    return _coerce_geopoint(value)


def _coerce_time(question: Question, value: Any) -> str:
    if not isinstance(value, str) or not TIME.match(value):
        raise AnswerError(gettext("Must be a time as HH:MM or HH:MM:SS."))
    return value


def _coerce_datetime(question: Question, value: Any) -> str:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not 1900 <= moment.year <= 2100:
        raise AnswerError(gettext("Must be a date and time in ISO 8601 with its offset, e.g. 2026-11-20T09:30+07:00."))
    return value


def _coerce_points(question: Question, value: Any) -> dict:
    shape = question.type == "geoshape"
    points = value.get("points") if isinstance(value, dict) and set(value) == {"points"} else None
    least = 4 if shape else 2
    if not isinstance(points, list) or not least <= len(points) <= MAX_POINTS:
        raise AnswerError(
            gettext(
                'Must be {"points": [[lon, lat], ...]} with %(least)s to %(most)s points.', least=least, most=MAX_POINTS
            )
        )
    for point in points:
        if (
            not isinstance(point, list)
            or not 2 <= len(point) <= 4
            or not all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in point)
            or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)
        ):
            raise AnswerError(gettext("Each point is [lon, lat]: lon from -180 to 180, lat from -90 to 90."))
    if shape and points[0][:2] != points[-1][:2]:
        raise AnswerError(gettext("A shape is closed: its last point is its first."))
    return value


def _coerce_file(question: Question, value: Any) -> str:
    if not isinstance(value, str) or not FILE_NAME.match(value):
        raise AnswerError(gettext("Must be the file name of the attachment (no folders)."))
    return value


def _coerce_barcode(question: Question, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise AnswerError(gettext("Must be the text of the code (at most %(limit)s characters).", limit=MAX_TEXT))
    return value


def _coerce_acknowledge(question: Question, value: Any) -> bool:
    if value is not True:
        raise AnswerError(gettext("Is true when acknowledged, or left empty."))
    return value


def _coerce_range(question: Question, value: Any) -> int | float:
    parameters = question.spec.get("parameters") or {"start": 0, "end": 10, "step": 1}
    start, end, step = parameters["start"], parameters["end"], parameters["step"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AnswerError(gettext("Must be a number."))
    steps = (value - start) / step
    if not min(start, end) <= value <= max(start, end) or abs(steps - round(steps)) > 1e-9:
        raise AnswerError(
            gettext("Must be from %(start)s to %(end)s in steps of %(step)s.", start=start, end=end, step=step)
        )
    return value


def _coerce_rank(question: Question, value: Any) -> list[str]:
    ranked = _coerce_multiple(question, value)
    return ranked


def _coerce_calculate(question: Question, value: Any) -> Any:
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
        return value
    raise AnswerError(gettext("Must be the value of the calculation: a text, a number or true/false."))


_MORE_TYPES = {
    "time": _coerce_time,
    "datetime": _coerce_datetime,
    "geotrace": _coerce_points,
    "geoshape": _coerce_points,
    "image": _coerce_file,
    "barcode": _coerce_barcode,
    "acknowledge": _coerce_acknowledge,
    "range": _coerce_range,
    "rank": _coerce_rank,
    "calculate": _coerce_calculate,
}


def same_value(computed: Any, given: Any) -> bool:
    """A calculation's value and the phone's answer agree: as numbers when both are, else as texts."""
    a, b = to_number(computed), to_number(given)
    if not (math.isnan(a) or math.isnan(b)) and not isinstance(computed, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return to_string(computed) == to_string(given)


def _coerce_multiple(question: Question, value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split()  # XLSForm's space-separated form
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AnswerError(gettext("Must be a list of choice names."))
    unknown = [item for item in value if item not in question.choices]
    if unknown:
        raise AnswerError(
            gettext(
                "Not choices of this question: %(unknown)s (choices: %(choices)s).",
                unknown=", ".join(unknown),
                choices=", ".join(question.choices),
            )
        )
    if len(set(value)) != len(value):
        raise AnswerError(gettext("Lists a choice twice."))
    return value


def _coerce_geopoint(value: Any) -> dict:
    if isinstance(value, str):  # XLSForm's "lat lon [altitude accuracy]"
        parts = value.split()
        try:
            value = {"lat": float(parts[0]), "lon": float(parts[1])} if len(parts) >= 2 else None
        except ValueError:
            value = None
    if not isinstance(value, dict) or set(value) - {"lat", "lon", "altitude", "accuracy"}:
        raise AnswerError(gettext('Must be {"lat": .., "lon": ..} (altitude and accuracy optional).'))
    lat, lon = value.get("lat"), value.get("lon")
    for number in (lat, lon, value.get("altitude", 0), value.get("accuracy", 0)):
        if isinstance(number, bool) or not isinstance(number, int | float) or not abs(number) <= 10**7:
            raise AnswerError(gettext("lat, lon, altitude and accuracy must be numbers."))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        raise AnswerError(gettext("Not a real position: lat from -90 to 90, lon from -180 to 180, not (0, 0)."))
    if value.get("accuracy", 0) < 0:
        raise AnswerError(gettext("accuracy cannot be negative."))
    return value


class _Validation:
    """One validation run: answers are coerced per scope, calculations recomputed, then the rules checked."""

    def __init__(self, compiled: CompiledDefinition, language: str | None = None):
        self.compiled = compiled
        self.language = language
        self.invalid: set[str] = set()  # top-level answers with a type error: not checked further
        self.top: dict = {}
        self.items: dict[str, list[dict]] = {}  # repeat -> coerced entries
        self.item_invalid: dict[str, list[set[str]]] = {}

    def scope(self, names: list[str], given: dict, errors: dict, invalid: set[str]) -> dict:
        """Type-check the answers of one scope (top level or one repetition) and drop unknown names."""
        clean = {}
        known = set(names)
        for name, value in given.items():
            if name not in known:
                inside = self.compiled.questions.get(name)
                where = f" (it is inside repeat {inside.repeat})" if inside and inside.repeat else ""
                errors.setdefault(name, []).append(f"Not a question here{where}.")
                continue
            if name in self.compiled.repeats:
                clean[name] = value
                continue
            if is_empty(value) or (isinstance(value, list) and not value):
                clean[name] = None
                continue
            try:
                clean[name] = _coerce(self.compiled.questions[name], value)
            except AnswerError as error:
                errors.setdefault(name, []).append(str(error))
                invalid.add(name)
                clean[name] = None
        return clean

    def lookup(self, item: dict | None):
        """Answers as expressions see them: the same repetition's, the top level's, and from anywhere else the
        list of a repeat question's answers."""
        compiled = self.compiled

        def find(name: str) -> Any:
            question = compiled.questions.get(name)
            if question is None or question.repeat is None:
                return self.top.get(name)
            if item is not None and name in item.get("__members__", ()):
                return item.get(name)
            return [entry.get(name) for entry in self.items.get(question.repeat, [])]

        return find

    def calculate(self, errors: dict) -> None:
        """Recompute calculations in document order; a calculate's answer must agree (clock-based ones are kept
        as sent: the phone's clock read them)."""
        for name in self.compiled.order:
            question = self.compiled.questions[name]
            if question.calculation is None or (question.type != "calculate" and not question.spec.get("read_only")):
                continue
            if question.repeat is None:
                self._calculate(question, self.top, self.lookup(None), errors, self.invalid)
            else:
                for index, item in enumerate(self.items.get(question.repeat, [])):
                    item_errors = errors.setdefault(question.repeat, {}).setdefault(index, {})
                    invalid = self.item_invalid[question.repeat][index]
                    self._calculate(question, item, self.lookup(item), item_errors, invalid)

    def _calculate(self, question: Question, answers: dict, lookup, errors: dict, invalid: set[str]) -> None:
        name = question.name
        if name in invalid or question.calculation.uses_clock or question.calculation.references & invalid:
            return
        if not all(to_bool(evaluate(condition, lookup)) for condition in question.conditions):
            return  # not relevant: left empty (checked by the rules)
        computed = evaluate(question.calculation, lookup)
        if isinstance(computed, float) and not math.isfinite(computed):
            computed = None
        given = answers.get(name)
        if is_empty(given):
            answers[name] = None if is_empty(computed) else computed
        elif is_empty(computed) or not same_value(computed, given):
            shown = to_string(computed) if not is_empty(computed) else gettext("empty")
            errors.setdefault(name, []).append(
                gettext(
                    "Does not match its calculation (%(expression)s = %(value)s).",
                    expression=question.calculation.source,
                    value=shown,
                )
            )
            invalid.add(name)

    def rules(self, question: Question, value: Any, lookup, errors: dict, invalid: set[str]) -> None:
        """Relevance, required, constraint, choice filter and read-only; skipped where they would only echo a
        type error already reported."""
        depends = {name for condition in question.conditions for name in condition.references}
        if question.name in invalid or depends & invalid:
            return
        relevant = all(to_bool(evaluate(condition, lookup)) for condition in question.conditions)
        name = question.name
        if not relevant:
            if not is_empty(value):
                condition = " and ".join(c.source for c in question.conditions)
                errors.setdefault(name, []).append(f"Must be left empty: this question does not apply ({condition}).")
            return
        if is_empty(value):
            if question.required:
                message = label_text(question.spec.get("required_message"), self.language) or "An answer is required."
                errors.setdefault(name, []).append(message)
            return
        if question.type in ("select_one", "select_multiple", "rank") and not self.choices_allowed(
            question, value, lookup, errors
        ):
            return
        if question.spec.get("read_only") and question.type != "calculate" and question.calculation is None:
            default = question.spec.get("default")
            if default is None or not same_value(default, value):
                errors.setdefault(name, []).append(gettext("Is read-only: it keeps its default value."))
                return
        if question.constraint is not None and question.constraint.references & invalid:
            return
        if question.constraint is not None and not to_bool(evaluate(question.constraint, lookup, value)):
            message = label_text(question.spec.get("constraint_message"), self.language)
            errors.setdefault(name, []).append(message or f"Does not meet the condition: {question.constraint.source}")

    def choices_allowed(self, question: Question, value: Any, lookup, errors: dict) -> bool:
        """Chosen names pass the choice filter; a rank orders every choice offered."""
        offered = list(question.choices)
        if question.choice_filter is not None:
            if question.choice_filter.references & self.invalid:
                return False
            offered = [
                name
                for name in question.choices
                if any(
                    to_bool(evaluate(question.choice_filter, lookup, None, columns))
                    for columns in question.choice_columns.get(name, [{}])
                )
            ]
        chosen = value if isinstance(value, list) else [value]
        refused = [name for name in chosen if name not in offered]
        if refused:
            errors.setdefault(question.name, []).append(
                gettext(
                    "Not offered by the choice filter (%(filter)s): %(refused)s.",
                    filter=question.choice_filter.source if question.choice_filter else "",
                    refused=", ".join(refused),
                )
            )
            return False
        if question.type == "rank" and sorted(chosen) != sorted(offered):
            errors.setdefault(question.name, []).append(
                gettext("A ranking orders every choice: %(choices)s.", choices=", ".join(offered))
            )
            return False
        return True


def validate_answers(compiled: CompiledDefinition, answers: Any, language: str | None = None) -> tuple[dict, dict]:
    """(clean answers, errors per question name); a repeat's errors are keyed by repetition index."""
    if not isinstance(answers, dict):
        return {}, {"_schema": ["Answers are an object keyed by question name."]}
    validation = _Validation(compiled, language)
    errors: dict = {}
    validation.top = clean = validation.scope(compiled.top, answers, errors, validation.invalid)
    for name, repeat in compiled.repeats.items():
        validation.items[name], validation.item_invalid[name] = _coerce_repeat(
            validation, repeat, clean.get(name), errors
        )
    validation.calculate(errors)
    top_lookup = validation.lookup(None)
    for name in compiled.top:
        if name in compiled.repeats:
            clean[name] = _repeat(validation, compiled.repeats[name], errors)
        else:
            validation.rules(compiled.questions[name], clean.get(name), top_lookup, errors, validation.invalid)
    for repeat_errors in [value for value in errors.values() if isinstance(value, dict)]:
        for index in [key for key, value in repeat_errors.items() if isinstance(key, int) and not value]:
            del repeat_errors[index]
    errors = {name: value for name, value in errors.items() if value}
    return {name: value for name, value in clean.items() if not is_empty(value)}, errors


def _coerce_repeat(validation: _Validation, repeat, items: Any, errors: dict) -> tuple[list[dict], list[set]]:
    if is_empty(items):
        return [], []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append("Must be a list of objects.")
        validation.invalid.add(repeat.name)
        return [], []
    if len(items) > repeat.max_repeats:
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append(f"At most {repeat.max_repeats} entries.")
        validation.invalid.add(repeat.name)
        return [], []
    entries, invalid = [], []
    for index, item in enumerate(items):
        item_errors: dict = {}
        item_invalid: set[str] = set()
        entry = validation.scope(repeat.members, item, item_errors, item_invalid)
        entry["__members__"] = repeat.members
        if item_errors:
            errors.setdefault(repeat.name, {})[index] = item_errors
        entries.append(entry)
        invalid.append(item_invalid)
    return entries, invalid


def _repeat(validation: _Validation, repeat, errors: dict) -> list | None:
    entries = validation.items.get(repeat.name, [])
    if repeat.name in validation.invalid:
        return None
    top_lookup = validation.lookup(None)
    relevant = all(to_bool(evaluate(condition, top_lookup)) for condition in repeat.conditions)
    if entries and not relevant:
        condition = " and ".join(c.source for c in repeat.conditions)
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append(
            f"Must be left empty: this part does not apply ({condition})."
        )
        return None
    if relevant and repeat.count is not None:
        expected = repeat.count if isinstance(repeat.count, int) else to_number(evaluate(repeat.count, top_lookup))
        expected = 0 if math.isnan(expected) else max(0, int(expected))
        if len(entries) != expected:
            errors.setdefault(repeat.name, {}).setdefault("_schema", []).append(
                gettext(
                    "Has %(given)s entries; repeat_count asks for %(expected)s.", given=len(entries), expected=expected
                )
            )
    result = []
    for index, entry in enumerate(entries):
        item_errors = errors.setdefault(repeat.name, {}).setdefault(index, {})
        lookup = validation.lookup(entry)
        invalid = validation.item_invalid[repeat.name][index] | validation.invalid
        for name in repeat.members:
            validation.rules(validation.compiled.questions[name], entry.get(name), lookup, item_errors, invalid)
        result.append({name: value for name, value in entry.items() if name != "__members__" and not is_empty(value)})
    if repeat.name in errors and not errors[repeat.name]:
        del errors[repeat.name]
    return result or None
