"""Report tables as CSV, XLSX and GeoJSON files (bytes; no web framework here).

Every text bound for a spreadsheet goes through ``spreadsheet_text``: control characters a workbook cannot hold
(U+0000..U+001F but tab, line feed and carriage return) are dropped, and text a spreadsheet would run as a
formula (starting with ``= + - @``, tab or carriage return) gets a leading apostrophe (OWASP's advice). XLSX
cells are typed as text as well."""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMATS = ("json", "csv", "xlsx", "geojson")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """A flat table: ``columns`` in order, ``rows`` as dicts; ``geometry`` gives a row's GeoJSON geometry."""

    name: str
    columns: list[str]
    rows: list[dict]
    geometry: Callable[[dict], dict | None] | None = None
    title: str = ""
    notes: list[str] = field(default_factory=list)
    # For people's downloads: the header of a column, and a cell's label (codes stay codes in the API's files).
    header: Callable[[str], str] | None = None
    cell: Callable[[str, object], object] | None = None

    def headers(self) -> list[str]:
        return [self.header(column) if self.header else column for column in self.columns]

    def value(self, row: dict, column: str):
        value = row.get(column)
        return self.cell(column, value) if self.cell else value


def cell_value(value):
    """A JSON-, CSV- and spreadsheet-friendly value: ISO text for times, ``a=1; b=2`` for lists of parts."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(
            ", ".join(f"{k}={v}" for k, v in item.items()) if isinstance(item, dict) else str(item) for item in value
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def spreadsheet_text(value, quote_formulas: bool = True):
    """Text made safe for a spreadsheet cell (see the module docstring); other values pass unchanged.
    ``quote_formulas=False`` where the cell is typed as text anyway (XLSX), so the text stays as it was."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if quote_formulas and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs show Vietnamese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(column) for column in table.headers()])
    for row in table.rows:
        writer.writerow([_csv_cell(table.value(row, column)) for column in table.columns])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_text(cell_value(value))


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31] or "report")
    bold = Font(bold=True)
    header = []
    for column in table.headers():
        cell = WriteOnlyCell(sheet, value=spreadsheet_text(column, quote_formulas=False))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = spreadsheet_text(cell_value(table.value(row, column)), quote_formulas=False)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    if table.notes:
        notes = workbook.create_sheet(title="notes")
        for line in table.notes:
            cell = WriteOnlyCell(notes, value=spreadsheet_text(line, quote_formulas=False))
            cell.data_type = "s"
            notes.append([cell])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_geojson(table: Table) -> bytes:
    """A FeatureCollection (RFC 7946): every row a feature, its columns the properties."""
    features = []
    for row in table.rows:
        properties = {column: _json_value(row.get(column)) for column in table.columns}
        features.append(
            {
                "type": "Feature",
                "geometry": table.geometry(row) if table.geometry else None,
                "properties": properties,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def render(table: Table, format: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "geojson": to_geojson}[format](table)
