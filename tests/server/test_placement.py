"""Placing records without boundaries: the commune with the nearest centroid, and the jurisdiction check."""

import uuid

from sqlalchemy import select

from server.models import ConnectivityReading
from tests.records_factory import reading

TA_XI_LANG = (21.4804, 104.6)  # centroid of 04603 Xã Tà Xi Láng, Lào Cai (15), from the official data


def test_a_point_near_a_centroid_is_placed_in_that_commune(client, db, make_user):
    """A Lào Cai member's reading a few hundred metres from Tà Xi Láng's centroid is stored in Tà Xi Láng."""
    _, headers = make_user("field_member", province="15")
    record = reading(lat=TA_XI_LANG[0] + 0.003, lon=TA_XI_LANG[1] - 0.002)
    answer = client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()
    assert answer["created"] == 1, answer
    stored = db.session.scalar(select(ConnectivityReading).where(ConnectivityReading.id == uuid.UUID(record["id"])))
    assert (stored.admin_unit_code, stored.province_code) == ("04603", "15")


def test_a_point_in_another_province_is_refused_not_moved_home(client, db, make_user):
    """A Tuyên Quang team's reading taken at Lào Cai coordinates is refused as outside its jurisdiction."""
    _, headers = make_user("field_member", province="08")
    record = reading(lat=TA_XI_LANG[0], lon=TA_XI_LANG[1])
    answer = client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()
    assert answer["rejected"] == 1
    assert "Tà Xi Láng (04603) is outside your team's jurisdiction" in answer["results"][0]["errors"]["lat"][0]


def test_an_unknown_operator_code_is_a_warning_and_a_known_one_names_the_operator(client, db, make_user):
    """452-04 fills the operator's name; 452-99 is stored with a warning under the default setting."""
    _, headers = make_user("field_member", province="15")
    known = reading(lat=TA_XI_LANG[0], lon=TA_XI_LANG[1], operator_code="452-04", operator="")
    unknown = reading(lat=TA_XI_LANG[0], lon=TA_XI_LANG[1], operator_code="452-99")
    answer = client.post("/api/v1/sync", json={"records": [known, unknown]}, headers=headers).get_json()
    assert answer["created"] == 2, answer
    assert "operator_code" in answer["results"][1]["warnings"]
    stored = db.session.scalar(select(ConnectivityReading).where(ConnectivityReading.id == uuid.UUID(known["id"])))
    assert stored.operator.startswith("Viettel")


def test_a_site_given_a_pre_2025_code_stores_the_new_one_or_refuses_a_split(client, make_user):
    """An old code merged whole is read as its successor with a warning; a split one without a settling point
    is refused listing the successors."""
    _, headers = make_user("coordinator", province="01")
    site = {"name": "UBND", "kind": "commune_service_centre", "lat": 21.04, "lon": 105.84, "admin_unit_code": "00013"}
    created = client.post("/api/v1/sites", json=site, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["admin_unit_code"] == "00004"
    assert "pre-2025" in created.get_json()["warnings"]["admin_unit_code"][0]
    far = dict(site, admin_unit_code="00016", lat=21.3, lon=105.5)
    refused = client.post("/api/v1/sites", json=far, headers=headers)
    assert refused.status_code == 422
    message = refused.get_json()["errors"]["admin_unit_code"][0]
    assert "00004" in message and "00008" in message
