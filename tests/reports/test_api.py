"""``/api/v1/reports/...``: jurisdiction, validation as problem documents naming the field, and downloads."""

import csv
import io
import json

import pytest
from geoalchemy2.shape import from_shape
from openpyxl import load_workbook
from shapely.geometry import MultiPolygon, Polygon

from server.models import AdminUnit
from tests.helpers import assert_problem
from tests.reports.conftest import C1, C2, OTHER, OTHER_PROVINCE, PROVINCE

BASE = "/api/v1/reports"


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", jurisdiction_code=PROVINCE)[1]


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


@pytest.fixture
def window(period):
    return {"since": period.since.isoformat(), "until": period.until.isoformat()}


def get(client, path, headers, **query):
    return client.get(f"{BASE}/{path}", headers=headers, query_string=query)


def test_reports_need_a_token(client):
    """No bearer token, no report."""
    for path in (
        "indicators",
        "investment-priorities",
        "plan?budget=1",
        "on-time",
        "assistance",
        "unvisited",
        "operators",
    ):
        assert_problem(client.get(f"{BASE}/{path}"), 401)


def test_indicators_in_the_callers_jurisdiction(client, world, coordinator, admin, window):
    """A Lao Cai coordinator gets Lao Cai's communes only; an administrator gets every province's."""
    response = get(client, "indicators", coordinator, **window)
    assert response.status_code == 200
    body = response.get_json()
    rows = {row["commune_code"]: row for row in body["items"]}
    assert rows[C1]["dead_spot_share"] == 0.4 and rows[C1]["on_time_rate"] == pytest.approx(0.666667)
    assert OTHER not in rows and {row["province_code"] for row in body["items"]} == {PROVINCE}
    everywhere = get(client, "indicators", admin, level="province", **window).get_json()["items"]
    assert {PROVINCE, OTHER_PROVINCE} <= {row["province_code"] for row in everywhere}
    assert len(everywhere) == 34


def test_area_outside_jurisdiction_is_not_found(client, world, coordinator):
    """Another province, or a commune of it, does not exist for the caller."""
    assert_problem(get(client, "indicators", coordinator, province=OTHER_PROVINCE), 404)
    assert_problem(get(client, "investment-priorities", coordinator, commune=OTHER), 404)


@pytest.mark.parametrize("query", [{"province": "99"}, {"commune": "99999"}, {"commune": "08001"}])
def test_unknown_area_is_not_found_on_reports_and_maps_alike(client, admin, query):
    """An unknown province or commune is a 404 on every report and map (it used to be a 422 on reports and a
    404 on maps: one resolver now answers for both)."""
    assert_problem(get(client, "indicators", admin, **query), 404)
    assert_problem(client.get("/api/v1/maps/communes", query_string=query, headers=admin), 404)


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("indicators", {"province": "1"}, "province"),
        ("indicators", {"commune": "0460"}, "commune"),
        ("indicators", {"province": OTHER_PROVINCE, "commune": C1}, "commune"),
        ("indicators", {"since": "2026-01-01T00:00:00"}, "since"),
        ("indicators", {"since": "2026-03-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}, "since"),
        ("indicators", {"format": "pdf"}, "format"),
        ("indicators", {"level": "village"}, "level"),
        ("plan", {}, "budget"),
        ("plan", {"budget": "0"}, "budget"),
        ("plan", {"budget": "-5"}, "budget"),
        ("plan", {"budget": "1000", "cost_tower": "0"}, "cost_tower"),
        ("investment-priorities", {"weight_dead_spot_share": "-1"}, "weight_dead_spot_share"),
        ("on-time", {"group_by": "team", "format": "geojson"}, "format"),
        ("assistance", {"format": "geojson"}, "format"),
        ("assistance", {"group_by": "week,colour"}, "group_by"),
        ("unvisited", {"days": "0"}, "days"),
    ],
)
def test_invalid_queries_are_problems_naming_the_field(client, admin, path, query, field):
    """Every bad parameter is a 422 problem document whose errors name it."""
    body = assert_problem(get(client, path, admin, **query), 422)
    assert field in body["errors"], body


def test_all_zero_weights_are_refused(client, admin):
    """At least one weight must count."""
    zero = {f"weight_{name}": "0" for name in ("dead_spot_share", "people_affected", "broken_equipment")}
    zero.update({f"weight_{name}": "0" for name in ("open_tickets", "overdue_tickets", "assistance_demand")})
    body = assert_problem(get(client, "investment-priorities", admin, **zero), 422)
    assert "weight_dead_spot_share" in body["errors"]


def test_priorities_show_parts_weights_and_method(client, world, coordinator, window):
    """Every row lists its parts with raw, normalised, weight and contribution; weights are parameters."""
    body = get(client, "investment-priorities", coordinator, weight_dead_spot_share="1", **window).get_json()
    assert body["total"] == 3 and [p["name"] for p in body["parts"]][0] == "dead_spot_share"
    assert body["parts"][0]["weight"] == 1.0 and "normalised" in body["method"]
    top = body["items"][0]
    assert top["code"] == C2 and top["score"] == pytest.approx(1.0)
    assert {"name", "raw", "normalised", "weight", "contribution", "note"} <= set(top["parts"][0])
    assert sum(part["contribution"] for part in top["parts"]) == pytest.approx(top["score"])


def test_plan_endpoint_stays_within_budget(client, world, coordinator, window):
    """A plan for 100 million VND: equipment only (towers cost more), within budget, with the comparison."""
    body = get(client, "plan", coordinator, budget="100000000", **window).get_json()
    assert body["total_cost"] <= body["budget"] == 100_000_000
    assert {item["intervention"] for item in body["items"]} == {"equipment"}
    assert body["items"][0]["quantity"] == 2 and body["items"][0]["cost"] == 30_000_000
    assert body["rank_by_score"]["total_cost"] <= body["budget"]
    assert "knapsack" in body["method"] and body["costs"]["tower"] == 2_500_000_000


def test_on_time_assistance_unvisited_and_equipment(client, world, coordinator, window):
    """The other tables answer with their rows."""
    teams = get(client, "on-time", coordinator, group_by="team", **window).get_json()["items"]
    assert {row["team_name"]: row["on_time_rate"] for row in teams}["Team A"] == 0.5
    assistance = get(client, "assistance", coordinator, group_by="service", **window).get_json()
    assert assistance["group_by"] == ["service"]
    assert [(r["service"], r["citizens_helped"]) for r in assistance["items"]] == [("digital_id", 14), ("e_payment", 6)]
    unvisited = get(client, "unvisited", coordinator, days="30").get_json()
    assert C2 in {row["commune_code"] for row in unvisited["communes"]}
    assert unvisited["provinces"][0]["province_code"] == PROVINCE
    assets = get(client, "equipment", coordinator, commune=C1, **window).get_json()["items"]
    assert assets[0]["repeat_failure"] is True


def test_csv_download(client, world, coordinator, window):
    """CSV with a byte-order mark, a file name, a header row and one row per commune."""
    response = get(client, "indicators", coordinator, province=PROVINCE, format="csv", **window)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="fieldops-indicators-commune-15-' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    c1 = next(row for row in rows if row["commune_code"] == C1)
    assert (c1["dead_spot_share"], c1["population"], c1["commune_name"]) == ("0.4", "5000", "Xã Tà Xi Láng")
    assert next(row for row in rows if row["commune_code"] == C2)["population"] == ""


def test_xlsx_download(client, world, coordinator, window):
    """XLSX with the same columns; the ranking's notes explain the score."""
    response = get(client, "investment-priorities", coordinator, format="xlsx", **window)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["investment-priorities"]
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == ["rank", "place_kind", "code", "name", "province_code", "province_name", "population", "score"]
    assert "dead_spot_share_contribution" in header
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["code"] == C2 and values["score"] == pytest.approx(0.3)
    assert "sum of contributions" in workbook["notes"]["A1"].value


def test_geojson_download(client, db, world, coordinator, window):
    """Communes with a boundary carry it; communes without have their centroid; H3 cells are hexagons."""
    square = Polygon([(104.9, 21.7), (104.95, 21.7), (104.95, 21.75), (104.9, 21.75)])
    db.session.get(AdminUnit, C1).boundary = from_shape(MultiPolygon([square]), srid=4326)
    db.session.flush()
    response = get(client, "investment-priorities", coordinator, format="geojson", **window)
    assert response.mimetype == "application/geo+json"
    features = {f["properties"]["code"]: f for f in json.loads(response.data)["features"]}
    assert features[C1]["geometry"]["type"] == "MultiPolygon"
    assert features[C2]["geometry"]["type"] == "Point"
    cell = next(f for f in features.values() if f["properties"]["place_kind"] == "h3_cell")
    assert cell["geometry"]["type"] == "Polygon" and len(cell["geometry"]["coordinates"][0]) == 7
    assert features[C1]["properties"]["score"] == pytest.approx(0.237)


def test_plan_download_lists_what_each_item_closes(client, world, coordinator, window):
    """The plan as CSV: one line per intervention with its cost and the parts it closes."""
    response = get(client, "plan", coordinator, budget="100000000", format="csv", **window)
    [item] = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert (item["intervention"], item["cost"], item["code"]) == ("equipment", "30000000", C1)
    assert item["closes"].startswith("part=broken_equipment")


def test_openapi_documents_reports_with_bearer_auth(client):
    """Each report is in the OpenAPI document, requires the bearer scheme and documents its downloads."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for name in ("indicators", "investment-priorities", "plan", "on-time", "assistance", "unvisited", "equipment"):
        operation = spec["paths"][f"{BASE}/{name}"]["get"]
        assert operation["security"] == [{"bearerAuth": []}]
        content = set(operation["responses"]["200"]["content"])
        assert {"application/json", "text/csv"} <= content
        # Assistance rows are not places: GeoJSON is refused (422), so not documented.
        assert ("application/geo+json" in content) == (name != "assistance"), name
        assert "422" in operation["responses"]


def test_report_paths_form_a_valid_openapi_document(client):
    """The reports' part of the document is valid OpenAPI 3 on its own (parameters, defaults, download types)."""
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    spec["paths"] = {path: item for path, item in spec["paths"].items() if path.startswith(BASE)}
    assert len(spec["paths"]) == 9
    validate(spec)


def test_connectivity_by_operator(client, make_user):
    """Readings are grouped by operator code and named from the operator table, dead-spot share per operator."""
    from tests.records_factory import reading

    _, member = make_user("field_member", province="15")
    _, coordinator = make_user("coordinator", jurisdiction_code="15")
    batch = [
        reading(operator_code="452-04", operator="", network="none"),
        reading(operator_code="452-04", operator="", network="4g", down_mbps=20.0, signal_dbm=-80),
        reading(operator_code="452-01", operator="", network="4g", down_mbps=20.0, signal_dbm=-80),
    ]
    assert client.post("/api/v1/sync", json={"records": batch}, headers=member).get_json()["created"] == 3
    answer = get(client, "operators", coordinator)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows = {row["operator_code"]: row for row in answer.get_json()["items"]}
    assert rows["452-04"]["operator_name"].startswith("Viettel") and rows["452-04"]["readings"] == 2
    assert rows["452-04"]["dead_spot_share"] == 0.5
    assert (rows["452-01"]["operator_name"], rows["452-01"]["dead_spot_readings"]) == ("MobiFone", 0)
    csv_text = get(client, "operators", coordinator, format="csv").get_data(as_text=True)
    assert "operator_code" in csv_text and "452-01" in csv_text
