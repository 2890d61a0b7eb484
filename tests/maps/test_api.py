"""The map data as GeoJSON under /api/v1/maps: shape, scope, errors and the OpenAPI document."""

import h3
import pytest

from server.services.calendar import VIETNAM
from tests.helpers import assert_problem
from tests.maps import factory
from tests.maps.factory import KHAO_MANG, LAO_CAI, TU_LE, TUYEN_QUANG

GEOJSON = "application/geo+json"


def collection(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == GEOJSON
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    return body


@pytest.mark.usefixtures("field_data")
def test_dead_spot_hexagons(client, make_user):
    """Hexagons as GeoJSON polygons with counts; resolution from the area or asked for."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    body = collection(client.get("/api/v1/maps/dead-spots", headers=headers))
    assert body["readings"] == 4 and body["dead_spots"] == 2 and body["resolution"] == 6
    assert sum(f["properties"]["readings"] for f in body["features"]) == 4
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert h3.get_resolution(feature["properties"]["cell"]) == 6
    commune = collection(client.get(f"/api/v1/maps/dead-spots?commune={KHAO_MANG}", headers=headers))
    assert commune["resolution"] == 8
    assert commune["features"][0]["properties"]["dead_spot_share"] == pytest.approx(2 / 3, abs=1e-3)
    zoomed = collection(client.get("/api/v1/maps/dead-spots?zoom=9", headers=headers))
    assert zoomed["resolution"] == 7
    explicit = collection(client.get("/api/v1/maps/dead-spots?resolution=12", headers=headers))
    assert explicit["resolution"] == 8  # never finer than stored
    none_network = collection(client.get("/api/v1/maps/dead-spots?network=none", headers=headers))
    assert none_network["readings"] == 2


@pytest.mark.usefixtures("field_data")
def test_equipment_sites(client, make_user):
    """Sites as points with their assets' latest condition; user text returned as typed (JSON is not HTML)."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    body = collection(client.get("/api/v1/maps/equipment", headers=headers))
    by_name = {f["properties"]["name"].split(" ")[0]: f for f in body["features"]}
    assert set(by_name) == {"School", "Centre"}
    school = by_name["School"]["properties"]
    assert school["worst_condition"] == "broken"
    assert school["assets"][0]["notes"].endswith("<script>window.__pwned = 1</script>")
    assert by_name["School"]["geometry"] == {"type": "Point", "coordinates": [104.1, 21.8]}
    computers = collection(client.get("/api/v1/maps/equipment?asset_kind=computer", headers=headers))
    assert {f["properties"]["worst_condition"] for f in computers["features"]} == {None, "working"}


@pytest.mark.usefixtures("field_data")
def test_open_tickets(client, make_user):
    """Open tickets with priority and overdue state, overdue first."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    body = collection(client.get("/api/v1/maps/tickets", headers=headers))
    assert body["total"] == 2 and body["overdue"] == 1 and body["truncated"] is False
    first, second = (f["properties"] for f in body["features"])
    assert first["overdue"] is True and first["priority"] == "high"
    assert second["title"] == "Antenna" and second["overdue"] is False
    only = collection(client.get("/api/v1/maps/tickets?category=power", headers=headers))
    assert only["features"] == [] and only["total"] == 0


@pytest.mark.usefixtures("field_data")
def test_commune_indicators(client, make_user):
    """Every commune of the area with the three indicators; the chosen one as `value`."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    body = collection(
        client.get(f"/api/v1/maps/communes?province={LAO_CAI}&indicator=overdue_tickets", headers=headers)
    )
    communes = {f["id"]: f for f in body["features"]}
    assert body["indicator"] == "overdue_tickets" and body["boundaries"] == 0
    assert communes[KHAO_MANG]["properties"]["value"] == 1
    assert communes[KHAO_MANG]["properties"]["dead_spot_share"] == 0.666667  # 6 places, as on every report
    assert communes[KHAO_MANG]["properties"]["broken_equipment"] == 1
    assert communes[KHAO_MANG]["geometry"]["type"] == "Point"
    assert communes[KHAO_MANG]["properties"]["geometry_source"] == "centroid"
    assert communes[KHAO_MANG]["properties"]["area_km2"] == 120.06
    assert communes[TU_LE]["properties"]["value"] == 0
    assert all(f["properties"]["code"] != "02266" for f in body["features"])


@pytest.mark.usefixtures("field_data")
def test_scope_and_errors(client, make_user):
    """A field member sees their province only; errors are problem documents."""
    _, member = make_user(role="field_member", province=LAO_CAI)
    body = collection(client.get("/api/v1/maps/dead-spots", headers=member))
    assert body["readings"] == 4
    _, admin = make_user(role="admin")
    assert collection(client.get("/api/v1/maps/dead-spots", headers=admin))["readings"] == 5
    assert_problem(client.get("/api/v1/maps/dead-spots"), 401)
    assert_problem(client.get(f"/api/v1/maps/tickets?province={TUYEN_QUANG}", headers=member), 404)
    assert_problem(client.get("/api/v1/maps/communes?indicator=nope", headers=member), 422)
    body = assert_problem(client.get("/api/v1/maps/equipment?since=2026-12-01&until=2026-11-01", headers=member), 422)
    assert "until" in body["errors"]
    mismatch = f"/api/v1/maps/dead-spots?province={TUYEN_QUANG}&commune={KHAO_MANG}"
    assert_problem(client.get(mismatch, headers=admin), 422)


def test_until_takes_in_the_whole_day(db, client, make_user):
    """`until=YYYY-MM-DD` includes that day (Viet Nam time); `since` starts at its midnight."""
    reading = factory.reading(db.session, KHAO_MANG, days_ago=0.5)
    db.session.flush()
    day = reading.observed_at.astimezone(VIETNAM).date().isoformat()
    _, headers = make_user(role="admin")
    assert collection(client.get(f"/api/v1/maps/dead-spots?since={day}&until={day}", headers=headers))["readings"] == 1


def test_openapi_documents_the_map_endpoints(client):
    """The four endpoints are in the OpenAPI document with bearer auth and a GeoJSON response."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for name in ("dead-spots", "equipment", "tickets", "communes"):
        operation = spec["paths"][f"/api/v1/maps/{name}"]["get"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert GEOJSON in operation["responses"]["200"]["content"]
        assert {"province", "commune", "since", "until"} <= {p["name"] for p in operation["parameters"]}
