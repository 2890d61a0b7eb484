"""Readings per second through ``POST /api/v1/sync`` over HTTP against raw ``COPY`` into the same table, interleaved.

    python -m bench.sync_vs_copy --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_sync

The database in the URL is rebuilt (its name must contain "bench"): migrations (monthly partitions of the readings,
with their indexes and id registry), the official communes, the operators, one team working in the province with
the most communes and a field member of it with a token. The request bodies are made once: ``--records``
connectivity readings around the official centroids of that province's communes (no boundaries are loaded, so
ingest places each by its nearest centroid among all 3,321; the few placed in the next province are left out), in
batches of ``--batch-size``, as a phone sends them.

Then ``--rounds`` rounds, each of two phases run one after the other, each from the same empty state (readings,
registry, tickets and every table the set-up left empty are truncated, and a ``CHECKPOINT`` runs first):

- COPY: decode the bodies, derive the columns the API derives (H3 cell, dead spot, EWKT point; the commune is
  computed before timing with the function ingest uses), and ``COPY`` the registry rows and the readings in one
  transaction, through the same keys, indexes and references;
- sync over HTTP: gunicorn started as the README runs it (``gunicorn -w 4 -b 127.0.0.1:PORT wsgi:app``, once for
  all rounds, warmed up with a few requests), one client posting the batches one after the other.

Both phases must store the same readings (count and md5 over every column but ``received_at``), checked every
round. Medians over the rounds are reported, with the load average before and after. ``--profile N`` profiles N
batches in process with cProfile afterwards.
"""

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import psycopg
import urllib3
from sqlalchemy import func, select

from bench.app import bench_app
from bench.database import conninfo, rebuild
from bench.readings import ICT, NETWORKS, OPERATORS

ROOT = Path(__file__).resolve().parent.parent
SYNC_PATH = "/api/v1/sync"
DEVICE_ID = "bench-phone"
MEASUREMENTS = ("network", "operator_code", "operator", "signal_dbm", "down_mbps", "up_mbps", "latency_ms")
COPY_COLUMNS = (
    "id, observed_at, received_at, geom, h3_cell, device_id, author_id, team_id, admin_unit_code, province_code, "
    + ", ".join(MEASUREMENTS)
    + ", power_available, dead_spot"
)
# Every stored column but received_at, which differs by construction.
READINGS_DIGEST_SQL = """
SELECT count(*), md5(string_agg(
    (id, observed_at, geom, h3_cell, device_id, visit_id, author_id, team_id, site_id, admin_unit_code,
     province_code, network, operator_code, operator, signal_dbm, down_mbps, up_mbps, latency_ms,
     power_available, dead_spot)::text, ',' ORDER BY id))
FROM connectivity_readings
"""
# Where a sync request spends its time: a label and the (file path ending, function name) whose cumulative time
# it is. Indented labels are parts of the line above.
PROFILE_PARTS = (
    ("authenticate (token, user, scope)", "server/auth.py", "authenticate"),
    ("request JSON decode + SyncRequestSchema", "webargs/core.py", "parse"),
    ("validate_batch", "field_app_api/sync/routes.py", "validate_batch"),
    ("  duplicate check (stored_ids query)", "server/services/ingest.py", "stored_ids"),
    ("  readings loaded column-wise", "field_app_api/sync/columns.py", "load_readings"),
    ("  marshmallow load (records the columns leave)", "marshmallow/schema.py", "load"),
    ("ingest", "server/services/ingest.py", "ingest"),
    ("  placement (_place)", "server/services/ingest.py", "_place"),
    ("  insert (_insert)", "server/services/ingest.py", "_insert"),
    ("    h3.latlng_to_cell", "h3/api/basic_str/__init__.py", "latlng_to_cell"),
    ("    readings: COPY into the registry and the table", "server/services/readings_store.py", "insert_readings"),
    ("    rollups (apply_records)", "server/indicators/rollups.py", "apply_records"),
    ("    ticket rules (apply_rules; after the answer too)", "server/services/ticket_rules.py", "apply_rules"),
    ("commit", "sqlalchemy/orm/scoping.py", "commit"),
    ("response: JSON encode", "flask/json/__init__.py", "jsonify"),
)


@dataclass
class Fixture:
    """The token to post with and the server columns every stored reading gets."""

    token: str
    user_id: int
    team_id: int
    province: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


@dataclass
class BenchDatabase:
    url: str
    scratch_tables: list[str] = field(default_factory=list)

    @property
    def conninfo(self) -> str:
        return conninfo(self.url)

    def remember_scratch_tables(self) -> None:
        """The tables the set-up left empty (records, registry, tickets...): emptied before each phase."""
        with psycopg.connect(self.conninfo) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
                    "ORDER BY c.relname"
                )
            ]
            self.scratch_tables = [
                name for name in tables if not conn.execute(f'SELECT EXISTS (SELECT FROM "{name}")').fetchone()[0]
            ]

    def reset(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(self.scratch_tables)} RESTART IDENTITY")
            conn.execute("CHECKPOINT")

    def readings_digest(self) -> tuple[int, str]:
        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(READINGS_DIGEST_SQL).fetchone()

    def version(self) -> str:
        with psycopg.connect(self.conninfo) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
            postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        return f"PostgreSQL {postgres}, PostGIS {postgis}"


def set_up(url: str) -> tuple[Fixture, list[tuple[float, float]]]:
    """Schema, official units, operators, a team working in the province with the most communes and its field
    member with a token; returns the fixture and the centroids (lon, lat) of that province's communes."""
    import flask_migrate

    from server.auth import Scope, issue_token
    from server.extensions import db
    from server.models import AdminUnit, User
    from server.services.admin_units import load_official_units
    from server.services.operators import load_operators
    from server.services.teams import create_team

    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        province = db.session.execute(
            select(AdminUnit.parent_code)
            .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .group_by(AdminUnit.parent_code)
            .order_by(func.count().desc(), AdminUnit.parent_code)
            .limit(1)
        ).scalar()
        team = create_team(
            db.session, Scope(everywhere=True), name="bench team", kind="working_group", jurisdiction=[province]
        )
        user = User(username="bench", role="field_member", team=team)
        db.session.add(user)
        db.session.flush()
        _, token = issue_token(db.session, user, "bench")
        fixture = Fixture(token, user.id, team.id, province)
        centroids = db.session.execute(
            select(func.ST_X(AdminUnit.centroid), func.ST_Y(AdminUnit.centroid))
            .where(AdminUnit.parent_code == province, AdminUnit.centroid.is_not(None), AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.code)
        ).all()
        db.session.commit()
        db.engine.dispose()
    return fixture, [tuple(row) for row in centroids]


def readings(count: int, centroids: list[tuple[float, float]], seed: int) -> list[dict]:
    """``count`` readings from ``seed`` around communes' centroids, observed within the last 20 days."""
    rng = random.Random(seed)
    now = datetime.now(ICT)
    names, weights = list(NETWORKS), [share for share, _, _ in NETWORKS.values()]
    made = []
    for _ in range(count):
        network = rng.choices(names, weights)[0]
        _, down_range, has_signal = NETWORKS[network]
        operator_code, operator = rng.choice(OPERATORS)
        down = round(rng.uniform(*down_range), 2) if down_range else None
        lon, lat = rng.choice(centroids)
        made.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "observed_at": (now - timedelta(seconds=rng.randint(60, 20 * 86400))).isoformat(timespec="seconds"),
                "lat": round(lat + rng.uniform(-0.01, 0.01), 6),
                "lon": round(lon + rng.uniform(-0.01, 0.01), 6),
                "network": network,
                "operator_code": operator_code,
                "operator": operator,
                "signal_dbm": rng.randint(-125, -60) if has_signal else None,
                "down_mbps": down,
                "up_mbps": round(down * rng.uniform(0.1, 0.5), 2) if down else None,
                "latency_ms": round(rng.uniform(15, 900), 1) if down else None,
                "power_available": rng.random() > 0.1,
            }
        )
    return made


def request_bodies(records: list[dict], batch_size: int) -> list[bytes]:
    return [
        json.dumps({"device_id": DEVICE_ID, "records": records[start : start + batch_size]}).encode()
        for start in range(0, len(records), batch_size)
    ]


def placements(url: str, records: list[dict]) -> dict[str, tuple[str, str]]:
    """Commune and province of each reading, by the function ingest uses without boundaries (not timed)."""
    from server.extensions import db
    from server.models import AdminUnit
    from server.services.admin_units import nearest_communes

    app = bench_app(url)
    with app.app_context():
        codes = nearest_communes(db.session, {r["id"]: (r["lon"], r["lat"]) for r in records})
        provinces = dict(db.session.execute(select(AdminUnit.code, AdminUnit.parent_code)).all())
        db.session.rollback()
        db.engine.dispose()
    return {record_id: (code, provinces[code]) for record_id, code in codes.items()}


def copy_phase(database: BenchDatabase, fixture: Fixture, bodies: list[bytes], placed: dict, settings) -> float:
    """Seconds to decode the bodies, derive the server columns and COPY registry rows and readings (1 transaction)."""
    from server.services.ingest import is_dead_spot

    with psycopg.connect(database.conninfo) as conn:
        started = time.perf_counter()
        received_at = datetime.now(UTC)
        rows = []
        for body in bodies:
            for record in json.loads(body)["records"]:
                lat, lon = record["lat"], record["lon"]
                rows.append(
                    (
                        uuid.UUID(record["id"]),
                        datetime.fromisoformat(record["observed_at"]),
                        received_at,
                        f"SRID=4326;POINT({lon!r} {lat!r})",
                        h3.latlng_to_cell(lat, lon, settings.h3_resolution),
                        DEVICE_ID,
                        fixture.user_id,
                        fixture.team_id,
                        *placed[record["id"]],
                        *(record[name] for name in MEASUREMENTS),
                        record["power_available"],
                        is_dead_spot(record, settings),
                    )
                )
        with conn.cursor() as cursor:
            with cursor.copy("COPY connectivity_reading_ids (id, observed_at) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row[:2])
            with cursor.copy(f"COPY connectivity_readings ({COPY_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def created_in(status: int, answer: dict) -> int:
    """Records the API created from one batch; anything but all of them stops the benchmark."""
    if status != 200 or answer["created"] != len(answer["results"]):
        detail = [r for r in answer["results"] if r["status"] != "created"] if status == 200 else answer
        raise RuntimeError(f"POST {SYNC_PATH} answered {status}, not all created: {str(detail)[:500]}")
    return answer["created"]


def sync_phase(
    pool: urllib3.HTTPConnectionPool, fixture: Fixture, bodies: list[bytes], deadline: float, database: "BenchDatabase"
) -> float:
    """Seconds to post the batches and for the server to finish the work it does after its answers (each batch's
    rollups and dead-spot rule): the clock stops when no batch waits for it."""
    started = time.perf_counter()
    for body in bodies:
        if time.perf_counter() > deadline:
            raise TimeoutError("HTTP phase over its time budget")
        response = pool.request("POST", SYNC_PATH, body=body, headers=fixture.headers)
        created_in(response.status, response.json())
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        while conn.execute("SELECT EXISTS (SELECT FROM deferred_readings)").fetchone()[0]:
            if time.perf_counter() > deadline:
                raise TimeoutError("the last batches' rollups did not run within the time budget")
            time.sleep(0.002)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, startup_seconds: float = 60):
    """``gunicorn -w 4 -b 127.0.0.1:PORT wsgi:app`` as the README runs it (from the repository, so it reads
    gunicorn.conf.py), against ``database_url``; yields the port. Its log goes to a temporary file."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench", "FIELDOPS_ENV": "production"}
    command = [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            deadline = time.monotonic() + startup_seconds
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise RuntimeError(f"gunicorn exited: {output.read()[-2000:].decode(errors='replace')}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not listen within {startup_seconds} s") from None
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def profile(url: str, fixture: Fixture, bodies: list[bytes]) -> None:
    """Where an in-process sync request spends its time (cProfile inflates pure-Python parts), after one batch
    that warms the app up."""
    app = bench_app(url)
    client = app.test_client()
    warm_up, bodies = bodies[0], bodies[1:]  # imports and caches of a first request are not the path's cost
    created_in(
        *(lambda response: (response.status_code, response.get_json()))(
            client.post(SYNC_PATH, data=warm_up, headers=fixture.headers, buffered=True)
        )
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies:
        response = client.post(SYNC_PATH, data=body, headers=fixture.headers, buffered=True)  # closed: rule runs
        created_in(response.status_code, response.get_json())
    profiler.disable()
    stats = pstats.Stats(profiler)

    def seconds(path_end: str, function: str) -> float:
        return sum(
            cumulative
            for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items()
            if name == function and path.replace("\\", "/").endswith(path_end)
        )

    total = seconds("flask/app.py", "full_dispatch_request")
    print(f"\nProfile of {len(bodies)} in-process batches (cProfile):")
    print(f"  {'part of POST /api/v1/sync':<52} {'ms/batch':>9} {'share':>6}")
    for label, path, function in PROFILE_PARTS:
        if part := seconds(path, function):
            print(f"  {label:<52} {1000 * part / len(bodies):9.1f} {part / total:6.0%}")
    print(f"  {'whole request (Flask full_dispatch_request)':<52} {1000 * total / len(bodies):9.1f} {1:6.0%}")
    stats.strip_dirs().sort_stats("tottime").print_stats(10)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... of a *bench* database")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5, help="at least 3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="then profile N batches in process")
    parser.add_argument("--http-budget", type=float, default=900, help="seconds for one HTTP phase at most")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (medians)")
    from server.services.ingest import IngestSettings

    database = BenchDatabase(args.database_url)
    rebuild(args.database_url)
    fixture, centroids = set_up(args.database_url)
    database.remember_scratch_tables()
    settings = IngestSettings.from_config(bench_app(args.database_url).config)
    records = readings(args.records * 11 // 10, centroids, args.seed)  # a few fall in the next province
    extra = readings(200, centroids, args.seed + 1)  # 8 small batches, so each of the 4 workers warms up
    placed = placements(args.database_url, records + extra)
    extra = [record for record in extra if placed[record["id"]][1] == fixture.province]
    warm_up = request_bodies(extra[:80], 10)
    records = [record for record in records if placed[record["id"]][1] == fixture.province][: args.records]
    if len(records) < args.records:
        parser.error("too few readings placed in the province: lower --records")
    bodies = request_bodies(records, args.batch_size)
    print(
        f"{args.records:,} connectivity readings in {len(bodies)} batches of {args.batch_size:,}; {args.rounds} rounds"
    )
    print(f"{database.version()}; {cpu_model()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    print(f"Load average before: {load_average()}")
    copies, syncs = [], []
    with gunicorn(args.database_url) as port:
        timeout = urllib3.Timeout(connect=10, read=300)
        with urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, timeout=timeout, retries=False) as pool:
            sync_phase(pool, fixture, warm_up, time.perf_counter() + args.http_budget, database)
            for round_number in range(1, args.rounds + 1):
                database.reset()
                copies.append(copy_phase(database, fixture, bodies, placed, settings))
                copied = database.readings_digest()
                database.reset()
                syncs.append(sync_phase(pool, fixture, bodies, time.perf_counter() + args.http_budget, database))
                synced = database.readings_digest()
                if copied != synced or copied[0] != args.records:
                    raise RuntimeError(f"round {round_number}: COPY and sync stored different readings")
                copy_speed, sync_speed = args.records / copies[-1], args.records / syncs[-1]
                print(
                    f"round {round_number}: COPY {copy_speed:,.0f}/s, sync {sync_speed:,.0f}/s, "
                    f"ratio {sync_speed / copy_speed:.3f}; load {load_average()}"
                )
    copy_median, sync_median = statistics.median(copies), statistics.median(syncs)
    copy_rate, sync_rate = args.records / copy_median, args.records / sync_median
    ratios = [copy / sync for copy, sync in zip(copies, syncs, strict=True)]
    print(f"\n{'phase':<44} {'median s':>9} {'records/s':>10} {'vs COPY':>8}")
    for name, seconds, rate in (
        ("raw COPY (registry + readings, 1 transaction)", copy_median, copy_rate),
        ("POST /api/v1/sync over HTTP (gunicorn -w 4)", sync_median, sync_rate),
    ):
        print(f"{name:<44} {seconds:9.2f} {rate:10,.0f} {rate / copy_rate:8.3f}")
    print(f"Per-round ratios: {', '.join(f'{ratio:.3f}' for ratio in ratios)} (median {statistics.median(ratios):.3f})")
    print("Every round: COPY and sync stored identical readings (count and md5, received_at aside).")
    print(f"Load average after: {load_average()}")
    if args.profile:
        database.reset()
        profile(args.database_url, fixture, bodies[: args.profile + 1])


if __name__ == "__main__":
    main()
