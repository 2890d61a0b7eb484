"""Daily rollups: every record counted once under concurrent, retried syncs, and ``rollups rebuild`` giving
exactly what ingest kept up incrementally."""

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server.extensions import db as real_db
from server.indicators import rollups
from server.models import ConnectivityReading, ReadingRollup
from tests.records_factory import LAT, LON, assistance_log, equipment_check, reading, visit

THREADS = 4
BATCHES = 6
BATCH_SIZE = 60


def _batch(rng: random.Random, site_id: int) -> list[dict]:
    """Readings (some dead, some at the site, several operators and days, around midnight Viet Nam time),
    checks of three assets of the site (broken ones open tickets; several a day, racing across batches),
    assistance logs and visits."""
    midnight = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0) - timedelta(days=2)
    records = []
    for _ in range(BATCH_SIZE):
        when = (midnight + timedelta(minutes=rng.randint(-600, 600))).isoformat()
        lat, lon = LAT + rng.randint(0, 30) * 0.001, LON + rng.randint(0, 30) * 0.001
        kind = rng.random()
        if kind < 0.55:
            dead = rng.random() < 0.3
            records.append(
                reading(
                    observed_at=when,
                    lat=lat,
                    lon=lon,
                    network="none" if dead else rng.choice(["4g", "fiber", "3g"]),
                    signal_dbm=None if dead else -80,
                    down_mbps=None if dead else 20.0,
                    operator_code=rng.choice(["452-04", "452-01", None]),
                    site_id=site_id if rng.random() < 0.3 else None,
                    power_available=rng.choice([True, False, None]),
                )
            )
        elif kind < 0.7:
            records.append(
                equipment_check(
                    observed_at=when,
                    lat=lat,
                    lon=lon,
                    site_id=site_id,
                    asset_label=f"Printer #{rng.randint(1, 3)}",
                    condition=rng.choice(["working", "degraded", "broken", "missing"]),
                    age_years=rng.choice([None, 3.0, 6.5]),
                )
            )
        elif kind < 0.85:
            helped = rng.randint(1, 9)
            records.append(
                assistance_log(observed_at=when, lat=lat, lon=lon, citizens_helped=helped, language_support=helped // 2)
            )
        else:
            records.append(visit(observed_at=when, lat=lat, lon=lon))
    for record in records:
        record["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    return records


@pytest.mark.slow
def test_rebuild_equals_incremental_after_a_storm_of_concurrent_retried_batches(app, committed_member):
    """Four clients on their own connections send six batches each, every batch twice, and half of them also
    another client's batch (the same record ids racing): each record is stored once and counted once, and
    rebuilding the rollups from the raw records gives exactly the rollups ingest kept up: the sums, the
    equipment rows recomputed per asset and day under concurrent batches, and the tickets the checks opened."""
    headers, site_id = committed_member.headers, committed_member.site_id
    rng = random.Random(15)
    batches = [[_batch(rng, site_id) for _ in range(BATCHES)] for _ in range(THREADS)]
    failures: list = []
    barrier = threading.Barrier(THREADS)

    def client_thread(number: int) -> None:
        client = app.test_client()
        plan = list(batches[number]) * 2 + batches[(number + 1) % THREADS][: BATCHES // 2]
        random.Random(number).shuffle(plan)
        barrier.wait(timeout=30)
        for records in plan:
            response = client.post(
                "/api/v1/sync", json={"device_id": f"storm-{number}", "records": records}, headers=headers
            )
            if response.status_code != 200 or response.get_json()["rejected"]:
                failures.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    sent = [record for per_thread in batches for records in per_thread for record in records]
    readings_sent = sum(1 for record in sent if record["type"] == "connectivity_reading")
    with app.app_context():
        session = real_db.session
        stored = session.scalar(
            select(func.count()).select_from(ConnectivityReading).where(ConnectivityReading.device_id.like("storm-%"))
        )
        raw_total = session.scalar(select(func.count()).select_from(ConnectivityReading))
        rolled_up = session.scalar(select(func.sum(ReadingRollup.readings)))
        incremental = rollups.snapshot(session)
        rollups.rebuild(session)
        rebuilt = rollups.snapshot(session)
        session.rollback()
        session.remove()
    assert stored == readings_sent
    assert rolled_up == raw_total
    assert incremental == rebuilt
    assert sum(len(rows) for rows in incremental.values()) > 20
    assert len(incremental["rollup_equipment_daily"]) >= 6 and incremental["rollup_tickets_daily"]


def test_rebuild_since_a_day_repairs_only_from_that_day(app, db, build_readings):
    """``rollups rebuild --since`` recomputes the days from that one on, says how many rows differed, and
    leaves earlier days alone."""
    today, earlier = build_readings
    db.session.execute(update(ReadingRollup).values(readings=ReadingRollup.readings + 5))
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--since", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert "rollup_readings_daily: 1 row(s) rebuilt, 2 differed" in result.output
    counts = dict(db.session.execute(select(ReadingRollup.day, ReadingRollup.readings)).all())
    assert counts == {today: 2, earlier: 1 + 5}


@pytest.fixture
def build_readings(db):
    """Two readings today and one a week ago (Viet Nam time), added through the ORM (rolled up on flush)."""
    from server.indicators.areas import local_day
    from server.spatial import point

    now = datetime.now(UTC)
    for when in (now, now, now - timedelta(days=7)):
        db.session.add(
            ConnectivityReading(
                id=uuid.uuid4(),
                observed_at=when,
                geom=point(LON, LAT),
                h3_cell="88411c0001fffff",
                admin_unit_code="04603",
                province_code="15",
                network="4g",
                dead_spot=False,
            )
        )
    db.session.flush()
    return local_day(now), local_day(now - timedelta(days=7))


def test_the_cells_ranked_are_read_through_the_province_level_index(db):
    """The cells ranked (readings placed at province level only, a few percent of the cell rollup) are read
    through the partial index of migration 0014, which holds their sums, not by scanning every cell of the
    country (PostGIS: the plan of the very statement the indicator runs, sequential scans priced out)."""
    from sqlalchemy import event, inspect, text

    from server.auth import Scope
    from server.indicators import connectivity
    from server.indicators.areas import Area, Period
    from server.indicators.sql import is_postgres

    indexes = {index["name"] for index in inspect(db.session.connection()).get_indexes("rollup_cells_daily")}
    assert "ix_rollup_cells_daily_province_level" in indexes
    if not is_postgres(db.session):
        return
    statements = []
    connection = db.session.connection()

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "rollup_cells_daily" in statement:
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        connectivity.connectivity_by(db.session, Scope(everywhere=True), Area(), Period.ending(datetime.now(UTC)), "h3")
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    ((statement, parameters),) = statements
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
    assert "ix_rollup_cells_daily_province_level" in plan, plan


@pytest.fixture
def syncing_member(make_user, make_site):
    """A field member of a team working in Lao Cai (headers), and a site of theirs in commune 04603 (its id)."""
    site = make_site(commune="04603", lat=21.72, lon=104.92)
    _, headers = make_user("field_member", province="15")
    return headers, site.id


def _same_key_batch(site_id: int, size: int) -> list[dict]:
    """Readings, assistance logs and visits that all fall in one rollup row of each table: one place, one day
    (midday yesterday, Viet Nam time), one network and operator; the readings' sums differ row to row."""
    noon = (datetime.now(UTC) - timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    records = []
    for number in range(size):
        when = (noon + timedelta(seconds=number)).isoformat()
        dead = number % 3 == 0
        records.append(
            reading(
                observed_at=when,
                network="4g",
                signal_dbm=-120 if dead else -70,
                down_mbps=5.0,
                site_id=site_id,
                power_available=(True, False, None)[number % 3],
            )
        )
        records.append(
            assistance_log(observed_at=when, site_id=site_id, citizens_helped=number % 5 + 1, language_support=0)
        )
        records.append(visit(observed_at=when, site_id=site_id))
    return records


def test_a_batch_adding_to_one_rollup_key_many_times_counts_each_record(client, db, syncing_member):
    """Many records of one batch falling in the same rollup rows, then a second such batch adding to those
    existing rows: each table holds one row per key with every record counted once, as a rebuild computes."""
    headers, site_id = syncing_member
    for _ in range(2):
        response = client.post("/api/v1/sync", json={"records": _same_key_batch(site_id, 30)}, headers=headers)
        assert response.get_json()["created"] == 90, response.get_data(as_text=True)
    incremental = rollups.snapshot(db.session)
    readings_rows = incremental["rollup_readings_daily"]
    assert [row[3:] for row in readings_rows] == [("15", 60, 20, 0, 20, 20)]
    assert [row[-2:] for row in incremental["rollup_operators_daily"]] == [(60, 20)]
    assert [row[-3:] for row in incremental["rollup_assistance_daily"]] == [(60, 180, 0)]
    assert [row[-2] for row in incremental["rollup_visits_daily"]] == [60]
    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session) == incremental


def test_a_batch_of_duplicates_only_leaves_the_rollups_as_they_were(client, db, syncing_member):
    """A batch whose every record is already stored (a retry) adds nothing to any rollup."""
    headers, site_id = syncing_member
    records = _same_key_batch(site_id, 10)
    assert client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()["created"] == 30
    before = rollups.snapshot(db.session)
    body = client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()
    assert (body["created"], body["duplicate"]) == (0, 30)
    assert rollups.snapshot(db.session) == before
    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session) == before


def test_two_transactions_with_checks_of_one_asset_on_one_day_both_count(app, committed_member):
    """Two transactions add checks of the same asset on the same day: the second waits for the first (on
    PostGIS, the lock on the asset's day row; on SQLite, the write lock) and recomputes the row with both checks,
    instead of failing on the row the first inserted or keeping only its own check."""
    from server.models import EquipmentCheck, EquipmentRollup
    from server.spatial import point

    now = datetime.now(UTC).replace(microsecond=0)

    def check(minutes: int, condition: str) -> EquipmentCheck:
        return EquipmentCheck(
            id=uuid.uuid4(),
            observed_at=now - timedelta(minutes=minutes),
            geom=point(LON, LAT),
            h3_cell="88411c0001fffff",
            admin_unit_code="04603",
            province_code="15",
            site_id=committed_member.site_id,
            asset_kind="printer",
            asset_label="Race #1",
            condition=condition,
        )

    first_flushed, errors = threading.Event(), []

    def second() -> None:
        with app.app_context():
            try:
                first_flushed.wait(timeout=30)
                real_db.session.add(check(1, "broken"))
                real_db.session.commit()
            except Exception as error:  # reported below: the assertion names it
                errors.append(error)
            finally:
                real_db.session.remove()

    thread = threading.Thread(target=second)
    thread.start()
    with app.app_context():
        real_db.session.add(check(2, "working"))
        real_db.session.flush()  # the asset's day row is written (and locked) by this transaction
        first_flushed.set()
        thread.join(timeout=1)  # the second transaction is now waiting for this one
        real_db.session.commit()
        real_db.session.remove()
    thread.join(timeout=60)
    assert not thread.is_alive() and errors == []
    with app.app_context():
        session = real_db.session
        try:
            rows = session.execute(
                select(EquipmentRollup.checks, EquipmentRollup.first_condition, EquipmentRollup.last_condition).where(
                    EquipmentRollup.asset_label == "Race #1"
                )
            ).all()
            incremental = rollups.snapshot(session, [EquipmentRollup])
            rollups.rebuild(session)
            rebuilt = rollups.snapshot(session, [EquipmentRollup])
        finally:
            session.execute(EquipmentCheck.__table__.delete().where(EquipmentCheck.asset_label == "Race #1"))
            rollups.rebuild(session)
            session.commit()
            session.remove()
    assert [tuple(row) for row in rows] == [(2, "working", "broken")]
    assert incremental == rebuilt


def test_readings_waiting_after_the_answer_are_counted_once_by_rebuilds_and_reviews(
    client, db, syncing_member, make_user, monkeypatch
):
    """A sync batch's readings reach the rollups right after the answer. While a batch waits (here: nothing ran
    after the answer), a rebuild leaves its readings out as the rollups do; a review of one of them applies the
    waiting batches first, counting only the readings that count; and a batch is applied once: the rollups then
    equal a rebuild from the raw records."""
    from field_app_api.sync import routes
    from server.auth import Scope
    from server.models import DeferredReadings
    from server.services import after_sync
    from server.services.reviews import set_review, subject_of

    headers, site_id = syncing_member
    client.post("/api/v1/sync", json={"records": _same_key_batch(site_id, 6)}, headers=headers)
    counted = rollups.snapshot(db.session, [ReadingRollup])
    monkeypatch.setattr(routes, "run_after_response", lambda app, ids: None)
    waiting = _same_key_batch(site_id, 9)
    for record in waiting:
        record["id"] = str(uuid.uuid4())
    assert client.post("/api/v1/sync", json={"records": waiting}, headers=headers).get_json()["created"] == 27
    assert rollups.snapshot(db.session, [ReadingRollup]) == counted  # not counted yet
    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session, [ReadingRollup]) == counted  # the rebuild leaves them out too

    reviewer = make_user("coordinator")[0]
    first = db.session.get(ConnectivityReading, uuid.UUID(waiting[0]["id"]))
    everywhere = Scope(everywhere=True)
    set_review(db.session, reviewer, everywhere, subject_of(first, "connectivity_reading"), "rejected", 1, "wrong")
    assert db.session.scalar(select(func.count()).select_from(DeferredReadings)) == 0
    [row] = rollups.snapshot(db.session, [ReadingRollup])["rollup_readings_daily"]
    assert row[3:5] == ("15", 6 + 9 - 1)  # the rejected reading does not count
    assert after_sync.apply_all(db.session, None) == (0, 0)
    applied = rollups.snapshot(db.session)
    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session) == applied
