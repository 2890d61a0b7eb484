"""Monthly partitions of the readings on PostGIS (one table on SpatiaLite), their id registry, and retention."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from server.models import ConnectivityReading
from server.models.records import reading_ids
from server.services import readings_store
from tests.records_factory import observed, reading

DAYS_OLD = 100  # always before the cutoff of a two-month retention (at most 92 days back)


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    return run


@pytest.fixture
def send(client, make_user):
    _, headers = make_user("field_member", province="15")

    def post(*records: dict) -> list[str]:
        answer = client.post("/api/v1/sync", json={"records": list(records)}, headers=headers).get_json()
        return [result["status"] for result in answer["results"]]

    return post


def stored(db, *records: dict) -> list[bool]:
    ids = [uuid.UUID(record["id"]) for record in records]
    found = set(db.session.scalars(select(ConnectivityReading.id).where(ConnectivityReading.id.in_(ids))))
    return [record_id in found for record_id in ids]


def partition_of(db, record: dict) -> str:
    statement = text("SELECT tableoid::regclass::text FROM connectivity_readings WHERE id = :id")
    return db.session.execute(statement, {"id": uuid.UUID(record["id"])}).scalar()


def test_months_are_those_of_viet_nam():
    """A reading at 23:30 UTC on 30 November is in December in Viet Nam, and in December's partition."""
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    month = readings_store.month_start(moment)
    assert readings_store.partition_name(month) == "connectivity_readings_y2026m12"
    assert readings_store.add_months(month, 13) == datetime(2028, 1, 1, tzinfo=readings_store.MONTH_ZONE)
    assert readings_store.retention_cutoff(0, moment) is None
    assert readings_store.retention_cutoff(2, moment) == datetime(2026, 10, 1, tzinfo=readings_store.MONTH_ZONE)


def test_create_partitions_ahead_and_moves_waiting_rows(cli, db, send):
    """A reading of a month without a partition waits in the default one; `readings create-partitions` makes the
    months from --since to --ahead, moves the reading into its month, and changes nothing the second time."""
    old = reading(observed_at=observed(hours_ago=24 * DAYS_OLD))
    assert send(old) == ["created"]
    if not readings_store.is_partitioned(db.session):
        assert "no partitions" in cli("readings", "create-partitions")
        return
    assert partition_of(db, old) == readings_store.DEFAULT_PARTITION
    month = readings_store.month_start(datetime.fromisoformat(old["observed_at"]))
    output = cli("readings", "create-partitions", "--since", f"{month:%Y-%m}", "--ahead", "6")
    assert f"created partition {readings_store.partition_name(month)}" in output
    assert partition_of(db, old) == readings_store.partition_name(month)
    ahead = readings_store.add_months(readings_store.month_start(datetime.now(UTC)), 6)
    names = [partition.name for partition in readings_store.partitions(db.session)]
    assert readings_store.partition_name(ahead) in names and names[-1] == readings_store.DEFAULT_PARTITION
    assert "0 partition(s) created" in cli("readings", "create-partitions", "--since", f"{month:%Y-%m}", "--ahead", "6")
    assert send(old) == ["duplicate"]


def test_a_second_copy_of_an_id_is_impossible_in_the_database(db):
    """Whatever writes (not only ingest), one id cannot be stored twice, even with a time in another month: on
    PostGIS the registry holds one row per id and each reading must match its row; on SpatiaLite the id is the
    primary key."""
    partitioned = readings_store.is_partitioned(db.session)
    record_id, now = uuid.uuid4(), datetime.now(UTC)
    row = {"id": record_id, "observed_at": now, "received_at": now, "geom": "SRID=4326;POINT(104.6 21.48)"}
    row |= {"h3_cell": "x", "admin_unit_code": "04603", "province_code": "15", "network": "4g", "dead_spot": False}
    insert = ConnectivityReading.__table__.insert()  # Core, not ingest nor the ORM
    register = reading_ids.insert().values(id=record_id)
    if partitioned:
        with pytest.raises(IntegrityError), db.session.begin_nested():  # no registry row: refused
            db.session.execute(insert, row)
        db.session.execute(register.values(observed_at=now))
    db.session.execute(insert, row)
    another_month = row | {"observed_at": now - timedelta(days=62)}
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(insert, another_month)
    if partitioned:
        with pytest.raises(IntegrityError), db.session.begin_nested():  # a second registry row for the id
            db.session.execute(register.values(observed_at=another_month["observed_at"]))
    count = select(func.count()).select_from(ConnectivityReading).where(ConnectivityReading.id == record_id)
    assert db.session.scalar(count) == 1


def test_retention_drops_old_readings_and_refuses_them_afterwards(app, cli, db, send):
    """`readings apply-retention --months 2` drops readings older than the kept months (their partition on
    PostGIS) and keeps the recent ones; with the setting on, ingest refuses a reading from a dropped month,
    so a phone retrying it cannot store it again. Off by default: nothing is dropped."""
    old, recent = reading(observed_at=observed(hours_ago=24 * DAYS_OLD)), reading()
    assert send(old, recent) == ["created", "created"]
    assert "Retention is off" in cli("readings", "apply-retention")
    old_month = readings_store.month_start(datetime.fromisoformat(old["observed_at"]))
    if readings_store.is_partitioned(db.session):
        cli("readings", "create-partitions", "--since", f"{old_month:%Y-%m}", "--ahead", "0")
    output = cli("readings", "apply-retention", "--months", "2")
    assert "1 reading(s) observed before" in output
    if readings_store.is_partitioned(db.session):
        assert f"dropped partition {readings_store.partition_name(old_month)}" in output
        registry = text("SELECT count(*) FROM connectivity_reading_ids WHERE id = :id")
        assert db.session.execute(registry, {"id": uuid.UUID(old["id"])}).scalar() == 0
    assert stored(db, old, recent) == [False, True]
    app.config["READINGS_RETENTION_MONTHS"] = 2
    try:
        assert send(old, recent) == ["rejected", "duplicate"]
    finally:
        app.config["READINGS_RETENTION_MONTHS"] = 0
    assert stored(db, old, recent) == [False, True]


def test_storing_a_batch_skips_ids_another_batch_stored_meanwhile(db):
    """Ingest leaves out the ids it found stored, but a concurrent batch may store one of them before this one
    writes: the batch then stores only its other readings (on PostGIS, after its direct COPY fails on the
    registry's key), and says which."""
    from server.services.ingest import insert_records

    now = datetime.now(UTC)

    def row(days_ago: float = 0) -> dict:
        lon, lat = 104.6, 21.48
        return {
            "id": uuid.uuid4(),
            "observed_at": now - timedelta(days=days_ago),
            "received_at": now,
            "lon": lon,
            "lat": lat,
            "geom": f"SRID=4326;POINT({lon!r} {lat!r})",
            "h3_cell": "88415ca3a3fffff",
            "admin_unit_code": "04603",
            "province_code": "15",
            "network": "none",
            "operator": "Viettel",
            "dead_spot": True,
        }

    first = [row(), row(40)]
    assert [r["id"] for r in insert_records(db.session, "connectivity_reading", first)] == [r["id"] for r in first]
    taken = {**first[1], "observed_at": now - timedelta(days=70)}  # the same id, another month
    batch = [row(1), taken, row(2)]
    stored = insert_records(db.session, "connectivity_reading", batch)
    assert sorted(r["id"] for r in stored) == sorted([batch[0]["id"], batch[2]["id"]])
    ids = [r["id"] for r in first + batch]
    count = select(func.count()).select_from(ConnectivityReading).where(ConnectivityReading.id.in_(ids))
    assert db.session.scalar(count) == 4
