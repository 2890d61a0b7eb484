import pytest

from server.services.admin_units import import_boundaries
from tests.helpers import assert_problem, square, write_boundaries


@pytest.fixture
def member(make_user):
    """Admin units are reference data: any signed-in user may read all of them."""
    return make_user("field_member", province="15")[1]


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["code"] for item in response.get_json()["items"]]


def test_list_needs_a_token(client):
    """Reference data is not public either."""
    assert_problem(client.get("/api/v1/admin-units"), 401)


def test_list_provinces(client, member):
    """level=province lists the 34 provinces in code order."""
    found = codes(client.get("/api/v1/admin-units?level=province&limit=100", headers=member))
    assert len(found) == 34 and found == sorted(found)
    assert found[0] == "01"


def test_list_communes_of_a_province(client, member):
    """parent=15 lists only communes of Lào Cai."""
    response = client.get("/api/v1/admin-units?parent=15&limit=1000", headers=member)
    items = response.get_json()["items"]
    assert len(items) > 50
    assert {item["parent_code"] for item in items} == {"15"}
    assert {item["level"] for item in items} == {"commune"}
    assert "04603" in [item["code"] for item in items]


def test_list_by_name(client, member):
    """q matches names case-insensitively, including Vietnamese letters."""
    assert "00070" in codes(client.get("/api/v1/admin-units?q=hoàn kiếm", headers=member))
    assert codes(client.get("/api/v1/admin-units?q=Tà Xi Láng", headers=member)) == ["04603"]


def test_name_search_ignores_case_and_accents_on_both_backends(client, member):
    """Lower-case Vietnamese (Đ -> đ) and unaccented spellings find the unit on SpatiaLite as on PostGIS."""
    assert codes(client.get("/api/v1/admin-units?level=province&q=đà nẵng", headers=member)) == ["48"]
    assert codes(client.get("/api/v1/admin-units?level=province&q=ĐÀ NẴNG", headers=member)) == ["48"]
    assert codes(client.get("/api/v1/admin-units?q=ta xi lang", headers=member)) == ["04603"]


def test_list_rejects_an_unknown_level(client, member):
    """level must be province or commune."""
    problem = assert_problem(client.get("/api/v1/admin-units?level=district", headers=member), 422)
    assert "level" in problem["errors"]


def test_list_pages_with_cursor(client, member):
    """The next_cursor of one page starts the next page right after it."""
    first = client.get("/api/v1/admin-units?level=province&limit=10", headers=member).get_json()
    assert len(first["items"]) == 10 and first["next_cursor"]
    second = codes(
        client.get(f"/api/v1/admin-units?level=province&limit=10&after={first['next_cursor']}", headers=member)
    )
    assert second[0] > first["items"][-1]["code"] and len(second) == 10


def test_detail_by_code(client, member):
    """One unit by official code, with its parent and whether a boundary is loaded."""
    response = client.get("/api/v1/admin-units/04603", headers=member)
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Xã Tà Xi Láng" and body["parent_code"] == "15"
    assert body["has_boundary"] is False


def test_unknown_code_is_404(client, member):
    """An unknown code is a problem document naming the code."""
    problem = assert_problem(client.get("/api/v1/admin-units/99999", headers=member), 404)
    assert "99999" in problem["detail"]


def test_geojson_gives_boundaries_when_loaded(client, db, member, tmp_path):
    """admin-units.geojson returns the boundary of a unit that has one, and its centroid otherwise."""
    path = write_boundaries(
        tmp_path, [{"type": "Feature", "properties": {"code": "04603"}, "geometry": square(104.90, 21.70)}]
    )
    import_boundaries(db.session, path)
    response = client.get("/api/v1/admin-units.geojson?q=Tà Xi Láng", headers=member)
    assert response.mimetype == "application/geo+json"
    [feature] = response.get_json(force=True)["features"]
    assert feature["id"] == "04603"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["has_boundary"] is True
    other = client.get("/api/v1/admin-units.geojson?q=Tú Lệ", headers=member).get_json(force=True)["features"]
    assert other and all(feature["geometry"]["type"] == "Point" for feature in other)


def test_a_pre_2025_code_answers_with_its_successors(client, member):
    """An old commune code answers with valid_to and the current communes that replaced it (partial when split)."""
    whole = client.get("/api/v1/admin-units/00013", headers=member).get_json()
    assert (whole["name"], whole["historical"], whole["valid_to"]) == ("Phường Quán Thánh", True, "2025-06-30")
    assert whole["successors"] == [{"code": "00004", "name": "Phường Ba Đình", "partial": False}]
    split = client.get("/api/v1/admin-units/00016", headers=member).get_json()
    assert [(s["code"], s["partial"]) for s in split["successors"]] == [("00004", True), ("00008", True)]


def test_a_code_both_old_and_current_means_the_current_unit_unless_asked(client, member):
    """Old codes were reused: 00004 is Ba Đình now, and the old Phường Phúc Tân... only with historical=true."""
    current = client.get("/api/v1/admin-units/00004", headers=member).get_json()
    assert current["historical"] is False and current["valid_from"] == "2025-07-01" and current["valid_to"] is None
    old = client.get("/api/v1/admin-units/00004?historical=true", headers=member).get_json()
    assert old["historical"] is True and old["valid_to"] == "2025-06-30"


def test_name_search_without_diacritics_finds_current_and_old_units(client, member):
    """ "chau que" finds the old communes Châu Quế Thượng and Châu Quế Hạ, whose successor is listed."""
    answer = client.get("/api/v1/admin-units?q=chau que", headers=member).get_json()
    old = {unit["code"]: unit for unit in answer["historical"]}
    assert old["04384"]["name"] == "Xã Châu Quế Thượng"
    assert old["04384"]["successors"][0]["code"] == "04387"
    assert {unit["code"] for unit in answer["items"]} == {"04387"} or "04387" in old


def test_current_units_carry_centroid_and_area(client, member):
    """Each commune has the centroid and area of the official data."""
    unit = client.get("/api/v1/admin-units/04603", headers=member).get_json()
    assert unit["centroid"] == {"lat": 21.4804, "lon": 104.6} and unit["area_km2"] == pytest.approx(88.5022)


def test_operators_are_listed(client, member):
    """GET /operators lists Viet Nam's MCC-MNC codes from the package, Viettel, VinaPhone, MobiFone among them."""
    items = {op["code"]: op for op in client.get("/api/v1/operators", headers=member).get_json()["items"]}
    assert {"452-01", "452-02", "452-04", "452-05", "452-07", "452-08", "452-09"} <= set(items)
    assert items["452-01"]["name"] == "MobiFone" and items["452-04"]["name"].startswith("Viettel")
