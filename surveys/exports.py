"""Exports of the responses to one survey version: a CSV (one row per response, a column per question; a repeat
as its own CSV, one row per entry) or an XLSX with one sheet for the responses and one per repeat. Headers and
chosen answers are labels in the chosen language; every text goes through the reports' spreadsheet sanitiser
(``reports.exports.spreadsheet_text``). Rows are read from the database in batches and written as they come."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.exports import cell_value, spreadsheet_text
from server.auth import Scope
from server.i18n import in_language
from server.labels import label
from server.models import Review, Team
from server.models.reviews import REVIEW_STATES
from surveys.definition import label_text
from surveys.models import SurveyResponse, SurveyVersion

BATCH = 500
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
META = ("response_id", "observed_at", "team", "commune", "site_id", "lat", "lon", "review_state", "corrects")
META_LABELS = {
    "response_id": _l("Response id"),
    "observed_at": _l("Observed at"),
    "team": _l("Team"),
    "commune": _l("Commune code"),
    "site_id": _l("Site id"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "review_state": _l("Review state"),
    "corrects": _l("Corrects response"),
    "entry": _l("Entry"),
}
LANGUAGES = ("vi", "en")


def _labels(language: str) -> tuple[dict, dict]:
    """Column and review-state labels in the export's language."""
    with in_language(language):
        return (
            {name: str(text) for name, text in META_LABELS.items()},
            {state: label(state, "review_state") for state in REVIEW_STATES},
        )


@dataclass
class Column:
    name: str
    header: str
    question: dict


def question_columns(entries: list, language: str) -> tuple[list[Column], dict[str, list[Column]]]:
    """The answer columns of the top level (groups flattened) and of each repeat, in the form's order."""
    top: list[Column] = []
    repeats: dict[str, list[Column]] = {}
    for entry in entries:
        kind = entry.get("type")
        if kind == "group":
            inner, inner_repeats = question_columns(entry.get("questions", []), language)
            top.extend(inner)
            repeats.update(inner_repeats)
        elif kind == "repeat":
            repeats[entry["name"]] = question_columns(entry.get("questions", []), language)[0]
            top.append(Column(entry["name"], _header(entry, language), entry))
        elif kind != "note":
            top.append(Column(entry["name"], _header(entry, language), entry))
    return top, repeats


def _header(entry: dict, language: str) -> str:
    text = label_text(entry.get("label"), language) if entry.get("label") else ""
    return f"{text} ({entry['name']})" if text else entry["name"]


def answer_text(question: dict, value, language: str):
    """What a person reads: choice labels in the language, numbers as numbers, points as 'lat lon'."""
    if value is None:
        return None
    if question.get("type") == "repeat":
        return len(value) if isinstance(value, list) else None
    choices = {c["name"]: label_text(c.get("label"), language) for c in question.get("choices") or []}
    if isinstance(value, list) and choices:
        return " | ".join(choices.get(item, str(item)) for item in value)
    if isinstance(value, str) and choices:
        return choices.get(value, value)
    if isinstance(value, dict) and "lat" in value:
        return f"{value['lat']} {value['lon']}"
    if isinstance(value, dict) and "points" in value:
        return "; ".join(" ".join(str(n) for n in point) for point in value["points"])
    return value


def _rows(session: Session, scope: Scope, version: SurveyVersion) -> Iterator[tuple]:
    query = (
        select(SurveyResponse, Team.name, func.coalesce(Review.state, "received"))
        .outerjoin(Team, Team.id == SurveyResponse.team_id)
        .outerjoin(Review, (Review.record_kind == "survey_response") & (Review.record_id == SurveyResponse.id))
        .where(SurveyResponse.survey_version_id == version.id)
        .where(scope.filter(SurveyResponse.admin_unit_code, SurveyResponse.province_code))
        .order_by(SurveyResponse.observed_at, SurveyResponse.id)
        .execution_options(yield_per=BATCH)
    )
    yield from session.execute(query)


def _meta(response: SurveyResponse, team: str | None, state: str, states: dict) -> list:
    return [
        str(response.id),
        response.observed_at.astimezone(LOCAL).isoformat(timespec="seconds"),
        team,
        response.admin_unit_code,
        response.site_id,
        response.lat,
        response.lon,
        states.get(state, state),
        str(response.corrects_id) if response.corrects_id else None,
    ]


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "vi"


def _csv_line(values: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        ["" if value is None else spreadsheet_text(cell_value(value)) for value in values]
    )
    return buffer.getvalue()


def csv_lines(
    session: Session, scope: Scope, version: SurveyVersion, language: str | None, repeat: str | None = None
) -> Iterator[bytes]:
    """The CSV (UTF-8 with a byte-order mark), line by line: the responses, or the entries of one repeat."""
    language = _language(language)
    top, repeats = question_columns(version.definition.get("questions", []), language)
    labels, states = _labels(language)
    if repeat is None:
        header = [labels[name] for name in META] + [c.header for c in top]
    else:
        header = [labels["response_id"], labels["entry"]] + [c.header for c in repeats[repeat]]

    def lines() -> Iterator[bytes]:
        yield ("\ufeff" + _csv_line(header)).encode()
        for response, team, state in _rows(session, scope, version):
            answers = response.answers or {}
            if repeat is None:
                values = [answer_text(c.question, answers.get(c.name), language) for c in top]
                yield _csv_line(_meta(response, team, state, states) + values).encode()
                continue
            for index, entry in enumerate(answers.get(repeat) or [], start=1):
                values = [answer_text(c.question, entry.get(c.name), language) for c in repeats[repeat]]
                yield _csv_line([str(response.id), index] + values).encode()

    return lines()


def xlsx_file(session: Session, scope: Scope, version: SurveyVersion, language: str | None) -> bytes:
    """An XLSX (written row by row in openpyxl's write-only mode): the responses, and a sheet per repeat."""
    language = _language(language)
    top, repeats = question_columns(version.definition.get("questions", []), language)
    labels, states = _labels(language)
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def row(sheet, values, header=False):
        cells = []
        for value in values:
            value = spreadsheet_text(cell_value(value), quote_formulas=False)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            if header:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    main = book.create_sheet(title="responses")
    row(main, [labels[name] for name in META] + [c.header for c in top], header=True)
    sheets = {}
    for name, columns in repeats.items():
        sheets[name] = book.create_sheet(title=name[:31])
        row(sheets[name], [labels["response_id"], labels["entry"]] + [c.header for c in columns], header=True)
    for response, team, state in _rows(session, scope, version):
        answers = response.answers or {}
        row(
            main,
            _meta(response, team, state, states)
            + [answer_text(c.question, answers.get(c.name), language) for c in top],
        )
        for name, columns in repeats.items():
            for index, entry in enumerate(answers.get(name) or [], start=1):
                row(
                    sheets[name],
                    [str(response.id), index] + [answer_text(c.question, entry.get(c.name), language) for c in columns],
                )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
