import pytest

from server.services.admin_units import import_boundaries
from tests.helpers import assert_problem, square, write_boundaries

SITE = {"name": "Thôn Tà Xi Láng", "kind": "village", "lat": 21.72, "lon": 104.91, "admin_unit_code": "04603"}


@pytest.fixture
def lead(make_user):
    """A team lead working in Lào Cai (province 15): may create and change sites there."""
    return make_user("team_lead", province="15")[1]


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def test_create_site_with_lat_lon_and_commune(client, lead):
    """Without boundaries the client names the commune; the province follows from it."""
    response = client.post("/api/v1/sites", json={**SITE, "attributes": {"households": 120}}, headers=lead)
    assert response.status_code == 201
    body = response.get_json()
    assert body["admin_unit_code"] == "04603" and body["province_code"] == "15"
    assert (body["lat"], body["lon"]) == pytest.approx((21.72, 104.91))
    assert body["attributes"] == {"households": 120}
    assert client.get(f"/api/v1/sites/{body['id']}", headers=lead).get_json() == body


def test_create_site_without_commune_or_boundary_takes_the_nearest_centroid(client, lead):
    """With no boundary and no code, the site takes the commune whose official centroid is nearest."""
    body = {key: value for key, value in SITE.items() if key != "admin_unit_code"}
    body.update(lat=21.481, lon=104.601)  # by Tà Xi Láng's centroid
    response = client.post("/api/v1/sites", json=body, headers=lead)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["admin_unit_code"] == "04603"


def test_site_inside_an_imported_boundary_gets_that_commune(client, db, lead, tmp_path):
    """When boundaries are loaded the commune is derived from the point, not from the client."""
    path = write_boundaries(
        tmp_path,
        [
            {"type": "Feature", "properties": {"code": "04603"}, "geometry": square(104.90, 21.70)},
            {"type": "Feature", "properties": {"code": "04630"}, "geometry": square(104.95, 21.70)},
        ],
    )
    import_boundaries(db.session, path)
    body = {"name": "Trạm y tế Tú Lệ", "kind": "health_station", "lat": 21.72, "lon": 104.97}
    response = client.post("/api/v1/sites", json=body, headers=lead)
    assert response.status_code == 201
    assert response.get_json()["admin_unit_code"] == "04630"
    contradicting = {**body, "admin_unit_code": "04603"}
    problem = assert_problem(client.post("/api/v1/sites", json=contradicting, headers=lead), 422)
    assert "04630" in problem["errors"]["admin_unit_code"][0]


def test_null_island_is_rejected(client, lead):
    """(0, 0) is a phone without a position fix, not a place."""
    problem = assert_problem(client.post("/api/v1/sites", json={**SITE, "lat": 0, "lon": 0}, headers=lead), 422)
    assert "lat" in problem["errors"]


def test_latitude_out_of_range_names_the_field(client, lead):
    """lat 100 is refused with the message under `lat`."""
    problem = assert_problem(client.post("/api/v1/sites", json={**SITE, "lat": 100}, headers=lead), 422)
    assert list(problem["errors"]) == ["lat"]


def test_patch_site(client, lead, make_site):
    """PATCH changes the name and moves the point, keeping what was not sent."""
    site = make_site()
    response = client.patch(
        f"/api/v1/sites/{site.id}", json={"name": "Thôn 2", "lat": 21.73, "kind": "school"}, headers=lead
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["kind"]) == ("Thôn 2", "school")
    assert (body["lat"], body["lon"]) == pytest.approx((21.73, 104.91))
    assert body["admin_unit_code"] == "04603"


def test_patch_cannot_move_a_site_out_of_scope(client, lead, make_site):
    """Moving a site to another province's commune is forbidden to a provincial team lead."""
    site = make_site()
    response = client.patch(
        f"/api/v1/sites/{site.id}", json={"lat": 21.03, "lon": 105.85, "admin_unit_code": "00070"}, headers=lead
    )
    assert_problem(response, 403)


def test_coordinator_deletes_a_site_and_team_lead_cannot(client, make_user, lead, make_site):
    """Deleting a site needs a coordinator (or admin); afterwards it is gone."""
    _, coordinator = make_user("coordinator", province="15")
    site = make_site()
    assert_problem(client.delete(f"/api/v1/sites/{site.id}", headers=lead), 403)
    assert client.delete(f"/api/v1/sites/{site.id}", headers=coordinator).status_code == 204
    assert_problem(client.get(f"/api/v1/sites/{site.id}", headers=coordinator), 404)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def test_list_filters_by_bbox(client, admin, make_site):
    """bbox=west,south,east,north keeps the sites whose point lies inside."""
    inside = make_site(lat=21.72, lon=104.91)
    make_site(lat=22.50, lon=104.91)
    make_site(commune="00070", lat=21.03, lon=105.85)
    assert ids(client.get("/api/v1/sites?bbox=104.8,21.6,105.0,21.8", headers=admin)) == [inside.id]
    assert_problem(client.get("/api/v1/sites?bbox=105,21,104,22", headers=admin), 422)


def test_list_filters_by_commune_or_province(client, admin, make_site):
    """admin_unit takes a commune code (that commune) or a province code (all its communes)."""
    first = make_site(commune="04603")
    second = make_site(commune="04630", lat=21.64, lon=104.29)
    make_site(commune="00070", lat=21.03, lon=105.85)
    assert ids(client.get("/api/v1/sites?admin_unit=04603", headers=admin)) == [first.id]
    assert ids(client.get("/api/v1/sites?admin_unit=15", headers=admin)) == [first.id, second.id]


def test_list_filters_by_kind(client, admin, make_site):
    """kind keeps one kind of site; an unknown kind is a 422."""
    make_site(kind="village")
    school = make_site(kind="school")
    assert ids(client.get("/api/v1/sites?kind=school", headers=admin)) == [school.id]
    assert "kind" in assert_problem(client.get("/api/v1/sites?kind=castle", headers=admin), 422)["errors"]


def test_keyset_pagination_walks_every_site_once(client, admin, make_site):
    """Following next_cursor pages through all sites with no duplicate and none missing."""
    made = [make_site(name=f"Thôn {n}").id for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/sites?limit=3" + (f"&after={cursor}" if cursor else "")
        body = client.get(url, headers=admin).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    assert pages == 3
    assert_problem(client.get("/api/v1/sites?after=abc", headers=admin), 422)


def test_geojson_endpoint(client, admin, make_site):
    """/sites.geojson is a FeatureCollection of points with the site fields as properties."""
    site = make_site()
    response = client.get("/api/v1/sites.geojson", headers=admin)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["id"] == site.id
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx([104.91, 21.72])
    assert feature["properties"]["admin_unit_code"] == "04603"


def test_geojson_by_accept_header(client, admin, make_site):
    """GET /sites with Accept: application/geo+json answers GeoJSON, paginated like the list."""
    for n in range(3):
        make_site(name=f"Thôn {n}")
    response = client.get("/api/v1/sites?limit=2", headers={**admin, "Accept": "application/geo+json"})
    assert response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert len(body["features"]) == 2 and body["next_cursor"]
