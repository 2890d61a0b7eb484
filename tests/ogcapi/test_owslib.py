"""OWSLib's OGC API - Features client (``owslib.ogcapi.features.Features``) as a second real client, over HTTP on a
loopback port, on both backends: it reads the landing page, the conformance classes, every collection with its
extent and CRS, and every collection's items page by page following the next links, each feature once and the same
as the JSON API gives. Beside it, the requirements of the conformance classes that the tests in process
(``test_features.py``) leave out: the OpenAPI document behind ``service-desc``, ``numberReturned`` on every page,
``Content-Crs`` on items (Part 2), one feature as in the list, and the client's refusal of an unknown collection."""

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from server.auth import Scope, issue_token
from server.extensions import db
from server.models import User
from server.services.sites import create_site
from server.services.teams import create_team
from tests.browser import served
from tests.ogcapi.serving import app_with_units
from tests.records_factory import LAT, LON, assistance_log, equipment_check, finding, reading, visit

features_module = pytest.importorskip("owslib.ogcapi.features", reason="OWSLib (pip install owslib)")
pytestmark = pytest.mark.slow

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
CRS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_3405 = "http://www.opengis.net/def/crs/EPSG/0/3405"
JSON_LISTS = {
    "sites": "/api/v1/sites",
    "visits": "/api/v1/visits",
    "equipment-checks": "/api/v1/equipment-checks",
    "connectivity-readings": "/api/v1/connectivity-readings",
    "assistance-logs": "/api/v1/assistance-logs",
    "findings": "/api/v1/findings",
}
COLLECTIONS = (*JSON_LISTS, "tickets", "admin-units", "dead-spot-cells")


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def live(request, tmp_path_factory):
    """The app with a team's committed records of every kind, served on 127.0.0.1; yields (base URL, app, token)."""
    app = app_with_units(request.param, tmp_path_factory, "owslib")
    with app.app_context():
        everywhere = Scope(everywhere=True)
        team = create_team(db.session, everywhere, name="Lao Cai team", kind="working_group", jurisdiction=["15"])
        lead = User(username="lead", role="team_lead", team=team)
        db.session.add(lead)
        site = create_site(db.session, everywhere, name="Trạm Tà Xi Láng", kind="school", lat=LAT, lon=LON)
        token = issue_token(db.session, lead, "owslib")[1]
        db.session.commit()
        site_id = site.id
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    batch = [visit(site_id=site_id), equipment_check(site_id=site_id), assistance_log(), finding()]
    batch += [reading(network="none" if i % 3 == 0 else "4g", lat=LAT + 0.0003 * i) for i in range(7)]
    answer = app.test_client().post("/api/v1/sync", json={"records": batch}, headers=headers).get_json()
    assert answer["created"] == len(batch), answer
    with served(app) as base:
        yield base, app, token


def client_for(base: str, token: str):
    """OWSLib's client with the bearer token (it keeps its headers in one dict shared by its instances)."""
    return features_module.Features(f"{base}/api/v1/ogc", headers={"Authorization": f"Bearer {token}"})


def every_feature(service, collection: str, limit: int) -> list[dict]:
    """Every feature of ``collection`` through OWSLib, following the next links' parameters page by page."""
    features, params = [], {"limit": limit}
    for _page in range(100):
        page = service.collection_items(collection, **params)
        assert page["type"] == "FeatureCollection" and page["numberReturned"] == len(page["features"]) <= limit
        if "numberMatched" in page:
            assert page["numberMatched"] >= page["numberReturned"]
        assert service.response_headers["Content-Crs"] == f"<{CRS84}>"
        features += page["features"]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            return features
        params = dict(parse_qsl(urlsplit(following[0]).query))
    raise AssertionError("too many pages")


def test_owslib_reads_the_landing_page_conformance_and_collections(live):
    base, _app, token = live
    service = client_for(base, token)
    assert {link["rel"] for link in service.links} >= {"service-desc", "conformance", "data"}
    document = service.api()  # found through the service-desc link
    assert document["openapi"].startswith("3.0") and document["paths"]
    assert {CORE, GEOJSON, CRS} <= set(service.conformance()["conformsTo"])
    assert service.feature_collections() == list(COLLECTIONS)
    for collection in COLLECTIONS:
        described = service.collection(collection)
        west, south, east, north = described["extent"]["spatial"]["bbox"][0]
        assert west < east and south < north and described["extent"]["spatial"]["crs"] == CRS84
        assert described["storageCrs"] == CRS84 and {CRS84, EPSG_3405} <= set(described["crs"])
        assert service.collection_queryables(collection)["type"] == "object"
    with pytest.raises(RuntimeError):
        service.collection("nowhere")


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_owslib_pages_through_every_collection(live, collection):
    """Each feature once across pages of 2 (500 for the country's admin units), the same as pages of 1,000, as
    the JSON API lists them where it does; one feature fetched alone equals its entry in the list."""
    base, app, token = live
    service = client_for(base, token)
    paged = every_feature(service, collection, limit=500 if collection == "admin-units" else 2)
    whole = every_feature(service, collection, limit=1000)
    assert [f["id"] for f in paged] == [f["id"] for f in whole] and len({f["id"] for f in paged}) == len(paged)
    if collection == "admin-units":
        assert len(paged) > 1000  # every official unit, public reference data
    elif collection in JSON_LISTS:
        listed = app.test_client().get(
            JSON_LISTS[collection], query_string={"limit": 1000}, headers={"Authorization": f"Bearer {token}"}
        )
        assert [f["properties"] for f in paged] == listed.get_json()["items"] and paged
    else:
        assert paged, collection
    one = service.collection_item(collection, str(paged[0]["id"]))
    assert one["id"] == paged[0]["id"] and one["properties"] == paged[0]["properties"]


def test_items_in_vn2000_say_their_crs(live):
    """Part 2: items asked for in EPSG:3405 come with that Content-Crs and metres."""
    base, _app, token = live
    response = requests.get(
        f"{base}/api/v1/ogc/collections/sites/items",
        params={"crs": EPSG_3405},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200 and response.headers["Content-Crs"] == f"<{EPSG_3405}>"
    easting, northing = response.json()["features"][0]["geometry"]["coordinates"]
    assert 100_000 < easting < 900_000 and 2_000_000 < northing < 2_700_000
    stamp = datetime.fromisoformat(response.json()["timeStamp"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 3600
