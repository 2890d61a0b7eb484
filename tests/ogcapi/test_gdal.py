"""GDAL's OAPIF driver (Debian's gdal-bin: ``ogrinfo``, ``ogr2ogr``) as a real client of the OGC API, against the
app served on a loopback port over its own database (SpatiaLite, and PostGIS when FIELDOPS_TEST_DATABASE_URL is
set): every collection read with a token gives exactly the features the JSON API gives the same person; without
a token GDAL gets 401; a person of another province gets none; 10,000 features page through once each."""

import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from maps.filters import MapFilters
from reports.cells import cell_indicators
from server.auth import Scope, issue_token, scope_for
from server.extensions import db
from server.models import User
from server.services.sites import create_site
from server.services.teams import create_team
from tests.browser import served
from tests.ogcapi.serving import app_with_units
from tests.records_factory import assistance_log, equipment_check, finding, visit

pytestmark = pytest.mark.slow

OGRINFO, OGR2OGR = shutil.which("ogrinfo"), shutil.which("ogr2ogr")
if OGRINFO is None or OGR2OGR is None:
    pytest.skip("GDAL client test: install gdal-bin (ogrinfo, ogr2ogr)", allow_module_level=True)

READINGS = 10_000
PAGE_SIZE = 1000  # GDAL asks for 10 features a page unless told; QGIS users set theirs
LAT, LON = 21.48, 104.60  # by the official centroid of commune 04603 (Lao Cai, 15)
COLLECTIONS = {
    "sites": "/api/v1/sites",
    "visits": "/api/v1/visits",
    "equipment-checks": "/api/v1/equipment-checks",
    "connectivity-readings": "/api/v1/connectivity-readings",
    "assistance-logs": "/api/v1/assistance-logs",
    "findings": "/api/v1/findings",
    "tickets": "/api/v1/tickets",
    "admin-units": "/api/v1/admin-units",
    "dead-spot-cells": None,  # no JSON list: compared with reports.cells.cell_indicators
}


def readings(now: datetime, count: int) -> list[dict]:
    """Readings around the site within about 2 km, one in four without service."""
    batch = []
    for index in range(count):
        dead = index % 4 == 0
        batch.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(minutes=index + 1)).isoformat(),
                "lat": round(LAT - 0.01 + (index % 100) * 0.0002, 6),
                "lon": round(LON - 0.01 + (index // 100) * 0.0002, 6),
                "network": "none" if dead else "4g",
                "operator_code": "452-04",
                "operator": "Viettel",
                "signal_dbm": None if dead else -70 - index % 40,
                "down_mbps": None if dead else round(0.5 + (index % 50) / 5, 2),
                "up_mbps": None,
                "latency_ms": None,
                "power_available": True,
            }
        )
    return batch


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def live(request, tmp_path_factory):
    """The app with committed data, served on 127.0.0.1; yields (base URL, app, tokens by person)."""
    app = app_with_units(request.param, tmp_path_factory, "ogc")
    tokens = {}
    with app.app_context():
        everywhere = Scope(everywhere=True)
        team = create_team(db.session, everywhere, name="Lao Cai team", kind="working_group", jurisdiction=["15"])
        other = create_team(db.session, everywhere, name="Ha Noi team", kind="working_group", jurisdiction=["01"])
        people = {
            "lead": User(username="lead", role="team_lead", team=team),
            "coordinator": User(username="coordinator", role="coordinator", team=team, jurisdiction_code="15"),
            "stranger": User(username="stranger", role="coordinator", team=other, jurisdiction_code="01"),
        }
        db.session.add_all(people.values())
        site = create_site(db.session, everywhere, name="Trạm Tà Xi Láng", kind="school", lat=LAT, lon=LON)
        create_site(db.session, everywhere, name="Nhà văn hoá", kind="village", lat=21.03, lon=105.85)
        for name, user in people.items():
            tokens[name] = issue_token(db.session, user, "ogc")[1]
        db.session.commit()
        site_id = site.id
        db.session.remove()
    client = app.test_client()
    lead = {"Authorization": f"Bearer {tokens['lead']}"}
    now = datetime.now(UTC)
    kinds = [visit(site_id=site_id), equipment_check(site_id=site_id), assistance_log(), finding()]
    kinds += [finding(beyond_local_authority=True, lat=LAT + 0.001)]
    answer = client.post("/api/v1/sync", json={"records": kinds}, headers=lead).get_json()
    assert answer["created"] == len(kinds), answer
    answer = client.post("/api/v1/sync", json={"records": readings(now, READINGS)}, headers=lead).get_json()
    assert answer["created"] == READINGS, answer["results"][:3]
    with served(app) as base:
        yield base, app, tokens


def gdal(tool: str, *args: str, token: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GDAL_HTTP_TIMEOUT": "60", "CPL_DEBUG": "OFF", "GDAL_HTTP_MAX_RETRY": "0"}
    env.pop("GDAL_HTTP_HEADERS", None)
    if token is not None:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {token}"
    return subprocess.run([tool, *args], env=env, capture_output=True, text=True, timeout=300)


def read_collection(base: str, collection: str, token: str) -> list[dict]:
    """Every feature of ``collection`` as GDAL reads it (following the next links), as GeoJSON features."""
    result = gdal(
        OGR2OGR,
        "-f",
        "GeoJSON",
        "/vsistdout/",
        "-oo",
        f"PAGE_SIZE={PAGE_SIZE}",
        f"OAPIF:{base}/api/v1/ogc",
        collection,
        token=token,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["features"]


def api_items(client, path: str, headers: dict) -> list[dict]:
    """Every item of a JSON API list, following its pagination."""
    items, params = [], {"limit": 500}
    for _page in range(1, 100):
        body = client.get(path, query_string=params, headers=headers).get_json()
        items += body["items"]
        if path == "/api/v1/tickets":
            if len(items) >= body["total"]:
                return items
            params["page"] = body["page"] + 1
        elif body.get("next_cursor"):
            params["after"] = body["next_cursor"]
        else:
            return items
    raise AssertionError("too many pages")


def test_gdal_reads_every_collection_as_the_api_shows_it(live):
    base, app, tokens = live
    landing = gdal(OGRINFO, "-ro", "-q", f"OAPIF:{base}/api/v1/ogc", token=tokens["coordinator"])
    assert landing.returncode == 0, landing.stderr
    for collection in COLLECTIONS:
        assert collection in landing.stdout, (collection, landing.stdout)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['coordinator']}"}
    for collection, path in COLLECTIONS.items():
        features = read_collection(base, collection, tokens["coordinator"])
        if path is None:
            with app.app_context():
                user = db.session.scalar(db.select(User).filter_by(username="coordinator"))
                expected = {row.key: row for row in cell_indicators(db.session, scope_for(user), MapFilters())}
            got = {feature["properties"]["cell"]: feature["properties"] for feature in features}
            assert set(got) == set(expected) and expected
            for cell, figures in expected.items():
                assert got[cell]["readings"] == figures.readings
                assert got[cell]["dead_spots"] == figures.dead_spots
                assert got[cell]["signal_dbm_median"] == figures.signal_dbm_median
            continue
        items = api_items(client, path, headers)
        key = "code" if collection == "admin-units" else "id"
        assert len(features) == len(items), collection
        assert sorted(str(f["properties"][key]) for f in features) == sorted(str(item[key]) for item in items)
        assert items, collection
    sites = read_collection(base, "sites", tokens["coordinator"])
    assert [feature["properties"]["name"] for feature in sites] == ["Trạm Tà Xi Láng"]
    assert sites[0]["geometry"]["coordinates"] == pytest.approx([LON, LAT])


def test_without_a_token_gdal_gets_401(live):
    base, _app, _tokens = live
    result = gdal(OGRINFO, "-ro", "-q", f"OAPIF:{base}/api/v1/ogc", token=None)
    assert result.returncode != 0
    assert "401" in result.stderr, result.stderr


def test_a_person_of_another_province_gets_none_of_these_features(live):
    base, _app, tokens = live
    for collection in ("sites", "visits", "equipment-checks", "connectivity-readings", "findings", "tickets"):
        features = read_collection(base, collection, tokens["stranger"])
        assert all(feature["properties"]["province_code"] == "01" for feature in features), collection
        assert collection != "sites" or [f["properties"]["name"] for f in features] == ["Nhà văn hoá"]
    assert read_collection(base, "dead-spot-cells", tokens["stranger"]) == []


def test_paging_through_ten_thousand_features_returns_each_once(live):
    base, _app, tokens = live
    features = read_collection(base, "connectivity-readings", tokens["lead"])
    ids = [feature["properties"]["id"] for feature in features]
    assert len(ids) == READINGS
    assert len(set(ids)) == READINGS
