"""Files made from report tables: spreadsheet formulas stay inert text, values keep their types."""

import csv
import io
import json
from datetime import UTC, datetime

from openpyxl import load_workbook

from reports.exports import Table, to_csv, to_geojson, to_xlsx

ROWS = [
    {"name": '=HYPERLINK("http://x","click")', "count": 3, "share": 0.25, "ok": True, "at": None},
    {"name": "-2+3", "count": -4, "share": None, "ok": False, "at": datetime(2026, 3, 1, 2, 0, tzinfo=UTC)},
    {"name": "Xã Tà Xi Láng", "count": 0, "share": 1.0, "ok": True, "at": None},
]
TABLE = Table("sample", ["name", "count", "share", "ok", "at"], ROWS)


def test_csv_makes_formulas_inert_and_keeps_numbers():
    """Text starting like a formula gets an apostrophe; negative numbers stay numbers; empty for None."""
    rows = list(csv.reader(io.StringIO(to_csv(TABLE).decode("utf-8-sig"))))
    assert rows[0] == ["name", "count", "share", "ok", "at"]
    assert rows[1][0] == '\'=HYPERLINK("http://x","click")'
    assert rows[2] == ["'-2+3", "-4", "", "false", "2026-03-01T02:00:00+00:00"]
    assert rows[3][0] == "Xã Tà Xi Láng"


def test_xlsx_stores_formula_like_text_as_text():
    """In the workbook the text is unchanged but typed as a string, never a formula."""
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE)))["sample"]
    cell = sheet["A2"]
    assert cell.value == ROWS[0]["name"] and cell.data_type == "s"
    assert [c.value for c in sheet[3]] == ["-2+3", -4, None, False, "2026-03-01T02:00:00+00:00"]


def test_geojson_without_geometry_has_null_geometry():
    """Rows with no known place still appear, with null geometry."""
    body = json.loads(to_geojson(TABLE))
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 3
    assert body["features"][0]["geometry"] is None
    assert body["features"][1]["properties"]["at"] == "2026-03-01T02:00:00+00:00"
