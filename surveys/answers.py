"""Validating a set of answers against the survey version it answers, with errors per question.

Answers are an object keyed by question name; a repeat's name holds a list of such objects. Each answer is
checked for its type and choices, then, with all answers known, for relevance (an answer to a question that
does not apply is an error, not silently kept), required questions, and constraints (checked only on answers
given, as in XLSForm).
"""

from datetime import date
from typing import Any

from flask_babel import gettext

from surveys.definition import CompiledDefinition, Question, label_text
from surveys.expressions import evaluate, is_empty, to_bool

MAX_TEXT = 5000


class AnswerError(ValueError):
    pass


def _coerce(question: Question, value: Any) -> Any:
    """The answer in its stored form, or ``AnswerError`` saying what is wrong with its type."""
    kind = question.type
    if kind == "note":
        raise AnswerError(gettext("A note takes no answer."))
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
    def __init__(self, compiled: CompiledDefinition, language: str | None = None):
        self.compiled = compiled
        self.language = language
        self.invalid: set[str] = set()  # answers with a type error: not checked further, nor used by others

    def scope(self, names: list[str], given: dict, errors: dict) -> dict:
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
                self.invalid.add(name)
                clean[name] = None
        return clean

    def rules(self, question: Question, value: Any, lookup, errors: dict, invalid: set[str]) -> None:
        """Relevance, required and constraint; skipped where they would only echo a type error already reported."""
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
        if question.constraint is not None and question.constraint.references & invalid:
            return
        if question.constraint is not None and not to_bool(evaluate(question.constraint, lookup, value)):
            message = label_text(question.spec.get("constraint_message"), self.language)
            errors.setdefault(name, []).append(message or f"Does not meet the condition: {question.constraint.source}")


def validate_answers(compiled: CompiledDefinition, answers: Any, language: str | None = None) -> tuple[dict, dict]:
    """(clean answers, errors per question name); a repeat's errors are keyed by repetition index."""
    if not isinstance(answers, dict):
        return {}, {"_schema": ["Answers are an object keyed by question name."]}
    validation = _Validation(compiled, language)
    errors: dict = {}
    clean = validation.scope(compiled.top, answers, errors)

    def top_lookup(name: str) -> Any:
        return clean.get(name)

    for name in compiled.top:
        if name in compiled.repeats:
            clean[name] = _repeat(validation, compiled.repeats[name], clean.get(name), clean, errors)
        else:
            validation.rules(compiled.questions[name], clean.get(name), top_lookup, errors, validation.invalid)
    return {name: value for name, value in clean.items() if not is_empty(value)}, errors


def _repeat(validation: _Validation, repeat, items: Any, clean: dict, errors: dict) -> list | None:
    relevant = all(to_bool(evaluate(condition, clean.get)) for condition in repeat.conditions)
    if is_empty(items):
        return None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append("Must be a list of objects.")
        return None
    if not relevant:
        condition = " and ".join(c.source for c in repeat.conditions)
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append(
            f"Must be left empty: this part does not apply ({condition})."
        )
        return None
    if len(items) > repeat.max_repeats:
        errors.setdefault(repeat.name, {}).setdefault("_schema", []).append(f"At most {repeat.max_repeats} entries.")
        return None
    result = []
    for index, item in enumerate(items):
        item_errors: dict = {}
        top_invalid = set(validation.invalid)
        item_clean = validation.scope(repeat.members, item, item_errors)
        invalid, validation.invalid = validation.invalid, top_invalid

        def lookup(name: str, item_clean=item_clean) -> Any:
            question = validation.compiled.questions.get(name)
            return item_clean.get(name) if question is not None and question.repeat else clean.get(name)

        for name in repeat.members:
            validation.rules(validation.compiled.questions[name], item_clean.get(name), lookup, item_errors, invalid)
        if item_errors:
            errors.setdefault(repeat.name, {})[index] = item_errors
        result.append({name: value for name, value in item_clean.items() if not is_empty(value)})
    return result
