"""Import of XLSForm workbooks (``.xlsx``, the ODK / KoboToolbox format) into survey definitions.

pyxform reads and checks the workbook (sheets, types, choice lists, names, begin/end pairs) and gives its JSON
form; that is converted to our definition. Anything the conversion cannot carry (a question type, a column,
a function in an expression, a sheet) becomes an ``Issue`` naming its sheet, row and column: nothing is
dropped without being reported.
"""

import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from surveys.definition import check_definition
from surveys.expressions import ExpressionError, parse

TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "geopoint": "geopoint",
    "note": "note",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "acknowledge": "boolean",
    "group": "group",
    "repeat": "repeat",
}
# Survey columns we carry over (lower case, without "::language" and without pyxform's bind::/control:: prefix).
SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "caption",
    "hint",
    "required",
    "required_message",
    "requiredmsg",
    "jr:requiredmsg",
    "constraint",
    "constraint_message",
    "constraining_message",
    "jr:constraintmsg",
    "relevant",
    "relevance",
    "appearance",
}
CHOICE_COLUMNS = {"list_name", "list name", "name", "value", "label", "caption"}
SETTINGS_COLUMNS = {
    "form_title",
    "set_form_title",
    "form_id",
    "set_form_id",
    "id_string",
    "version",
    "default_language",
}
IGNORED_SHEETS = {"survey", "choices", "settings"}
FIELD_COLUMNS = {
    "type": ("type",),
    "name": ("name",),
    "label": ("label", "caption"),
    "choices": ("type",),
    "required": ("required",),
    "constraint": ("constraint",),
    "relevant": ("relevant", "relevance"),
    "maps_to": ("type",),
}
TRUE = {"yes", "true", "true()"}
FALSE = {"no", "false", "false()", ""}
ROW_IN_MESSAGE = re.compile(r"\[row : (\d+)\]")


@dataclass
class Issue:
    """Something in the workbook that was not imported (or stops the import), and where it is."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class XLSFormError(ValueError):
    """The workbook cannot be imported at all; ``issues`` say why."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


@dataclass
class ImportResult:
    definition: dict
    code: str
    title: str
    form_version: str
    unsupported: list[Issue] = field(default_factory=list)
    pyxform_warnings: list[str] = field(default_factory=list)


def _base(header: str) -> str:
    """The column a header stands for: lower case, no language suffix, no pyxform prefix."""
    name = re.sub(r"\s+", " ", str(header).strip()).lower()
    for prefix in ("bind::", "control::"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.split("::", 1)[0].strip()


class _Sheets:
    """Where things are in the workbook: column letters by header, and the row of each named survey entry."""

    def __init__(self, data: bytes):
        try:
            book = load_workbook(BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise XLSFormError([Issue("", None, None, f"Not an .xlsx workbook: {exc}")]) from exc
        try:
            self.sheet_names = list(book.sheetnames)
            self.headers: dict[str, dict[str, str]] = {}  # sheet -> header -> letter
            for name in self.sheet_names:
                first = next(book[name].iter_rows(min_row=1, max_row=1, values_only=True), ())
                self.headers[name.lower()] = {
                    str(value).strip(): get_column_letter(index + 1)
                    for index, value in enumerate(first)
                    if value is not None and str(value).strip()
                }
        finally:
            book.close()

    def letter(self, sheet: str, header: str) -> str | None:
        return self.headers.get(sheet, {}).get(header)

    def column_for(self, sheet: str, bases: tuple[str, ...]) -> str | None:
        for header, letter in self.headers.get(sheet, {}).items():
            if _base(header) in bases:
                return letter
        return None


def read_xlsform(data: bytes, filename: str = "form.xlsx") -> ImportResult:
    """Convert an XLSForm workbook; raises ``XLSFormError`` when it cannot be read or pyxform rejects it."""
    sheets = _Sheets(data)
    try:
        workbook = get_xlsform(BytesIO(data), file_type=".xlsx")
        warnings: list[str] = []
        form = workbook_to_json(workbook, form_name="data", default_language="default", warnings=warnings)
        converter = _Converter(sheets, workbook)
        converter.check_columns()
        questions = converter.children(form.get("children", []), in_repeat=False)
    except PyXFormError as error:
        match = ROW_IN_MESSAGE.search(str(error))
        raise XLSFormError([Issue("survey", int(match.group(1)) if match else None, None, str(error))]) from error
    except RecursionError as error:  # pyxform and the conversion walk groups recursively
        raise XLSFormError([Issue("survey", None, None, "Groups and repeats nest far too deep.")]) from error
    settings = (workbook.settings or [{}])[0] if workbook.settings else {}
    settings = {_base(key): value for key, value in settings.items()}
    stem = PurePath(filename or "form.xlsx").stem
    title = str(settings.get("form_title") or settings.get("set_form_title") or stem)[:300]
    code = str(settings.get("form_id") or settings.get("set_form_id") or settings.get("id_string") or stem)
    definition = {"title": title, "questions": questions}
    definition = converter.settle(definition)
    if not definition["questions"]:
        raise XLSFormError([*converter.issues, Issue("survey", None, None, "No question could be imported.")])
    issues = sorted(converter.issues, key=lambda i: (i.sheet != "survey", i.sheet, i.row or 0, i.column or ""))
    return ImportResult(definition, code, title, str(settings.get("version") or ""), issues, warnings)


class _Converter:
    def __init__(self, sheets: _Sheets, workbook):
        self.sheets = sheets
        self.workbook = workbook
        self.issues: list[Issue] = []
        self.rows: dict[str, int] = {}
        self.types: dict[str, str] = {}
        for index, row in enumerate(workbook.survey or []):
            name = row.get("name")
            if name and name not in self.rows:
                self.rows[name] = index + 2
                self.types[name] = row.get("type", "")

    def report(self, name: str | None, columns: tuple[str, ...], message: str) -> None:
        row = self.rows.get(name) if name else None
        self.issues.append(Issue("survey", row, self.sheets.column_for("survey", columns), message))

    def check_columns(self) -> None:
        """Every non-empty cell under a column we do not carry over, and every sheet we do not read."""
        sheet_rows = {
            "survey": (self.workbook.survey or [], SURVEY_COLUMNS),
            "choices": (self.workbook.choices or [], CHOICE_COLUMNS),
            "settings": (self.workbook.settings or [], SETTINGS_COLUMNS),
        }
        for sheet, (rows, supported) in sheet_rows.items():
            for index, row in enumerate(rows):
                for header, value in row.items():
                    if value in (None, "") or _base(header) in supported:
                        continue
                    letter = self.sheets.letter(sheet, header)
                    self.issues.append(
                        Issue(sheet, index + 2, letter, f"Column {header!r} is not supported: {value!r} not imported.")
                    )
        for name in self.sheets.sheet_names:
            if name.lower() not in IGNORED_SHEETS and self.sheets.headers.get(name.lower()):
                self.issues.append(Issue(name, None, None, f"Sheet {name!r} is not supported and was not read."))

    def children(self, children: list, in_repeat: bool) -> list[dict]:
        result = []
        for child in children:
            converted = self.child(child, in_repeat)
            if converted is not None:
                result.append(converted)
        return result

    def child(self, child: dict, in_repeat: bool) -> dict | None:
        name, raw_type = child.get("name"), child.get("type")
        if name == "meta" and name not in self.rows:
            return None  # pyxform's own instanceID group, not a row of the sheet
        kind = TYPES.get(raw_type)
        if kind is None:
            sheet_type = self.types.get(name, raw_type)
            self.report(name, ("type",), f"Question type {sheet_type!r} is not supported: {name} not imported.")
            return None
        if kind == "repeat" and in_repeat:
            self.report(name, ("type",), f"Repeats inside repeats are not supported: {name} not imported.")
            return None
        entry: dict[str, Any] = {"name": name, "type": kind}
        label = self.text(child.get("label"))
        if label is not None:
            entry["label"] = label
        elif kind not in ("group", "repeat"):
            entry["label"] = name
        hint = self.text(child.get("hint"))
        if hint is not None:
            entry["hint"] = hint
        appearance = (child.get("control") or {}).get("appearance")
        if isinstance(appearance, str) and appearance:
            entry["appearance"] = appearance
        bind = child.get("bind") or {}
        self.expression(entry, bind, "relevant", name)
        if kind in ("group", "repeat"):
            entry["questions"] = self.children(child.get("children", []), in_repeat or kind == "repeat")
            if not entry["questions"]:
                self.report(name, ("type",), f"{kind.capitalize()} {name} has no question that could be imported.")
                return None
            return entry
        self.required(entry, bind, name)
        self.expression(entry, bind, "constraint", name)
        for source, target in (("jr:constraintMsg", "constraint_message"), ("jr:requiredMsg", "required_message")):
            message = self.text(bind.get(source))
            if message is not None:
                entry[target] = message
        if kind in ("select_one", "select_multiple"):
            choices = [
                {"name": str(choice.get("name")), "label": self.text(choice.get("label")) or str(choice.get("name"))}
                for choice in child.get("choices") or []
            ]
            if not choices:
                self.report(name, ("type",), f"Question {name}: its choices could not be read; not imported.")
                return None
            entry["choices"] = choices
        return entry

    @staticmethod
    def text(value: Any) -> Any:
        """A label as text, or as texts by language when the workbook has translations."""
        if isinstance(value, dict):
            texts = {str(language): str(text) for language, text in value.items() if text}
            if len(texts) == 1:
                return next(iter(texts.values()))
            return texts or None
        return str(value) if value not in (None, "") else None

    def required(self, entry: dict, bind: dict, name: str) -> None:
        value = str(bind.get("required", "")).strip()
        if value.lower() in TRUE:
            entry["required"] = True
        elif value.lower() not in FALSE:
            self.report(
                name,
                ("required",),
                f"Question {name}: required as an expression ({value}) is not supported; imported as not required.",
            )

    def expression(self, entry: dict, bind: dict, key: str, name: str) -> None:
        source = bind.get(key)
        if not source:
            return
        try:
            parse(source)
        except ExpressionError as error:
            self.report(name, FIELD_COLUMNS[key], f"Question {name}: {key} {source!r} not imported: {error}")
            return
        entry[key] = source

    def settle(self, definition: dict) -> dict:
        """Check the converted definition; report and remove what still does not hold (e.g. a condition naming a
        question that was not imported). Fails if problems remain that cannot be removed."""
        for _ in range(5):
            errors = check_definition(definition)
            if not errors:
                return definition
            by_question = errors.get("questions", {})
            if not isinstance(by_question, dict) or set(errors) - {"questions"}:
                break
            for name, problems in by_question.items():
                for field_name, messages in problems.items():
                    for message in messages:
                        self.report(
                            name,
                            FIELD_COLUMNS.get(field_name, ()),
                            f"Question {name}: {field_name}: {message} Not imported.",
                        )
                    _remove(definition["questions"], name, field_name)
        raise XLSFormError([*self.issues, Issue("survey", None, None, f"The form cannot be converted: {errors}")])


def _remove(entries: list, name: str, field_name: str) -> bool:
    """Drop one field of a question (or the question itself, for its name or type)."""
    for index, entry in enumerate(entries):
        if entry.get("name") == name:
            if field_name in ("name", "type", "choices", "_schema", "questions"):
                del entries[index]
            else:
                entry.pop(field_name, None)
            return True
        if _remove(entry.get("questions", []), name, field_name):
            return True
    return False
