"""The database goes away in the middle of syncs, several times; phones retry; nothing is lost or doubled.

PostGIS only (skipped without FIELDOPS_TEST_DATABASE_URL, which CI always sets). The test builds its own
database next to the test database (its name + ``_fault``, or FIELDOPS_FAULT_DATABASE_URL), serves the app with
werkzeug's threaded server on 127.0.0.1, and lets phone threads sync batches of connectivity readings (with
records re-sent in later batches, and batches re-sent after success) while a chaos thread cuts every
connection to that database and refuses new ones for about two seconds, three times. It never restarts
PostgreSQL: other databases on the same cluster are not touched.

Reader threads list sites, readings, tickets and the changes feed all the while: a connection can die between
the view and the request's teardown, which must never turn a read into the server's HTML 500.

Afterwards: no answer was a 500 and every error was a problem document; the app answered 503 with Retry-After
while the database was away; every distinct record sent is stored exactly once; and /readyz is 200 again without
restarting the app.
"""

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import flask_migrate
import psycopg
import pytest
import urllib3
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from server import create_app
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import AdminUnit, Site, User
from server.services.admin_units import load_official_units
from server.services.operators import load_operators
from server.services.teams import create_team
from server.spatial import point
from tests.conftest import reset_postgis_database
from tests.records_factory import equipment_check, reading

PHONES = 6
READERS = 6
READS = ("/api/v1/sites", "/api/v1/connectivity-readings?limit=50", "/api/v1/tickets", "/api/v1/sync/changes")
BATCHES = 12
BATCH_SIZE = 60
RESENT_PER_BATCH = 6
REPORT_BATCHES = 8
OUTAGES = 3
OUTAGE_SECONDS = 2.0
DEADLINE_SECONDS = 75


def fault_database_url() -> str:
    explicit = os.environ.get("FIELDOPS_FAULT_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostGIS: set FIELDOPS_TEST_DATABASE_URL to run the fault test against PostgreSQL")
    url = make_url(base)
    return url.set(database=f"{url.database}_fault").render_as_string(hide_password=False)


def admin_conninfo(url: str) -> str:
    """The same server's maintenance database, to switch connections to the fault database off and on."""
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@dataclass
class Tally:
    """What the phones saw, shared by their threads."""

    statuses: Counter = field(default_factory=Counter)
    retry_after: list[str] = field(default_factory=list)
    connection_errors: int = 0
    bad_answers: list[str] = field(default_factory=list)
    sent_ids: set[str] = field(default_factory=set)
    started_batches: int = 0
    finished_batches: int = 0
    reads: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    """The app on its own PostGIS database, served on a free local port; yields (base URL, token, database)."""
    url = fault_database_url()
    reset_postgis_database(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "faults",
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("fault-uploads")),
            "DB_RETRY_AFTER_SECONDS": 1,
            "REQUEST_LOG": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        team = create_team(db.session, Scope(everywhere=True), name="phones", kind="working_group", jurisdiction=["15"])
        unit = db.session.get(AdminUnit, "04603")
        site = Site(
            name="fault site",
            kind="village",
            geom=point(104.60, 21.48),
            admin_unit_code=unit.code,
            province_code=unit.province_code,
        )
        user = User(username="phone-user", role="field_member", team=team)
        db.session.add_all([site, user])
        db.session.flush()
        _, token = issue_token(db.session, user, "fault test")
        site_id = site.id
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token, url, site_id
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def readings(rng: random.Random, count: int) -> list[dict]:
    """Readings within 2 km of commune 04603's official centroid (placed there), one in seven without service
    (dead spots feed the ticket rules)."""
    return [
        reading(lat=round(rng.uniform(21.46, 21.50), 6), lon=round(rng.uniform(104.58, 104.62), 6))
        if rng.random() < 1 / 7
        else reading(
            lat=round(rng.uniform(21.46, 21.50), 6),
            lon=round(rng.uniform(104.58, 104.62), 6),
            network="4g",
            signal_dbm=rng.randint(-110, -60),
            down_mbps=round(rng.uniform(1, 80), 2),
        )
        for _ in range(count)
    ]


def phone(number: int, base: str, token: str, tally: Tally, chaos_over: threading.Event, deadline: float) -> None:
    """Send batches, each until it is answered 200 (503s and dropped connections are retried after a pause),
    at least BATCHES of them and on until the chaos is over."""
    rng = random.Random(number)
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent: list[dict] = []
    batches = 0
    while batches < BATCHES or not chaos_over.is_set():
        fresh = readings(rng, BATCH_SIZE)
        batch = fresh + rng.sample(sent, min(RESENT_PER_BATCH, len(sent)))
        sent.extend(fresh)
        with tally.lock:
            tally.sent_ids.update(record["id"] for record in batch)
            tally.started_batches += 1
        answered = False
        while not answered:
            if time.monotonic() > deadline:
                return
            try:
                response = http.request(
                    "POST",
                    f"{base}/api/v1/sync",
                    json={"device_id": f"phone-{number}", "records": batch},
                    headers=headers,
                )
            except urllib3.exceptions.HTTPError:
                with tally.lock:
                    tally.connection_errors += 1
                time.sleep(0.2)
                continue
            with tally.lock:
                tally.statuses[response.status] += 1
            if response.status == 200:
                results = response.json()["results"]
                wrong = [r for r in results if r["status"] not in ("created", "duplicate")]
                if wrong:
                    with tally.lock:
                        tally.bad_answers.append(str(wrong[:2]))
                # Now and then the answer is "lost" and the phone sends the very same batch again.
                answered = rng.random() >= 0.2
            elif response.status == 503:
                with tally.lock:
                    tally.retry_after.append(response.headers.get("Retry-After", ""))
                time.sleep(min(float(response.headers.get("Retry-After") or 1), 1.0) * rng.uniform(0.3, 1.0))
            else:
                with tally.lock:
                    tally.bad_answers.append(f"{response.status}: {response.data[:200]!r}")
                answered = True
        batches += 1
        with tally.lock:
            tally.finished_batches += 1


def reader(number: int, base: str, token: str, tally: Tally, chaos_over: threading.Event, deadline: float) -> None:
    """Read lists until the chaos is over; every answer must be a 200 or a problem document (never HTML)."""
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))
    headers = {"Authorization": f"Bearer {token}"}
    position = number
    while not chaos_over.is_set() and time.monotonic() < deadline:
        path = READS[position % len(READS)]
        position += 1
        try:
            response = http.request("GET", f"{base}{path}", headers=headers)
        except urllib3.exceptions.HTTPError:
            with tally.lock:
                tally.connection_errors += 1
            time.sleep(0.1)
            continue
        kind = (response.headers.get("Content-Type") or "").split(";")[0]
        with tally.lock:
            tally.reads[f"{response.status} {kind}"] += 1
            if response.status != 200 and kind != "application/problem+json":
                tally.bad_answers.append(f"GET {path}: {response.status} {kind} {response.data[:120]!r}")
        if response.status == 503:
            time.sleep(0.2)


def chaos(database: str, conninfo: str, base: str, readiness: list[int], over: threading.Event) -> None:
    """Cut every connection to the fault database and refuse new ones for a while, a few times."""
    http = urllib3.PoolManager(retries=False, timeout=5)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        try:
            for _ in range(OUTAGES):
                time.sleep(1.0)
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
                away_until = time.monotonic() + OUTAGE_SECONDS
                while time.monotonic() < away_until:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (database,),
                    )
                    readiness.append(http.request("GET", f"{base}/readyz").status)
                    time.sleep(0.3)
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            over.set()


def stored_readings(url: str) -> tuple[int, set[str]]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT id::text FROM connectivity_readings").fetchall()
    return len(rows), {row[0] for row in rows}


def wait_until_ready(base: str, seconds: float) -> int:
    http = urllib3.PoolManager(retries=False, timeout=5)
    deadline = time.monotonic() + seconds
    status = 0
    while time.monotonic() < deadline:
        status = http.request("GET", f"{base}/readyz").status
        if status == 200:
            return status
        time.sleep(0.5)
    return status


def test_concurrent_reports_about_the_same_assets_do_not_deadlock(served_app):
    """Phones reporting the same broken printers at once, each batch in its own order, all get 200: the rules
    lock ticket rows in one order, so PostgreSQL never has to break a deadlock (a 503 and a retry)."""
    base, token, url, site_id = served_app
    labels = [f"printer #{n}" for n in range(16)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def checks(rng: random.Random) -> list[dict]:
        batch = [equipment_check(site_id=site_id, asset_kind="printer", asset_label=label) for label in labels]
        rng.shuffle(batch)
        return batch

    http = urllib3.PoolManager(retries=False, timeout=30)
    first = http.request("POST", f"{base}/api/v1/sync", json={"records": checks(random.Random(0))}, headers=headers)
    assert first.status == 200 and first.json()["created"] == len(labels)
    statuses: Counter = Counter()

    def reporter(number: int) -> None:
        rng, pool = random.Random(number), urllib3.PoolManager(retries=False, timeout=30)
        for _ in range(REPORT_BATCHES):
            response = pool.request("POST", f"{base}/api/v1/sync", json={"records": checks(rng)}, headers=headers)
            statuses[response.status] += 1

    reporters = [threading.Thread(target=reporter, args=(n,)) for n in range(PHONES)]
    for thread in reporters:
        thread.start()
    for thread in reporters:
        thread.join(timeout=120)
    assert statuses == {200: PHONES * REPORT_BATCHES}, statuses
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        counts = conn.execute(
            "SELECT signal_count FROM tickets WHERE site_id = %s AND category = 'equipment' AND status <> 'closed'",
            (site_id,),
        ).fetchall()
    assert sorted(counts) == [(1 + PHONES * REPORT_BATCHES,)] * len(labels)


def test_syncs_survive_the_database_going_away(served_app):
    """Cut connections during syncs and reads: 503 + Retry-After (never 500, never HTML), no record lost or
    doubled, self-recovery."""
    base, token, url, _ = served_app
    database = make_url(url).database
    tally, readiness, chaos_over = Tally(), [], threading.Event()
    deadline = time.monotonic() + DEADLINE_SECONDS
    phones = [threading.Thread(target=phone, args=(n, base, token, tally, chaos_over, deadline)) for n in range(PHONES)]
    readers = [
        threading.Thread(target=reader, args=(n, base, token, tally, chaos_over, deadline)) for n in range(READERS)
    ]
    breaker = threading.Thread(target=chaos, args=(database, admin_conninfo(url), base, readiness, chaos_over))
    for thread in [breaker, *phones, *readers]:
        thread.start()
    breaker.join(timeout=DEADLINE_SECONDS)
    for thread in [*phones, *readers]:
        thread.join(timeout=DEADLINE_SECONDS + 30)

    summary = (
        f"statuses {dict(tally.statuses)}, connection errors {tally.connection_errors}, "
        f"readiness during outages {Counter(readiness)}, batches {tally.finished_batches}, "
        f"distinct records {len(tally.sent_ids)}, reads {dict(tally.reads)}"
    )
    print(summary)
    assert chaos_over.is_set() and len(readiness) >= OUTAGES, summary
    assert tally.finished_batches == tally.started_batches >= PHONES * BATCHES, f"unfinished batches; {summary}"
    assert tally.bad_answers == [], summary
    assert set(tally.statuses) <= {200, 503}, summary
    assert tally.reads["200 application/json"] > 0, summary
    assert {answer.split()[0] for answer in tally.reads} <= {"200", "503"}, summary
    assert tally.statuses[503] > 0 and all(value.isdigit() for value in tally.retry_after), summary
    assert 503 in readiness, summary
    assert wait_until_ready(base, 20) == 200, "the app did not reconnect by itself"
    count, stored = stored_readings(url)
    assert count == len(stored) == len(tally.sent_ids) and stored == tally.sent_ids, summary
