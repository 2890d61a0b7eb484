"""The column-wise loading of readings in a sync batch gives what the marshmallow schema gives, or defers to it."""

import uuid
from datetime import UTC, datetime, timedelta

import marshmallow as ma
import pytest
from sqlalchemy import func, select

from field_app_api.records.schemas import ConnectivityReadingSchema
from field_app_api.sync.columns import load_readings
from server.models import ConnectivityReading
from tests.records_factory import observed, reading, without_type

SCHEMA = ConnectivityReadingSchema()
GOOD = without_type(reading(network="4g", signal_dbm=-95, down_mbps=12.5, up_mbps=3, latency_ms=48.0))
# One change each to a good reading: valid variants, invalid ones, and input only the schema takes.
VARIANTS = [
    {},
    {"lat": 21, "lon": 105},
    {"observed_at": "2026-11-20T09:14:05Z"},
    {"observed_at": "2026-11-20T09:14:05.123456+07:00"},
    {"operator_code": None, "operator": ""},
    {"operator": "x" * 100},
    {"site_id": 12, "team_id": 3, "visit_id": str(uuid.uuid4()), "device_id": "phone-7f3a"},
    {"power_available": None, "signal_dbm": None},
    {"network": "none", "down_mbps": 0},
    {"network": "none", "down_mbps": 0.5},
    {"lat": 0, "lon": 0},
    {"lat": 90.0001},
    {"lon": -180.5},
    {"lat": "21.5"},
    {"lat": True},
    {"lat": None},
    {"network": "6g"},
    {"network": None},
    {"operator_code": "45204"},
    {"operator_code": "452-04\n"},
    {"operator": None},
    {"operator": "x" * 101},
    {"signal_dbm": -151},
    {"signal_dbm": -95.0},
    {"signal_dbm": "-95"},
    {"down_mbps": -1},
    {"latency_ms": 120_001},
    {"power_available": "yes"},
    {"power_available": "maybe"},
    {"observed_at": "2026-11-20T09:14:05"},
    {"observed_at": "20/11/2026"},
    {"observed_at": "2019-12-31T23:59:59+00:00"},
    {"observed_at": "9999-12-31T23:00:00-14:00"},
    {"observed_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
    {"observed_at": 1732000000},
    {"visit_id": "not-a-uuid"},
    {"site_id": 0},
    {"team_id": 2**31},
    {"device_id": "d" * 101},
    {"dead_spot": True},
    {"admin_unit_code": "04603"},
    {"citizen_name": "Nguyễn Văn A"},
]
# Valid for the schema, which converts them; the columns leave such input to it.
CONVERTED = [{"lat": "21.5"}, {"signal_dbm": -95.0}, {"signal_dbm": "-95"}, {"power_available": "yes"}]


def schema_load(body: dict):
    try:
        return SCHEMA.load(body)
    except ma.ValidationError as error:
        return error.normalized_messages()


def test_column_loading_equals_the_schema_or_defers_to_it(app):
    """Every reading the columns accept loads to the schema's own dict; every one the schema refuses is left
    to it; the usual phone readings are all taken column-wise."""
    bodies = [{**GOOD, **change} for change in VARIANTS]
    with app.test_request_context():
        loaded = load_readings(bodies, app.config["CLOCK_SKEW_SECONDS"])
        expected = [schema_load(body) for body in bodies]
    for change, fast, slow in zip(VARIANTS, loaded, expected, strict=True):
        valid = isinstance(slow.get("id"), uuid.UUID)
        if fast is not None:
            assert fast == slow, change
        else:
            assert not valid or change in CONVERTED, f"a valid reading left to the schema: {change}"
    assert sum(fast is not None for fast in loaded) == 10
    assert loaded[0]["id"] == uuid.UUID(GOOD["id"]) and loaded[0]["observed_at"].utcoffset() is not None


def test_column_loading_takes_parsed_ids_and_the_record_type(app):
    """As the sync calls it (each body still naming its ``type``, its id parsed already), the column loading
    gives the same as for the bare bodies."""
    bodies = [{**GOOD, **change} for change in VARIANTS]
    typed = [{"type": "connectivity_reading", **body} for body in bodies]
    ids = [uuid.UUID(body["id"]) for body in bodies]
    with app.test_request_context():
        bare = load_readings(bodies, app.config["CLOCK_SKEW_SECONDS"])
        as_synced = load_readings(typed, app.config["CLOCK_SKEW_SECONDS"], ids=ids)
    assert as_synced == bare
    assert sum(record is not None for record in as_synced) == 10


def test_sync_answers_the_schemas_errors_for_bad_readings(client, db, make_user):
    """A batch of readings with one fault each: each is rejected with the errors the single-record schema gives,
    and the good ones beside them are stored."""
    _, headers = make_user("field_member", province="15")
    # Valid variants placed elsewhere or naming rows that do not exist are refused by ingest, not the schema.
    changes = [change for change in VARIANTS if not {"site_id", "lon"} & change.keys()]
    records = [reading(**change) for change in changes] + [reading(network="4g", signal_dbm=-90, down_mbps=5)]
    headers = {**headers, "Accept-Language": "vi"}
    with client.application.test_request_context(headers={"Accept-Language": "vi"}):
        expected = [schema_load(without_type(record)) for record in records]
    refused = [not isinstance(loaded.get("id"), uuid.UUID) for loaded in expected]
    answer = client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()
    for record, result, errors, is_refused in zip(records, answer["results"], expected, refused, strict=True):
        assert result["id"] == record["id"]
        if is_refused:
            assert result == {"index": result["index"], "id": record["id"], "status": "rejected", "errors": errors}
        else:
            assert result["status"] == "created", result
    assert answer["rejected"] == sum(refused) > 20


@pytest.mark.parametrize("days_earlier", [0, 40, 400])
def test_a_retried_reading_is_stored_once_even_in_another_month(client, db, make_user, days_earlier):
    """A phone sending a reading again, its clock corrected by weeks (another monthly partition on PostGIS),
    gets duplicate and the reading stays as first stored."""
    _, headers = make_user("field_member", province="15")
    first = reading()
    again = {**first, "observed_at": observed(hours_ago=1 + 24 * days_earlier)}
    answers = [
        client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()
        for record in (first, again, first)
    ]
    assert [answer["results"][0]["status"] for answer in answers] == ["created", "duplicate", "duplicate"]
    stored = db.session.scalars(select(ConnectivityReading).where(ConnectivityReading.id == uuid.UUID(first["id"])))
    assert [row.observed_at for row in stored] == [datetime.fromisoformat(first["observed_at"])]
    count = select(func.count()).select_from(ConnectivityReading)
    assert db.session.scalar(count.where(ConnectivityReading.id == uuid.UUID(first["id"]))) == 1
