"""The survey definition format (JSON) and its checks.

A definition is ``{"title": ..., "description": ..., "questions": [...]}``. Each entry of ``questions`` is a
question or a container:

- question: ``name``, ``type`` (``QUESTION_TYPES``), ``label`` (text, or ``{language: text}``), optional ``hint``,
  ``required``, ``required_message``, ``constraint`` and ``constraint_message``, ``relevant``, ``appearance``,
  ``calculation`` (the value of a ``calculate``), ``default`` (a text), ``read_only``, ``choices`` (select and
  rank types: ``[{"name": ..., "label": ..., "columns": {...}}]``), ``choice_filter`` (a bare name in it is a
  column of the choice), ``parameters`` (range: ``{"start", "end", "step"}``) and ``maps_to`` (rules making field
  records, see ``surveys.mapping``);
- ``group``: ``name``, optional ``label``, ``relevant``, and its own ``questions``; answers stay flat;
- ``repeat``: the same, answered as a list of objects, one per repetition (``max_repeats``, default 100, and
  ``repeat_count``, a number or an expression fixing how many there are).

Names are unique in the whole definition, so answers are a flat object keyed by question name (a repeat's name
holds its list). Expressions use ``surveys.expressions``; ``${name}`` refers to a top-level answer or, inside a
repeat, to an answer of the same repetition; from outside a repeat, ``${name}`` of a question inside it is the list
of its answers. surveys/FORMS.md is the document of the whole model.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from surveys.expressions import Expression, ExpressionError, parse

QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "boolean",
    "date",
    "time",
    "datetime",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "barcode",
    "note",
    "acknowledge",
    "range",
    "rank",
    "calculate",
)
SELECT_TYPES = ("select_one", "select_multiple", "rank")
NO_ANSWER_TYPES = ("note",)
CONTAINER_TYPES = ("group", "repeat")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
QUESTION_KEYS = {
    "name",
    "type",
    "label",
    "hint",
    "required",
    "required_message",
    "constraint",
    "constraint_message",
    "relevant",
    "appearance",
    "choices",
    "maps_to",
    "calculation",
    "default",
    "read_only",
    "choice_filter",
    "parameters",
}
CONTAINER_KEYS = {"name", "type", "label", "hint", "relevant", "appearance", "questions", "max_repeats", "repeat_count"}
CHOICE_KEYS = {"name", "label", "columns"}
TOP_KEYS = {"title", "description", "questions"}
MAX_QUESTIONS = 500
MAX_DEPTH = 5
DEFAULT_MAX_REPEATS = 100


class DefinitionError(ValueError):
    """The definition is not valid; ``errors`` says where and why."""

    def __init__(self, errors: dict):
        super().__init__("invalid survey definition")
        self.errors = errors


@dataclass
class Question:
    name: str
    type: str
    spec: dict
    repeat: str | None  # the repeat holding it, if any
    conditions: list[Expression]  # relevance of its containers, then its own
    required: bool = False
    constraint: Expression | None = None
    choices: tuple[str, ...] = ()
    calculation: Expression | None = None
    choice_filter: Expression | None = None
    choice_columns: dict[str, list] = field(default_factory=dict)  # choice name -> the columns of each such choice


@dataclass
class Repeat:
    name: str
    spec: dict
    conditions: list[Expression]
    max_repeats: int
    members: list[str] = field(default_factory=list)  # question names, in order
    count: Expression | int | None = None  # repeat_count


@dataclass
class CompiledDefinition:
    """A checked definition, indexed for validating answers and deriving records."""

    definition: dict
    questions: dict[str, Question] = field(default_factory=dict)
    repeats: dict[str, Repeat] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)  # top-level question and repeat names, in order
    containers: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # every question name, in document order

    def scope_of(self, name: str) -> str | None:
        """The repeat a question or repeat belongs to (None: top level)."""
        question = self.questions.get(name)
        return question.repeat if question else None


def is_text(value: Any) -> bool:
    """A non-empty text, or non-empty texts by language (``{"en": ..., "vi": ...}``)."""
    if isinstance(value, str):
        return bool(value.strip()) and len(value) <= 2000
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(text, str) and text.strip() and len(text) <= 2000 for text in value.values())
    )


def label_text(label: Any, language: str | None = None) -> str:
    """The label in ``language`` (or the first one) for a label that may be translated."""
    if isinstance(label, dict):
        if language and language in label:
            return label[language]
        for key, text in label.items():  # XLSForm's "Tiếng Việt (vi)", "English (en)"
            if language and key.strip().endswith(f"({language})"):
                return text
        return next(iter(label.values()), "")
    return label or ""


class _Checker:
    def __init__(self, definition: Any):
        self.definition = definition
        self.errors: dict = {}
        self.compiled = CompiledDefinition(definition if isinstance(definition, dict) else {})
        self.seen: set[str] = set()
        self.count = 0
        self.deferred: list[tuple[str, str, Expression, str | None]] = []  # key, field, expression, repeat
        self.later: list = []  # checks that need every question known: callables returning (key, field, message)

    def fail(self, key: str, field_name: str, message: str) -> None:
        self.errors.setdefault("questions", {}).setdefault(key, {}).setdefault(field_name, []).append(message)

    def run(self) -> None:
        definition = self.definition
        if not isinstance(definition, dict):
            self.errors["_schema"] = ["A definition is a JSON object with title and questions."]
            return
        for key in sorted(set(definition) - TOP_KEYS):
            self.errors.setdefault(key, []).append("Unknown field.")
        title = definition.get("title")
        if not is_text(title) or any(
            len(text) > 300 for text in ([title] if isinstance(title, str) else title.values())
        ):
            self.errors["title"] = ["Must be a non-empty text of at most 300 characters, or such texts by language."]
        description = definition.get("description", "")
        if description != "" and not is_text(description):
            self.errors["description"] = ["Must be text, or texts by language."]
        questions = definition.get("questions")
        if not isinstance(questions, list) or not questions:
            self.errors["questions"] = ["Must be a non-empty list."]
            return
        self.entries(questions, "", None, [], 1)
        for key, field_name, expression, repeat in self.deferred:
            self.check_references(key, field_name, expression, repeat)
        for check in self.later:
            for key, field_name, message in check():
                self.fail(key, field_name, message)

    def entries(self, entries: list, path: str, repeat: str | None, conditions: list[Expression], depth: int):
        if depth > MAX_DEPTH:
            self.fail(path.rstrip("."), "questions", f"Groups and repeats nest at most {MAX_DEPTH} deep.")
            return
        for position, entry in enumerate(entries):
            self.count += 1
            if self.count > MAX_QUESTIONS:
                self.errors["questions"] = [f"At most {MAX_QUESTIONS} questions."]
                return
            self.entry(entry, f"{path}#{position + 1}", repeat, conditions, depth)

    def entry(self, entry: Any, path: str, repeat: str | None, conditions: list[Expression], depth: int) -> None:
        if not isinstance(entry, dict):
            self.fail(path, "_schema", "Must be an object.")
            return
        name, kind = entry.get("name"), entry.get("type")
        key = name if isinstance(name, str) and NAME.match(name) else path
        if key == path:
            self.fail(key, "name", "Must start with a letter or _, then letters, digits, _ . - (at most 100).")
        elif name in self.seen:
            self.fail(key, "name", "Is used twice: names are unique in the whole survey.")
        else:
            self.seen.add(name)
        if kind not in QUESTION_TYPES + CONTAINER_TYPES:
            self.fail(key, "type", f"Must be one of: {', '.join(QUESTION_TYPES + CONTAINER_TYPES)}.")
            return
        allowed = CONTAINER_KEYS if kind in CONTAINER_TYPES else QUESTION_KEYS
        for extra in sorted(set(entry) - allowed):
            self.fail(key, extra, f"Not a field of a {kind}.")
        self.text_fields(key, entry, label_required=kind not in (*CONTAINER_TYPES, "calculate"))
        own = list(conditions)
        relevant = self.expression(key, entry, "relevant", repeat, allow_self=False)
        if relevant is not None:
            own.append(relevant)
        if kind in CONTAINER_TYPES:
            self.container(key, entry, kind, path, repeat, own, depth)
        else:
            self.question(key, entry, kind, repeat, own)

    def text_fields(self, key: str, entry: dict, label_required: bool) -> None:
        label = entry.get("label")
        if (label is not None or label_required) and not is_text(label):
            self.fail(key, "label", "Must be a non-empty text, or non-empty texts by language.")
        for name in ("hint", "required_message", "constraint_message"):
            if entry.get(name) is not None and not is_text(entry[name]):
                self.fail(key, name, "Must be a non-empty text, or non-empty texts by language.")
        if entry.get("appearance") is not None and not isinstance(entry["appearance"], str):
            self.fail(key, "appearance", "Must be text.")

    def expression(self, key: str, entry: dict, field_name: str, repeat: str | None, allow_self: bool):
        return self.parse_expression(key, field_name, entry.get(field_name), repeat, allow_self)

    def parse_expression(
        self, key: str, field_name: str, source: Any, repeat: str | None, allow_self: bool, columns: bool = False
    ):
        """Parse, report problems under (key, field_name), and check its references once all names are known."""
        if source is None or source == "":
            return None
        try:
            expression = parse(source, columns=columns)
        except ExpressionError as error:
            self.fail(key, field_name, str(error))
            return None
        if expression.uses_self and not allow_self:
            self.fail(key, field_name, "'.' (this answer) is meaningful only in a constraint or a mapping rule.")
        self.deferred.append((key, field_name, expression, repeat))
        return expression

    def check_references(self, key: str, field_name: str, expression: Expression, repeat: str | None) -> None:
        compiled = self.compiled
        for name in sorted(expression.references):
            if name in compiled.containers:
                self.fail(key, field_name, f"${{{name}}} is a group or repeat, not a question.")
            elif name not in compiled.questions:
                self.fail(key, field_name, f"${{{name}}} is not a question of this survey.")
            elif name == key and field_name in ("calculation", "relevant"):
                self.fail(key, field_name, f"${{{name}}} refers to the question itself.")

    def container(self, key, entry, kind, path, repeat, conditions, depth) -> None:
        self.compiled.containers.add(key)
        inner_repeat = repeat
        if kind == "group" and "repeat_count" in entry:
            self.fail(key, "repeat_count", "Only a repeat has a repeat_count.")
        if kind == "repeat":
            if repeat is not None:
                self.fail(key, "type", "Repeats inside repeats are not supported.")
                return
            max_repeats = entry.get("max_repeats", DEFAULT_MAX_REPEATS)
            if isinstance(max_repeats, bool) or not isinstance(max_repeats, int) or not 1 <= max_repeats <= 1000:
                self.fail(key, "max_repeats", "Must be an integer from 1 to 1000.")
                max_repeats = DEFAULT_MAX_REPEATS
            count = entry.get("repeat_count")
            if isinstance(count, bool) or (isinstance(count, int) and not 0 <= count <= max_repeats):
                self.fail(key, "repeat_count", "Must be a whole number from 0 to max_repeats, or an expression.")
                count = None
            elif isinstance(count, str):
                count = self.parse_expression(key, "repeat_count", count, repeat, allow_self=False)
            elif count is not None and not isinstance(count, int):
                self.fail(key, "repeat_count", "Must be a whole number from 0 to max_repeats, or an expression.")
                count = None
            self.compiled.repeats[key] = Repeat(key, entry, conditions, max_repeats, count=count)
            self.compiled.top.append(key)
            inner_repeat = key
        children = entry.get("questions")
        if not isinstance(children, list) or not children:
            self.fail(key, "questions", f"A {kind} holds a non-empty list of questions.")
            return
        self.entries(children, f"{path}.", inner_repeat, conditions, depth + 1)

    def question(self, key, entry, kind, repeat, conditions) -> None:
        required = entry.get("required", False)
        if not isinstance(required, bool):
            self.fail(key, "required", "Must be true or false.")
            required = False
        if kind in ("note", "calculate") and required:
            self.fail(key, "required", f"A {kind} is not answered by a person: it cannot be required.")
        constraint = self.expression(key, entry, "constraint", repeat, allow_self=True)
        calculation = self.expression(key, entry, "calculation", repeat, allow_self=False)
        if kind == "calculate" and calculation is None and "calculation" not in entry:
            self.fail(key, "calculation", "A calculate question needs its calculation.")
        self.plain_fields(key, entry, kind)
        choices: tuple[str, ...] = ()
        columns: dict[str, list] = {}
        choice_filter = None
        if kind in SELECT_TYPES:
            choices, columns = self.choices(key, entry.get("choices"), kind, bool(entry.get("choice_filter")))
            choice_filter = self.parse_expression(
                key, "choice_filter", entry.get("choice_filter"), repeat, allow_self=False, columns=True
            )
        else:
            for name in ("choices", "choice_filter"):
                if name in entry:
                    self.fail(key, name, "Only select_one, select_multiple and rank questions have choices.")
        question = Question(key, kind, entry, repeat, conditions, required, constraint, choices)
        question.calculation = calculation
        question.choice_filter = choice_filter
        question.choice_columns = columns
        self.compiled.questions[key] = question
        self.compiled.order.append(key)
        if repeat is None:
            self.compiled.top.append(key)
        else:
            self.compiled.repeats[repeat].members.append(key)
        rules = entry.get("maps_to")
        if rules is not None:
            from surveys.mapping import check_rules

            for field_name, message in check_rules(rules, question, self):
                self.fail(key, field_name, message)

    def plain_fields(self, key: str, entry: dict, kind: str) -> None:
        """default, read_only and parameters."""
        default = entry.get("default")
        if default is not None and (not isinstance(default, str) or len(default) > 2000):
            self.fail(key, "default", "Must be a text (at most 2000 characters).")
        if "read_only" in entry and not isinstance(entry["read_only"], bool):
            self.fail(key, "read_only", "Must be true or false.")
        parameters = entry.get("parameters")
        if kind != "range":
            if parameters is not None:
                self.fail(key, "parameters", "Only a range question has parameters.")
            return
        numbers = parameters if isinstance(parameters, dict) else {}
        values = [numbers.get(name) for name in ("start", "end", "step")]
        if set(numbers) - {"start", "end", "step"} or not all(
            isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= 10**12 for value in values
        ):
            self.fail(key, "parameters", "A range has parameters {start, end, step}, three numbers.")
        elif values[2] <= 0 or values[0] == values[1]:
            self.fail(key, "parameters", "step must be above 0, and start and end must differ.")

    def choices(self, key: str, choices: Any, kind: str, filtered: bool) -> tuple[tuple[str, ...], dict[str, list]]:
        """Names and columns of the choices; a name may repeat only under a choice filter (one per parent)."""
        if not isinstance(choices, list) or not choices:
            self.fail(key, "choices", "Must be a non-empty list of {name, label}.")
            return (), {}
        names = []
        columns: dict[str, list] = {}
        for choice in choices:
            name = choice.get("name") if isinstance(choice, dict) else None
            if not isinstance(name, str) or not name.strip() or len(name) > 100:
                self.fail(key, "choices", "Each choice has a non-empty name of at most 100 characters.")
                continue
            if kind in ("select_multiple", "rank") and " " in name:
                self.fail(key, "choices", f"Choice {name!r}: names of a {kind} have no spaces.")
            if name in names and not filtered:
                self.fail(key, "choices", f"Choice {name!r} is listed twice.")
            if not is_text(choice.get("label")):
                self.fail(key, "choices", f"Choice {name!r} needs a label (text, or texts by language).")
            if set(choice) - CHOICE_KEYS:
                self.fail(key, "choices", f"Choice {name!r}: a choice has a name, a label and optional columns.")
            extra = choice.get("columns", {})
            if not isinstance(extra, dict) or not all(
                isinstance(column, str) and isinstance(value, str | int | float) for column, value in extra.items()
            ):
                self.fail(key, "choices", f"Choice {name!r}: columns are {{column: text}}.")
                extra = {}
            columns.setdefault(name, []).append(extra)
            if name not in names:
                names.append(name)
        return tuple(names), columns


def check_definition(definition: Any) -> dict:
    """Every problem of a definition, keyed by field and question name; empty when it is valid."""
    checker = _Checker(definition)
    checker.run()
    return checker.errors


def compile_definition(definition: Any) -> CompiledDefinition:
    """The indexed form of a definition; raises ``DefinitionError`` with every problem found."""
    checker = _Checker(definition)
    checker.run()
    if checker.errors:
        raise DefinitionError(checker.errors)
    return checker.compiled
