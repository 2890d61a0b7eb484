"""The OGC API in process, on both backends: documents, items equal to the JSON API's, filters, CRS, paging and
the answers the standard asks for on bad input."""

import pytest

from maps.filters import MapFilters
from reports.cells import cell_indicators
from server.auth import scope_for
from tests.records_factory import LAT, LON, assistance_log, equipment_check, finding, reading, visit

OGC = "/api/v1/ogc"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3405 = "http://www.opengis.net/def/crs/EPSG/0/3405"
RECORD_COLLECTIONS = ("visits", "equipment-checks", "connectivity-readings", "assistance-logs", "findings")
ALL = ("sites", *RECORD_COLLECTIONS, "tickets", "admin-units", "dead-spot-cells")


@pytest.fixture
def world(client, two_provinces):
    """Both provinces of ``two_provinces``, plus records of every kind and readings (some dead) in Lao Cai."""
    home = two_provinces.home
    batch = [equipment_check(), assistance_log(), finding(), visit()]
    batch += [reading(observed_at=f"2026-11-0{day}T08:00:00+07:00") for day in range(1, 4)]
    batch += [
        reading(network="4g", signal_dbm=-80 - i, down_mbps=2.0 + i, lat=LAT + 0.0001 * i, lon=LON) for i in range(6)
    ]
    answer = client.post("/api/v1/sync", json={"records": batch}, headers=home.member_headers).get_json()
    assert answer["created"] == len(batch), answer
    return two_provinces


def get(client, path, headers, **params):
    return client.get(OGC + path, query_string=params, headers=headers)


def all_features(client, collection, headers, **params):
    """Every feature by following the next links (at most 50 pages)."""
    features, url = [], f"{OGC}/collections/{collection}/items"
    response = client.get(url, query_string=params, headers=headers)
    for _page in range(50):
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        features += body["features"]
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not following:
            return features
        response = client.get(following[0].removeprefix("http://localhost"), headers=headers)
    raise AssertionError("too many pages")


def test_landing_conformance_and_collections(client, world):
    headers = world.coordinator_headers
    landing = get(client, "/", headers).get_json()
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    conformance = get(client, "/conformance", headers).get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    collections = get(client, "/collections", headers).get_json()["collections"]
    assert [c["id"] for c in collections] == list(ALL)
    for described in collections:
        assert described["storageCrs"] == CRS84 and EPSG_3405 in described["crs"]
        assert any(link["rel"] == "items" for link in described["links"])
    api = get(client, "/api", headers)
    assert api.status_code == 200 and api.get_json()["openapi"].startswith("3.0")


def test_every_endpoint_needs_the_token(client, world):
    for path in (
        "/",
        "/conformance",
        "/collections",
        "/collections/sites",
        "/collections/sites/items",
        "/collections/sites/queryables",
        f"/collections/sites/items/{world.home.site.id}",
        "/api",
    ):
        response = client.get(OGC + path)
        assert response.status_code == 401, path
        assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("collection", RECORD_COLLECTIONS + ("sites",))
def test_items_are_the_json_api_list(client, world, collection):
    """Same features, same properties, for a person of each province."""
    for headers in (world.coordinator_headers, world.away.member_headers):
        listed = client.get(f"/api/v1/{collection}", query_string={"limit": 1000}, headers=headers).get_json()
        features = all_features(client, collection, headers, limit=3)
        assert [f["properties"] for f in features] == listed["items"]
        assert [f["id"] for f in features] == [item["id"] for item in listed["items"]]


def test_tickets_with_place_and_owner(client, world):
    headers = world.coordinator_headers
    listed = client.get("/api/v1/tickets", query_string={"limit": 500}, headers=headers).get_json()["items"]
    features = all_features(client, "tickets", headers, limit=2)
    assert sorted(f["id"] for f in features) == sorted(t["id"] for t in listed) and listed
    by_id = {t["id"]: t for t in listed}
    for feature in features:
        assert feature["properties"] == by_id[feature["id"]]
        assert {"owner_level", "owner_unit_code", "team_id", "admin_unit_code"} <= set(feature["properties"])
    away = all_features(client, "tickets", world.away.member_headers)
    assert {f["properties"]["province_code"] for f in away} == {"01"}


def test_another_province_sees_none_of_the_first(client, world):
    for collection in ALL:
        if collection == "admin-units":
            continue  # public reference data, the same for everyone (as GET /api/v1/admin-units)
        features = all_features(client, collection, world.away.member_headers, limit=100)
        assert all(f["properties"].get("province_code", "01") == "01" for f in features), collection
        assert collection != "dead-spot-cells" or features == []


def test_dead_spot_cells_carry_the_indicator_function_figures(client, world, db):
    features = all_features(client, "dead-spot-cells", world.coordinator_headers, limit=1)
    expected = cell_indicators(db.session, scope_for(world.coordinator), MapFilters())
    assert [f["id"] for f in features] == [row.key for row in expected] and expected
    for feature, figures in zip(features, expected, strict=True):
        assert {k: feature["properties"][k] for k in figures.as_dict()} == figures.as_dict()
        assert feature["geometry"]["type"] == "Polygon"
    one = get(client, f"/collections/dead-spot-cells/items/{expected[0].key}", world.coordinator_headers)
    assert one.status_code == 200 and one.get_json()["properties"]["readings"] == expected[0].readings
    assert (
        get(client, f"/collections/dead-spot-cells/items/{expected[0].key}", world.away.member_headers).status_code
        == 404
    )


def test_datetime_and_property_filters(client, world):
    headers = world.coordinator_headers
    november = all_features(client, "connectivity-readings", headers, datetime="2026-11-01/2026-11-02")
    assert len(november) == 2
    instant = all_features(client, "connectivity-readings", headers, datetime="2026-11-03T01:00:00Z")
    assert len(instant) == 1
    open_end = all_features(client, "connectivity-readings", headers, datetime="../2026-11-02T23:59:59Z")
    assert len(open_end) == 2
    dead = all_features(client, "connectivity-readings", headers, network="none")
    assert len(dead) == 3 and {f["properties"]["dead_spot"] for f in dead} == {True}
    cells = all_features(client, "dead-spot-cells", headers, network="4g")
    assert sum(f["properties"]["readings"] for f in cells) == 6
    assert sum(f["properties"]["dead_spots"] for f in cells) == 0
    queryables = get(client, "/collections/connectivity-readings/queryables", headers)
    assert queryables.headers["Content-Type"] == "application/schema+json"
    assert "none" in queryables.get_json()["properties"]["network"]["enum"]


def test_bbox_and_crs(client, world):
    headers = world.coordinator_headers
    site = world.home.site  # at 104.92, 21.72
    inside = all_features(client, "sites", headers, bbox="104.9,21.7,105,21.8")
    outside = all_features(client, "sites", headers, bbox="105,21.7,106,21.8")
    assert [f["id"] for f in inside] == [site.id] and outside == []
    lat_first = get(client, "/collections/sites/items", headers, crs=EPSG_4326).get_json()["features"][0]
    assert lat_first["geometry"]["coordinates"] == pytest.approx([21.72, 104.92])
    response = get(client, f"/collections/sites/items/{site.id}", headers, crs=EPSG_3405)
    assert response.headers["Content-Crs"] == f"<{EPSG_3405}>"
    easting, northing = response.get_json()["geometry"]["coordinates"]
    # VN-2000 / UTM 48N of 104.92 E, 21.72 N (PROJ, with the EPSG Helmert shift): metres
    assert easting == pytest.approx(491530.43, abs=0.5) and northing == pytest.approx(2401945.26, abs=0.5)
    in_vn2000 = all_features(client, "sites", headers, bbox="491000,2401500,492000,2402500", **{"bbox-crs": EPSG_3405})
    assert [f["id"] for f in in_vn2000] == [site.id]
    in_4326 = all_features(client, "sites", headers, bbox="21.7,104.9,21.8,105", **{"bbox-crs": EPSG_4326})
    assert [f["id"] for f in in_4326] == [site.id]


def test_paging_returns_each_feature_once(client, world):
    headers = world.coordinator_headers
    features = all_features(client, "connectivity-readings", headers, limit=2)
    ids = [f["id"] for f in features]
    assert len(ids) == 9 and len(set(ids)) == 9


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("/collections/nowhere", {}, 404),
        ("/collections/nowhere/items", {}, 404),
        ("/collections/sites/items/999999", {}, 404),
        ("/collections/sites/items", {"bbox": "1,2,3"}, 400),
        ("/collections/sites/items", {"bbox": "105,22,104,21"}, 400),
        ("/collections/sites/items", {"bbox": "a,b,c,d"}, 400),
        ("/collections/sites/items", {"bbox": "100,95,101,96"}, 400),
        ("/collections/visits/items", {"datetime": "yesterday"}, 400),
        ("/collections/visits/items", {"datetime": "2026-13-01"}, 400),
        ("/collections/visits/items", {"datetime": "2026-11-05/2026-11-01"}, 400),
        ("/collections/visits/items", {"datetime": "2026-11-01T10:00:00"}, 400),
        ("/collections/visits/items", {"limit": "0"}, 400),
        ("/collections/visits/items", {"limit": "many"}, 400),
        ("/collections/visits/items", {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, 400),
        ("/collections/visits/items", {"unknown": "1"}, 400),
        ("/collections/visits/items", {"network": "4g"}, 400),
        ("/collections/connectivity-readings/items", {"network": "6g"}, 400),
        ("/collections/visits/items", {"after": "not a cursor!"}, 400),
        ("/collections/visits/items", {"after": "eyJ4IjoxfQ"}, 400),
    ],
)
def test_bad_requests_get_the_status_the_standard_asks_for(client, world, path, params, status):
    response = get(client, path, world.coordinator_headers, **params)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["status"] == status and body["code"] in ("InvalidParameterValue", "NotFound") and body["description"]


def test_a_limit_over_the_maximum_is_read_as_the_maximum(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE_MAX", 4)
    response = get(client, "/collections/connectivity-readings/items", world.coordinator_headers, limit=100000)
    assert response.status_code == 200
    body = response.get_json()
    assert body["numberReturned"] == 4 == len(body["features"])
    following = [link["href"] for link in body["links"] if link["rel"] == "next"]
    assert following and "limit=4" in following[0]
