import uuid
from datetime import UTC, datetime, timedelta

import h3
import pytest

from tests.helpers import assert_problem, square, write_boundaries
from tests.records_factory import LAT, LON, assistance_log, equipment_check, finding, reading, visit, without_type

PATHS = {
    "visit": "visits",
    "equipment_check": "equipment-checks",
    "connectivity_reading": "connectivity-readings",
    "assistance_log": "assistance-logs",
    "finding": "findings",
}


@pytest.fixture
def member(make_user, make_site):
    site = make_site(commune="04603", lat=LAT, lon=LON)
    user, headers = make_user("field_member", province="15")
    return user, headers, site


def post(client, headers, record):
    return client.post(f"/api/v1/{PATHS[record['type']]}", json=without_type(record), headers=headers)


@pytest.mark.parametrize("build", [visit, equipment_check, reading, assistance_log, finding])
def test_each_kind_is_created_read_and_retried(client, member, build):
    """Create answers 201 with server fields; the same id again answers 200 with the stored record."""
    user, headers, _ = member
    record = build()
    created = post(client, headers, record)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["id"] == record["id"]
    assert body["admin_unit_code"] == "04603" and body["province_code"] == "15"
    assert body["team_id"] == user.team_id and body["author_id"] == user.id
    assert body["h3_cell"] == h3.latlng_to_cell(LAT, LON, 8)
    again = post(client, headers, record)
    assert again.status_code == 200 and again.get_json()["id"] == record["id"]
    detail = client.get(f"/api/v1/{PATHS[record['type']]}/{record['id']}", headers=headers)
    assert detail.status_code == 200 and detail.get_json()["lat"] == pytest.approx(LAT)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"lat": 0, "lon": 0}, "lat"),
        ({"observed_at": "2026-11-20T09:14:05"}, "observed_at"),
        ({"observed_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "observed_at"),
        ({"observed_at": "1970-01-01T00:00:00+00:00"}, "observed_at"),
        ({"network": "6g"}, "network"),
        ({"signal_dbm": 10}, "signal_dbm"),
        ({"down_mbps": -1, "network": "4g"}, "down_mbps"),
        ({"operator_code": "Viettel"}, "operator_code"),
        ({"operator": "x" * 101}, "operator"),
        ({"citizen_name": "Nguyễn Văn A"}, "citizen_name"),
        ({"id": "42"}, "id"),
    ],
)
def test_bad_readings_name_the_field(client, member, fields, field):
    _, headers, _ = member
    body = assert_problem(post(client, headers, reading(**fields)), 422)
    assert field in body["errors"], body


def test_assistance_logs_refuse_identity_numbers_and_impossible_counts(client, member):
    """Counts and services only: a 12-digit number in the outcome is refused, as is language > helped."""
    _, headers, _ = member
    body = assert_problem(post(client, headers, assistance_log(outcome="CCCD 001099012345 activated")), 422)
    assert "outcome" in body["errors"]
    body = assert_problem(post(client, headers, assistance_log(citizens_helped=3, language_support=5)), 422)
    assert "language_support" in body["errors"]


def test_assistance_logs_say_why_a_field_about_a_person_is_refused(client, member):
    """A notes or name field is refused as an unknown field would be, with a message saying that no personal data
    is kept there: in the request's language, from the single endpoint and from sync alike."""
    _, headers, _ = member
    body = assert_problem(post(client, headers, assistance_log(notes="Bà Lan, 0912 345 678", name="Lan")), 422)
    assert set(body["errors"]) == {"notes", "name"}
    assert "personal data" in body["errors"]["notes"][0]
    vietnamese = {**headers, "Accept-Language": "vi"}
    body = assert_problem(post(client, vietnamese, assistance_log(notes="Bà Lan")), 422)
    assert "dữ liệu cá nhân" in body["errors"]["notes"][0]
    answer = client.post("/api/v1/sync", json={"records": [assistance_log(notes="x")]}, headers=headers).get_json()
    assert answer["rejected"] == 1 and "personal data" in answer["results"][0]["errors"]["notes"][0]
    body = assert_problem(post(client, headers, visit(colour="red")), 422)
    assert body["errors"]["colour"] == ["Unknown field."]  # other kinds: the plain refusal


@pytest.mark.parametrize(
    "fields, dead",
    [
        ({"network": "none"}, True),
        ({"network": "4g", "signal_dbm": -121, "down_mbps": 3.0}, True),
        ({"network": "3g", "signal_dbm": -95, "down_mbps": 0.1}, True),
        ({"network": "4g", "signal_dbm": -95, "down_mbps": 12.5}, False),
        ({"network": "fixed_broadband", "down_mbps": 40.0}, False),
    ],
)
def test_dead_spot_is_derived_at_ingest(client, member, fields, dead):
    _, headers, _ = member
    response = post(client, headers, reading(**fields))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["dead_spot"] is dead


def test_dead_spot_thresholds_are_configurable(app, client, member):
    _, headers, _ = member
    saved = app.config["DEAD_SPOT_MAX_SIGNAL_DBM"]
    app.config["DEAD_SPOT_MAX_SIGNAL_DBM"] = -90
    try:
        response = post(client, headers, reading(network="4g", signal_dbm=-100, down_mbps=5.0))
    finally:
        app.config["DEAD_SPOT_MAX_SIGNAL_DBM"] = saved
    assert response.get_json()["dead_spot"] is True


def test_outside_the_country_is_a_warning_or_a_rejection(app, client, member):
    """By default a point outside Viet Nam is stored with a warning; configured to reject, it is refused."""
    _, headers, site = member
    record = reading(lat=13.75, lon=100.5, site_id=site.id)  # Bangkok, at a site of the team's commune
    body = client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()
    assert body["results"][0]["status"] == "created" and "lat" in body["results"][0]["warnings"]
    app.config["OUTSIDE_COUNTRY"] = "reject"
    try:
        body = client.post("/api/v1/sync", json={"records": [reading(lat=13.75, lon=100.5)]}, headers=headers)
    finally:
        app.config["OUTSIDE_COUNTRY"] = "warn"
    assert body.get_json()["results"][0]["status"] == "rejected"


def test_admin_unit_comes_from_the_boundary_when_loaded(db, client, member, tmp_path):
    """With boundaries loaded, a record gets the commune whose polygon contains it, not the site's."""
    from server.services.admin_units import import_boundaries

    _, headers, _ = member
    path = write_boundaries(
        tmp_path, [{"type": "Feature", "properties": {"code": "04630"}, "geometry": square(LON - 0.02, LAT - 0.02)}]
    )
    import_boundaries(db.session, path)
    body = post(client, headers, reading()).get_json()
    assert body["admin_unit_code"] == "04630"


def test_admin_unit_falls_back_to_the_site_then_the_nearest_centroid(client, member, make_site):
    """Without boundaries: the site's commune, else the commune whose official centroid is nearest."""
    _, headers, site = member
    other = make_site(commune="04630", lat=21.80, lon=104.80)
    at_site = post(client, headers, reading(site_id=other.id)).get_json()
    assert at_site["admin_unit_code"] == "04630"
    near_first = post(client, headers, reading(lat=LAT + 0.01)).get_json()
    assert near_first["admin_unit_code"] == site.admin_unit_code == "04603"
    near_second = post(client, headers, reading(lat=21.7832, lon=104.2601)).get_json()  # Tú Lệ's centroid
    assert near_second["admin_unit_code"] == "04630"


def test_unplaceable_record_is_rejected(client, make_user, make_team):
    """A point outside the country with no site and no boundary cannot be placed, whatever the team covers."""
    team = make_team(jurisdiction=["15", "08"])
    _, headers = make_user("field_member", team=team)
    body = assert_problem(post(client, headers, reading(lat=13.75, lon=100.5)), 422)
    assert "lat" in body["errors"]


def test_writing_outside_the_team_jurisdiction_is_forbidden(client, make_user, make_site):
    """A Lao Cai team member cannot record a point in Ha Noi."""
    make_site(commune="00070", lat=21.03, lon=105.85)
    _, headers = make_user("field_member", province="15")
    assert_problem(post(client, headers, reading(lat=21.03, lon=105.85)), 403)


def test_recording_for_another_team_is_forbidden(client, member, make_team):
    _, headers, _ = member
    other = make_team(jurisdiction=["15"])
    body = assert_problem(post(client, headers, reading(team_id=other.id)), 403)
    assert "team_id" in body["errors"]


def test_unknown_site_is_named(client, member):
    _, headers, _ = member
    assert "site_id" in assert_problem(post(client, headers, reading(site_id=999999)), 422)["errors"]


def test_coordinators_read_their_province_only(client, member, make_user):
    _, headers, _ = member
    record = reading()
    post(client, headers, record)
    _, lao_cai = make_user("coordinator", jurisdiction_code="15")
    _, ha_noi = make_user("coordinator", jurisdiction_code="01")
    url = f"/api/v1/connectivity-readings/{record['id']}"
    assert client.get(url, headers=lao_cai).status_code == 200
    assert_problem(client.get(url, headers=ha_noi), 404)
    assert client.get("/api/v1/connectivity-readings", headers=ha_noi).get_json()["items"] == []


def test_filters_and_keyset_pagination(client, member):
    """Filters by kind field, time and place; pages follow next_cursor without gaps or repeats."""
    _, headers, site = member
    records = [
        reading(
            observed_at=(datetime.now(UTC) - timedelta(hours=i)).isoformat(),
            network="4g" if i % 2 else "none",
            down_mbps=10.0 if i % 2 else None,
            signal_dbm=-80 if i % 2 else None,
            site_id=site.id if i < 4 else None,
        )
        for i in range(9)
    ]
    answer = client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()
    assert answer["created"] == 9, answer
    seen, cursor = [], None
    for _ in range(10):
        url = "/api/v1/connectivity-readings?limit=2" + (f"&after={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in records]
    dead = client.get("/api/v1/connectivity-readings?dead_spot=true", headers=headers).get_json()["items"]
    assert len(dead) == 5 and all(item["network"] == "none" for item in dead)
    assert len(client.get("/api/v1/connectivity-readings?network=4g", headers=headers).get_json()["items"]) == 4
    assert len(client.get(f"/api/v1/connectivity-readings?site={site.id}", headers=headers).get_json()["items"]) == 4
    since = (datetime.now(UTC) - timedelta(hours=2, minutes=30)).isoformat().replace("+", "%2B")
    assert len(client.get(f"/api/v1/connectivity-readings?since={since}", headers=headers).get_json()["items"]) == 3
    inside = client.get("/api/v1/connectivity-readings?bbox=104.58,21.46,104.62,21.5", headers=headers).get_json()
    outside = client.get("/api/v1/connectivity-readings?bbox=105.9,21.7,105.95,21.75", headers=headers).get_json()
    assert len(inside["items"]) == 9 and outside["items"] == []
    assert len(client.get("/api/v1/connectivity-readings?admin_unit=15", headers=headers).get_json()["items"]) == 9
    assert_problem(client.get("/api/v1/connectivity-readings?after=garbage", headers=headers), 422)


def test_equipment_and_findings_filters(client, member):
    _, headers, _ = member
    client.post(
        "/api/v1/sync",
        headers=headers,
        json={
            "records": [
                equipment_check(condition="broken"),
                equipment_check(condition="working", asset_kind="scanner"),
                finding(category="power", beyond_local_authority=True),
                finding(category="software"),
            ]
        },
    )
    broken = client.get("/api/v1/equipment-checks?condition=broken", headers=headers).get_json()["items"]
    assert [item["condition"] for item in broken] == ["broken"]
    escalated = client.get("/api/v1/findings?beyond_local_authority=true", headers=headers).get_json()["items"]
    assert [item["category"] for item in escalated] == ["power"]


def test_geojson_output(client, member):
    _, headers, _ = member
    record = finding()
    post(client, headers, record)
    body = client.get("/api/v1/findings.geojson", headers=headers)
    assert body.mimetype == "application/geo+json"
    feature = body.get_json()["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [LON, LAT]}
    assert feature["properties"]["description"] == record["description"]
    negotiated = client.get("/api/v1/findings", headers={**headers, "Accept": "application/geo+json"})
    assert negotiated.get_json()["type"] == "FeatureCollection"


def test_unknown_record_is_404(client, member):
    _, headers, _ = member
    assert_problem(client.get(f"/api/v1/visits/{uuid.uuid4()}", headers=headers), 404)
