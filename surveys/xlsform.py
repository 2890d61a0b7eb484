"""Import of XLSForms (the ODK / KoboToolbox format) into survey definitions, with pyxform as the judge.

pyxform converts the workbook exactly as it would for ODK (its own reading of the sheets, its aliases for column
names and question types, its checks). A form pyxform rejects is refused with pyxform's message, placed on its
sheet, row and column where the message says them. A form pyxform converts is imported from pyxform's own JSON
form: everything fieldops can represent comes over, and whatever it cannot act on (metadata, audio, an external
choice list, a function it does not evaluate...) is listed as a warning kept on the version. The only refusal
beyond pyxform's is a required question that could not be imported, since nobody could then answer the form.

``select_one_from_file`` and ``select_multiple_from_file`` read their CSV file, uploaded beside the form; its rows
become inline choices. See surveys/FORMS.md.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from warnings import catch_warnings, simplefilter

from flask_babel import gettext
from pyxform.errors import PyXFormError
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.utils import default_is_dynamic
from pyxform.xls2xform import convert

from surveys.definition import check_definition
from surveys.expressions import ExpressionError, parse

FILE_TYPES = (".xlsx", ".xls", ".csv", ".md")
# pyxform's question types by what they are in XForm (bind type, control tag, media type) -> fieldops types.
BIND_TYPES = {
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "dateTime": "datetime",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "barcode": "barcode",
    "string": "text",
}
CONTROL_TAGS = {"select1": "select_one", "select": "select_multiple", "odk:rank": "rank", "trigger": "acknowledge"}
CALCULATE_TYPES = {"calculate", "q calculate", "add calculate prompt"}
NOTE_TYPES = {"note", "q note", "add note prompt"}
CONTAINERS = {"group": "group", "repeat": "repeat"}
TRUE = {"yes", "true", "true()", "1"}
FALSE = {"no", "false", "false()", "0", ""}
# Keys of pyxform's JSON form that the conversion reads; anything else on a question is reported.
READ_KEYS = {
    "type",
    "name",
    "label",
    "hint",
    "bind",
    "control",
    "children",
    "choices",
    "itemset",
    "list_name",
    "choice_filter",
    "parameters",
    "default",
    "sms_field",
}
READ_BIND = {"relevant", "required", "constraint", "jr:constraintMsg", "jr:requiredMsg", "calculate", "readonly"}
READ_CONTROL = {"appearance", "jr:count", "bodyless", "start", "end", "step"}
ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
SHEET = re.compile(r"(?:On|in) the '([\w -]+)' sheet|sheet:? '([\w -]+)'", re.IGNORECASE)
COLUMN = re.compile(r"the '([\w:. -]+)' (?:column|value)", re.IGNORECASE)
RELATIVE = re.compile(r"\.\./([A-Za-z_][\w.-]*)")


@dataclass
class Issue:
    """Something of the form that was not imported (a warning) or stops the import, and where it is."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class XLSFormError(ValueError):
    """The form cannot be imported: pyxform rejects it, a file it needs is missing, or a required question cannot
    be answered; ``issues`` say why and where."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues


@dataclass
class ImportResult:
    definition: dict
    code: str
    title: str
    form_version: str
    warnings: list[Issue] = field(default_factory=list)
    pyxform_warnings: list[str] = field(default_factory=list)


def pyxform_issue(error: Exception) -> Issue:
    """pyxform's message, with the sheet, row and column it names."""
    message = str(error).strip() or type(error).__name__
    row = ROW.search(message)
    sheet = SHEET.search(message)
    column = COLUMN.search(message)
    return Issue(
        (sheet.group(1) or sheet.group(2)) if sheet else "survey",
        int(row.group(1)) if row else None,
        column.group(1) if column else None,
        message,
    )


def read_xlsform(data: bytes, filename: str = "form.xlsx", files: dict[str, bytes] | None = None) -> ImportResult:
    """Convert an XLSForm; raises ``XLSFormError`` when pyxform rejects it or it cannot be imported."""
    suffix = PurePath(filename or "form.xlsx").suffix.lower()
    file_type = suffix if suffix in FILE_TYPES else ".xlsx"
    warnings: list[str] = []
    try:
        with catch_warnings():  # openpyxl and xlrd warn about workbook features no form uses
            simplefilter("ignore")
            result = convert(data, warnings=warnings, file_type=file_type, form_name="data")
    except PyXFormError as error:
        raise XLSFormError([pyxform_issue(error)]) from error
    except RecursionError as error:
        raise XLSFormError([Issue("survey", None, None, "Groups and repeats nest far too deep.")]) from error
    except Exception as error:  # pyxform's readers raise many kinds for a file that is not a form
        message = gettext("pyxform cannot read this file as an XLSForm: %(error)s", error=str(error)[:300])
        raise XLSFormError([Issue("", None, None, message)]) from error
    form = result._pyxform or {}
    with catch_warnings():
        simplefilter("ignore")
        rows = _survey_rows(data, file_type)
    converter = _Converter(form, files or {}, rows)
    questions = converter.children(form.get("children", []), None)
    stem = PurePath(filename or "form.xlsx").stem
    title = str(form.get("title") or stem)
    if title == "data" and form.get("id_string") == "data":
        title = stem
    code = str(form.get("id_string") or stem)
    if code == "data":
        code = stem
    definition = converter.settle({"title": title[:300], "questions": questions})
    if converter.refusals:
        raise XLSFormError(converter.refusals)
    if not definition["questions"]:
        raise XLSFormError([*converter.issues, Issue("survey", None, None, "No question could be imported.")])
    version = str(form.get("version") or "")
    return ImportResult(definition, code, title, version, converter.issues, warnings)


def _survey_rows(data: bytes, file_type: str) -> dict[str, int]:
    """The row number of each name on the survey sheet, for warnings (workbooks only; empty when unreadable)."""
    try:
        if file_type == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = next((book[name] for name in book.sheetnames if name.strip().lower() == "survey"), None)
                if sheet is None:
                    return {}
                header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=200, values_only=True), ())
                names = [str(value or "").strip().lower() for value in header]
                if "name" not in names:
                    return {}
                column = names.index("name") + 1
                table = [["name"]] + [
                    [row[0]]
                    for row in sheet.iter_rows(
                        min_row=2, max_row=20000, min_col=column, max_col=column, values_only=True
                    )
                ]
            finally:
                book.close()
        elif file_type == ".xls":
            import xlrd

            book = xlrd.open_workbook(file_contents=data)
            sheet = next((book.sheet_by_name(n) for n in book.sheet_names() if n.strip().lower() == "survey"), None)
            table = [sheet.row_values(index) for index in range(sheet.nrows)] if sheet is not None else []
        else:
            return {}
    except Exception:  # the rows only place warnings; pyxform has read the file already
        return {}
    if not table:
        return {}
    header = [str(value or "").strip().lower() for value in table[0]]
    column = header.index("name") if "name" in header else None
    if column is None:
        return {}
    rows: dict[str, int] = {}
    for number, row in enumerate(table[1:], start=2):
        value = row[column] if column < len(row) else None
        if value not in (None, "") and str(value).strip() not in rows:
            rows[str(value).strip()] = number
    return rows


def _expression(source: Any) -> str:
    """pyxform's expression with sibling paths (``../name``, as or_other writes them) as ``${name}``."""
    return RELATIVE.sub(lambda match: "${" + match.group(1) + "}", str(source).strip())


def _type_of(child: dict) -> tuple[str | None, str]:
    """(fieldops type or None, what it is when not supported)."""
    raw = child.get("type", "")
    if raw in CONTAINERS:
        return CONTAINERS[raw], raw
    if raw in CALCULATE_TYPES:
        return "calculate", raw
    if raw in NOTE_TYPES:
        return "note", raw
    if raw == "range":
        return "range", raw
    spec = QUESTION_TYPE_DICT.get(raw)
    if spec is None:
        return None, f"question type {raw!r}"
    bind, control = spec.get("bind") or {}, spec.get("control") or {}
    if bind.get("jr:preload") or raw in ("start-geopoint", "background-geopoint", "background-audio", "audit"):
        return None, f"metadata {raw!r} (filled in by ODK Collect)"
    tag = control.get("tag")
    if tag in CONTROL_TAGS:
        return CONTROL_TAGS[tag], raw
    if tag == "upload":
        if control.get("mediatype") == "image/*":
            return "image", raw
        return None, f"media question {raw!r} (the phone cannot capture it yet)"
    if raw in ("select one external", "select_one_external"):
        return None, "an external choice list (select_one_external)"
    if tag == "input" and bind.get("type") in BIND_TYPES:
        return BIND_TYPES[bind["type"]], raw
    if not control and bind.get("type") == "string":  # hidden
        return None, f"question type {raw!r} (no calculation to fill it)"
    return None, f"question type {raw!r}"


class _Converter:
    def __init__(self, form: dict, files: dict[str, bytes], rows: dict[str, int]):
        self.form = form
        self.files = files
        self.rows = rows
        self.issues: list[Issue] = []
        self.refusals: list[Issue] = []
        self.dropped: set[str] = set()
        self.used: set[str] = set()

    def warn(self, name: str | None, column: str | None, message: str) -> None:
        self.issues.append(Issue("survey", self.rows.get(name), column, f"{name}: {message}" if name else message))

    def children(self, children: list, repeat: str | None, parent: str = "") -> list[dict]:
        result = []
        for child in children:
            converted = self.child(child, repeat, parent)
            if converted is not None:
                result.append(converted)
        return result

    def drop(self, child: dict, what: str) -> None:
        """Leave a question out: a warning, or the refusal of the form when the question is required."""
        name = child.get("name")
        self.dropped.add(name)
        required = str((child.get("bind") or {}).get("required", "")).strip().lower()
        if required and required not in FALSE:
            self.refusals.append(
                Issue(
                    "survey",
                    self.rows.get(name),
                    "type",
                    gettext(
                        "%(name)s is required but is %(what)s, which fieldops cannot take: nobody could send this "
                        "form.",
                        name=name,
                        what=what,
                    ),
                )
            )
        else:
            self.warn(name, "type", f"{what} is not supported: not imported.")

    def unique(self, name: str, parent: str) -> str:
        """Names are unique in a fieldops survey; pyxform allows the same name in different groups (a repeat may
        hold a question named like itself). A later one is renamed, with a warning saying its new name."""
        if name not in self.used:
            self.used.add(name)
            return name
        base = f"{parent}_{name}" if parent else name
        candidate, number = base, 2
        while candidate in self.used:
            candidate, number = f"{base}_{number}", number + 1
        self.used.add(candidate)
        self.warn(name, "name", f"the name is used twice in the form: this one is answered as {candidate}.")
        return candidate

    def child(self, child: dict, repeat: str | None, parent: str = "") -> dict | None:
        name = child.get("name")
        if name == "meta" and (child.get("control") or {}).get("bodyless"):
            return None  # pyxform's own instanceID group
        kind, what = _type_of(child)
        if kind is None:
            self.drop(child, what)
            return None
        name = self.unique(name, parent)
        if kind == "repeat" and repeat is not None:
            self.drop(child, "a repeat inside a repeat")
            return None
        entry: dict[str, Any] = {"name": name, "type": kind}
        label = self.text(child.get("label"))
        if label is not None:
            entry["label"] = label
        elif kind not in ("group", "repeat", "calculate"):
            entry["label"] = self.text(child.get("hint")) or name
        hint = self.text(child.get("hint"))
        if hint is not None:
            entry["hint"] = hint
        control = child.get("control") or {}
        appearance = control.get("appearance")
        if isinstance(appearance, str) and appearance:
            entry["appearance"] = appearance
        bind = child.get("bind") or {}
        self.report_unread(child, bind, control)
        self.expression(entry, name, "relevant", bind.get("relevant"), "relevant")
        if kind in ("group", "repeat"):
            if kind == "repeat" and control.get("jr:count"):
                count = str(control["jr:count"]).strip()
                if count.isdigit():
                    entry["repeat_count"] = int(count)
                else:
                    self.expression(entry, name, "repeat_count", count, "repeat_count")
            entry["questions"] = self.children(child.get("children", []), name if kind == "repeat" else repeat, name)
            if not entry["questions"]:
                self.warn(name, "type", f"{kind} holds no question that could be imported: not imported.")
                self.dropped.add(name)
                return None
            return entry
        self.required(entry, name, bind)
        self.expression(entry, name, "constraint", bind.get("constraint"), "constraint")
        self.expression(entry, name, "calculation", bind.get("calculate"), "calculation")
        if kind == "calculate" and "calculation" not in entry:
            self.drop(child, "a calculation fieldops cannot evaluate")
            return None
        for source, target in (("jr:constraintMsg", "constraint_message"), ("jr:requiredMsg", "required_message")):
            message = self.text(bind.get(source))
            if message is not None:
                entry[target] = message
        self.read_only(entry, name, bind, kind)
        self.default(entry, name, child.get("default"), kind)
        if kind == "range":
            entry["parameters"] = self.range_parameters(name, child.get("parameters") or {})
        if kind in ("select_one", "select_multiple", "rank"):
            choices = self.choices(child)
            if choices is None:
                if str(child.get("itemset") or "") not in self.files and child.get("choices") is None:
                    return None  # the missing file is already the reason the form is refused
                self.drop(child, f"a choice list in {child.get('itemset')!r}")
                return None
            entry["choices"] = choices
            if child.get("choice_filter"):
                self.expression(entry, name, "choice_filter", child["choice_filter"], "choice_filter", columns=True)
        return entry

    def report_unread(self, child: dict, bind: dict, control: dict) -> None:
        name = child.get("name")
        for key in sorted(set(child) - READ_KEYS):
            self.warn(name, key, f"{key!r} is not used by fieldops: not imported.")
        for key in sorted(set(bind) - READ_BIND):
            self.warn(name, key, f"{key!r} is not used by fieldops: not imported.")
        for key in sorted(set(control) - READ_CONTROL):
            self.warn(name, key, f"{key!r} is not used by fieldops: not imported.")
        parameters = child.get("parameters") or {}
        if parameters and child.get("type") != "range":
            self.warn(name, "parameters", f"parameters {parameters} are not used by fieldops: not imported.")

    @staticmethod
    def text(value: Any) -> Any:
        """A text, or texts by language when the form has translations."""
        if isinstance(value, dict):
            texts = {str(language): str(text) for language, text in value.items() if text not in (None, "")}
            if len(texts) == 1:
                return next(iter(texts.values()))
            return texts or None
        return str(value) if value not in (None, "") else None

    def required(self, entry: dict, name: str, bind: dict) -> None:
        value = str(bind.get("required", "")).strip()
        if value.lower() in TRUE:
            entry["required"] = True
        elif value.lower() not in FALSE:
            self.warn(name, "required", f"required as an expression ({value}) is not supported: imported as optional.")

    def read_only(self, entry: dict, name: str, bind: dict, kind: str) -> None:
        value = str(bind.get("readonly", "")).strip().lower()
        if kind in ("note", "calculate") or value in FALSE:
            return
        if value in TRUE:
            entry["read_only"] = True
        else:
            self.warn(name, "read_only", f"read_only as an expression ({value}) is not supported: not imported.")

    def default(self, entry: dict, name: str, value: Any, kind: str) -> None:
        if value in (None, ""):
            return
        if default_is_dynamic(str(value), kind):
            self.warn(name, "default", f"a computed default ({value}) is not supported: not imported.")
            return
        entry["default"] = str(value)

    def range_parameters(self, name: str, parameters: dict) -> dict:
        numbers = {"start": 1, "end": 10, "step": 1}
        for key in numbers:
            if key in parameters:
                try:
                    number = float(parameters[key])
                except (TypeError, ValueError):
                    self.warn(name, "parameters", f"range {key} {parameters[key]!r} is not a number: 1 to 10 used.")
                    return {"start": 1, "end": 10, "step": 1}
                numbers[key] = int(number) if number.is_integer() else number
        return numbers

    def choices(self, child: dict) -> list[dict] | None:
        itemset = str(child.get("itemset") or "")
        rows = child.get("choices")
        if rows is None and itemset and PurePath(itemset).suffix.lower() in (".csv", ".xml", ".geojson"):
            rows = self.file_choices(child.get("name"), itemset)
            if rows is None:
                return None
        result = []
        for row in rows or []:
            choice: dict[str, Any] = {
                "name": str(row.get("name")),
                "label": self.text(row.get("label")) or str(row.get("name")),
            }
            columns = {
                str(key): str(value)
                for key, value in row.items()
                if key not in ("name", "label", "media") and isinstance(value, str | int | float)
            }
            if columns:
                choice["columns"] = columns
            result.append(choice)
        return result or None

    def file_choices(self, name: str, itemset: str) -> list[dict] | None:
        """The rows of the CSV file of a select_one_from_file, uploaded beside the form."""
        data = self.files.get(itemset)
        if data is None:
            self.refusals.append(
                Issue(
                    "survey",
                    self.rows.get(name),
                    "type",
                    gettext(
                        "%(name)s takes its choices from the file %(file)s: upload it beside the form.",
                        name=name,
                        file=itemset,
                    ),
                )
            )
            return None
        if PurePath(itemset).suffix.lower() != ".csv":
            self.warn(name, "type", f"choices from {itemset}: only CSV files are read.")
            return None
        try:
            text = data.decode("utf-8-sig")
            reader = csv.DictReader(io.StringIO(text))
            rows = []
            for record in reader:
                row: dict[str, Any] = {}
                labels = {}
                for key, value in record.items():
                    if key is None:
                        continue
                    key = key.strip()
                    if key.lower().startswith("label::"):
                        labels[key.split("::", 1)[1].strip()] = value
                    elif key.lower() == "label":
                        row["label"] = value
                    else:
                        row[key] = value
                if labels:
                    row["label"] = labels if "label" not in row else {"default": row["label"], **labels}
                if row.get("name") not in (None, ""):
                    rows.append(row)
        except (UnicodeDecodeError, csv.Error) as error:
            self.refusals.append(
                Issue(
                    itemset,
                    None,
                    None,
                    gettext("%(file)s is not a UTF-8 CSV file: %(error)s", file=itemset, error=str(error)[:200]),
                )
            )
            return None
        if not rows or "name" not in (reader.fieldnames or []):
            self.refusals.append(
                Issue(itemset, 1, "name", gettext("%(file)s needs a name column and at least one row.", file=itemset))
            )
            return None
        return rows

    def expression(self, entry: dict, name: str, key: str, source: Any, column: str, columns: bool = False) -> None:
        if source in (None, ""):
            return
        text = _expression(source)
        try:
            parse(text, columns=columns)
        except ExpressionError as error:
            self.warn(name, column, f"{key} {source!r} not imported: {error}")
            return
        entry[key] = text

    def settle(self, definition: dict) -> dict:
        """Check the converted definition; report and remove what still does not hold (e.g. a condition naming a
        question that was not imported). Refuses only when problems remain that cannot be removed."""
        errors: dict = {}
        if not definition["questions"]:
            return definition
        for _ in range(10):
            errors = check_definition(definition)
            if not errors:
                return definition
            by_question = errors.get("questions", {})
            if not isinstance(by_question, dict) or set(errors) - {"questions"}:
                break
            for name, problems in by_question.items():
                for field_name, messages in problems.items():
                    for message in messages:
                        self.warn(name, field_name, f"{field_name}: {message} Not imported.")
                    _remove(definition["questions"], name, field_name)
        raise XLSFormError([*self.issues, Issue("survey", None, None, f"The form cannot be converted: {errors}")])


def _remove(entries: list, name: str, field_name: str) -> bool:
    """Drop one field of a question (or the question itself, for its name or type)."""
    for index, entry in enumerate(entries):
        if entry.get("name") == name:
            whole = field_name in ("name", "type", "choices", "_schema", "questions")
            if whole or (field_name == "calculation" and entry.get("type") == "calculate"):
                del entries[index]
            else:
                entry.pop(field_name, None)
            return True
        if _remove(entry.get("questions", []), name, field_name):
            return True
    return False
