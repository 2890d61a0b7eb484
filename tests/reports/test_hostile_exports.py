"""Control characters in any text that reaches a spreadsheet never break an XLSX (or CSV) export."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from reports.exports import Table, spreadsheet_text, to_csv, to_xlsx
from server.models import AdminUnit, EquipmentCheck, Site, Team
from tests.reports.conftest import C1, PROVINCE

# U+0001..U+001F except tab, line feed and carriage return: what a workbook cannot hold.
CONTROL = "".join(chr(code) for code in range(1, 32) if chr(code) not in "\t\n\r")
HOSTILE = f"Xã{CONTROL} Tà Xi Láng"


def xlsx_reports(client) -> list[tuple[str, dict]]:
    """Every report path offering ``format=xlsx``, from the OpenAPI document, with its required parameters (the
    survey response export, whose path names a survey, is checked in tests/surveys/test_exports.py)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = []
    for path, item in spec["paths"].items():
        if "{" in path:
            continue
        parameters = item.get("get", {}).get("parameters", [])
        if any(p["name"] == "format" and "xlsx" in p.get("schema", {}).get("enum", []) for p in parameters):
            required = {p["name"]: p["schema"].get("example", 1_000_000_000) for p in parameters if p.get("required")}
            paths.append((path, required))
    assert len(paths) >= 5, paths
    return paths


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", jurisdiction_code=PROVINCE)[1]


class TestControlCharactersInExports:
    def test_every_xlsx_export_survives_control_characters(self, client, db, world, coordinator, period):
        """Commune, site, team and asset names full of control characters: every XLSX report is a 200 workbook
        whose cells hold the text without them."""
        for model in (AdminUnit, Site, Team):
            db.session.execute(update(model).values(name=model.name + CONTROL))
        db.session.execute(update(EquipmentCheck).values(asset_label=EquipmentCheck.asset_label + CONTROL))
        db.session.execute(update(AdminUnit).where(AdminUnit.code == C1).values(name=HOSTILE))
        db.session.flush()
        window = {"since": period.since.isoformat(), "until": period.until.isoformat(), "format": "xlsx"}
        for path, required in xlsx_reports(client):
            response = client.get(path, headers=coordinator, query_string={**required, **window})
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
            workbook = load_workbook(io.BytesIO(response.data))
            texts = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
            assert not any(isinstance(text, str) and set(text) & set(CONTROL) for text in texts), path

    def test_one_sanitiser_for_both_formats(self):
        """The same text loses its control characters in CSV and XLSX; CSV also quotes formulas."""
        table = Table(name="t", columns=["name"], rows=[{"name": HOSTILE}, {"name": f"={CONTROL}1+1"}])
        sheet = load_workbook(io.BytesIO(to_xlsx(table)))["t"]
        assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Xã Tà Xi Láng", "=1+1"]
        assert to_csv(table).decode("utf-8-sig").splitlines()[1:] == ["Xã Tà Xi Láng", "'=1+1"]
        assert spreadsheet_text("a\tb\nc") == "a\tb\nc" and spreadsheet_text(3) == 3
