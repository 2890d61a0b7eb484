"""Coverage evidence packages from demo-like data: figures equal the indicator function's for the same cells,
checksums verify, thresholds decide which cells qualify, bad operator 422, province outside the area 404."""

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from evidence.files import MANIFEST
from maps.filters import Area, MapFilters
from reports.cells import cell_indicators
from server.auth import scope_for
from tests.helpers import assert_problem
from tests.records_factory import reading

LAT, LON = 21.48, 104.60  # commune 04603, Lao Cai (15)
OTHER_CELL = (21.60, 104.70)


@pytest.fixture
def measured(client, make_team, make_user, app, monkeypatch):
    """Two teams of Lao Cai measure Viettel (452-04) in one place on four days (qualifies), and once elsewhere
    (does not); a MobiFone reading in the same place (another operator: left out)."""
    monkeypatch.setitem(app.config, "EVIDENCE_MIN_READINGS", 6)
    monkeypatch.setitem(app.config, "EVIDENCE_MIN_DAYS", 3)
    monkeypatch.setitem(app.config, "EVIDENCE_MIN_TEAMS", 2)
    now = datetime.now(UTC)
    coordinator, coordinator_headers = make_user("coordinator", province="15")
    for team_number in range(2):
        _, headers = make_user("field_member", team=make_team(["15"]))
        batch = []
        for day in range(4):
            moment = (now - timedelta(days=day + 1, hours=team_number)).isoformat()
            batch.append(reading(observed_at=moment, lat=LAT, lon=LON))
            batch.append(reading(observed_at=moment, lat=LAT, lon=LON, network="4g", signal_dbm=-90 - day,
                                 down_mbps=1.0 + day))  # fmt: skip
        batch.append(reading(lat=OTHER_CELL[0], lon=OTHER_CELL[1], network="4g", signal_dbm=-80, down_mbps=9.0))
        batch.append(reading(lat=LAT, lon=LON, operator_code="452-01", operator="MobiFone"))
        answer = client.post("/api/v1/sync", json={"records": batch}, headers=headers).get_json()
        assert answer["created"] == len(batch), answer
    return coordinator, coordinator_headers


def test_the_summary_has_the_indicator_function_figures(client, db, measured):
    coordinator, headers = measured
    body = client.get(
        "/api/v1/coverage-evidence", query_string={"province": "15", "operator": "452-04"}, headers=headers
    ).get_json()
    filters = MapFilters(area=Area(province="15"), operator_code="452-04")
    expected = {row.key: row.as_dict() for row in cell_indicators(db.session, scope_for(coordinator), filters)}
    cells = body["qualifying_cells"] + body["not_qualifying_cells"]
    assert {cell["cell"] for cell in cells} == set(expected) and len(expected) == 2
    for cell in cells:
        assert {name: cell[name] for name in expected[cell["cell"]]} == expected[cell["cell"]]
    (qualifying,) = body["qualifying_cells"]
    assert (qualifying["readings"], qualifying["dead_spots"], qualifying["days"], qualifying["teams"]) == (16, 8, 4, 2)
    assert qualifying["signal_dbm_median"] == -91.5 and qualifying["down_mbps_p10"] == pytest.approx(1.0)
    assert len(body["not_qualifying_cells"]) == 1 and body["readings"] == 18
    assert body["thresholds"] == {"min_readings": 6, "min_days": 3, "min_teams": 2}
    assert [commune["commune"] for commune in body["communes"]] == ["04603"] or body["communes"]


def test_the_zip_checksums_verify_and_its_files_agree(client, measured):
    _, headers = measured
    params = {"province": "15", "operator": "452-04", "format": "zip"}
    response = client.get("/api/v1/coverage-evidence", query_string=params, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = set(archive.namelist())
    assert {"summary.html", "cells.geojson", "cells.csv", "cells_not_qualifying.csv", "communes.csv",
            "methodology.json", MANIFEST} <= names  # fmt: skip
    listed = {}
    for line in archive.read(MANIFEST).decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == names - {MANIFEST}
    for name, digest in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    cells = json.loads(archive.read("cells.geojson"))
    summary = json.loads(archive.read("summary.json"))
    assert [f["properties"] for f in cells["features"]] == summary["qualifying_cells"]
    html = archive.read("summary.html").decode()
    assert 'lang="vi"' in html and "<svg" in html and "Bằng chứng vùng phủ sóng" in html


def test_an_unknown_operator_is_422_and_a_province_outside_the_area_404(client, measured):
    _, headers = measured
    unknown = client.get(
        "/api/v1/coverage-evidence", query_string={"province": "15", "operator": "452-99"}, headers=headers
    )
    assert "operator" in assert_problem(unknown, 422)["errors"]
    outside = client.get(
        "/api/v1/coverage-evidence", query_string={"province": "01", "operator": "452-04"}, headers=headers
    )
    assert_problem(outside, 404)
    assert (
        client.get("/api/v1/coverage-evidence", query_string={"province": "15", "operator": "452-04"}).status_code
        == 401
    )


def test_the_page_builds_a_package(client, measured):
    _, headers = measured
    page = client.get("/reports/coverage-evidence/", headers={**headers, "Accept-Language": "vi"})
    assert page.status_code == 200 and "Bằng chứng vùng phủ sóng" in page.get_data(as_text=True)
    params = {"province": "15", "operator": "452-04"}
    shown = client.get("/reports/coverage-evidence/", query_string=params, headers=headers)
    assert shown.status_code == 200 and "18" in shown.get_data(as_text=True)
    download = client.get("/reports/coverage-evidence/", query_string={**params, "download": "1"}, headers=headers)
    assert download.mimetype == "application/zip"
    assert "summary.html" in zipfile.ZipFile(io.BytesIO(download.get_data())).namelist()
    unknown = client.get("/reports/coverage-evidence/", query_string={**params, "operator": "452-99"}, headers=headers)
    assert unknown.status_code == 200 and "452-99" in unknown.get_data(as_text=True)
