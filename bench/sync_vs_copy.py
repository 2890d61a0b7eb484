"""Records per second through ``POST /api/v1/sync`` against raw psycopg ``COPY`` into the same indexed table.

    python -m bench.sync_vs_copy --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench

The database in the URL is rebuilt (its public schema is dropped), so its name must contain "bench". Every
timed phase starts from the state the set-up left (``connectivity_readings`` and every other table the set-up
left empty are truncated, indexes kept) and from the same JSON request bodies of connectivity readings:

- COPY: decode the bodies, derive the server columns the API derives (H3 cell, dead spot; the admin unit is
  taken as known) and ``COPY ... FROM STDIN`` in one transaction. It takes seconds, so it runs a few times and
  the median counts.
- API in process: ``app.test_client()`` posts the batches one after the other (auth, JSON, validation,
  duplicate check, placement, insert and whatever else the sync path does, commit, response).
- API over HTTP: the same through gunicorn (1 worker, 1 thread, keep-alive) and one urllib3 connection.

The runs must store the same readings (``received_at`` aside); the benchmark checks it. Then one more
in-process run under cProfile says where a request spends its time.
"""

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import h3
import psycopg
import urllib3

from bench.app import bench_app
from bench.database import conninfo, rebuild
from bench.readings import connectivity_readings
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import AdminUnit, Site, User
from server.services.admin_units import load_official_units
from server.services.ingest import IngestSettings, is_dead_spot
from server.services.teams import create_team
from server.spatial import point

ROOT = Path(__file__).resolve().parent.parent
SYNC_PATH = "/api/v1/sync"
DEVICE_ID = "bench-phone"
SITE_UNIT, SITE_LAT, SITE_LON = "04603", 21.72, 104.92
MEASUREMENTS = ("network", "operator_code", "operator", "signal_dbm", "down_mbps", "up_mbps", "latency_ms")
COPY_COLUMNS = (
    "id",
    "observed_at",
    "received_at",
    "geom",
    "h3_cell",
    "device_id",
    "author_id",
    "team_id",
    "admin_unit_code",
    "province_code",
    *MEASUREMENTS,
    "power_available",
    "dead_spot",
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
# it is. Indented labels are parts of the line above; the psycopg line cuts across the steps.
PROFILE_PARTS = (
    ("authenticate (token, user, scope)", "server/auth.py", "authenticate"),
    ("request JSON decode + SyncRequestSchema", "webargs/core.py", "parse"),
    ("validate_batch", "field_app_api/sync/routes.py", "validate_batch"),
    ("  duplicate check (stored_ids query)", "server/services/ingest.py", "stored_ids"),
    ("  marshmallow load of each record", "marshmallow/schema.py", "load"),
    ("ingest", "server/services/ingest.py", "ingest"),
    ("  placement (_place)", "server/services/ingest.py", "_place"),
    ("  insert (_insert)", "server/services/ingest.py", "_insert"),
    ("    h3.latlng_to_cell", "h3/api/basic_str/__init__.py", "latlng_to_cell"),
    ("    INSERT ... RETURNING (SQLAlchemy insertmanyvalues)", "sqlalchemy/engine/base.py", "_exec_insertmany_context"),
    ("    ticket rules (apply_rules)", "server/services/ticket_rules.py", "apply_rules"),
    ("commit", "sqlalchemy/orm/scoping.py", "commit"),
    ("response: SyncResponseSchema dump", "marshmallow/schema.py", "dump"),
    ("response: JSON encode", "flask/json/__init__.py", "jsonify"),
    ("psycopg placeholder parsing, >50-param statements", "psycopg/_queries.py", "_query2pg_nocache"),
)


@dataclass
class Fixture:
    """What the set-up made: the token to post with and the server columns every stored reading gets."""

    token: str
    user_id: int
    team_id: int
    admin_unit_code: str
    province_code: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


@dataclass
class Phase:
    name: str
    records: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds


@dataclass
class BenchDatabase:
    """The benchmark's database, reached with psycopg; ``scratch_tables`` are those the set-up left empty."""

    url: str
    scratch_tables: list[str] = field(default_factory=list)

    @property
    def conninfo(self) -> str:
        return conninfo(self.url)

    def rebuild(self) -> None:
        rebuild(self.url)

    def remember_empty_tables(self) -> None:
        with psycopg.connect(self.conninfo) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
                )
            ]
            self.scratch_tables = [
                name for name in tables if not conn.execute(f'SELECT EXISTS (SELECT FROM "{name}")').fetchone()[0]
            ]

    def reset(self) -> None:
        """Back to the state the set-up left, dirty pages flushed, so no phase pays for the one before."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            tables = ", ".join(f'"{name}"' for name in self.scratch_tables)
            conn.execute(f"TRUNCATE {tables} RESTART IDENTITY")
            conn.execute("CHECKPOINT")

    def readings_digest(self) -> tuple[int, str]:
        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(READINGS_DIGEST_SQL).fetchone()

    def version(self) -> str:
        with psycopg.connect(self.conninfo) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
            postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        return f"PostgreSQL {postgres}, PostGIS {postgis}"


def set_up(app) -> Fixture:
    """Schema, admin units, a team working in province 15, a field member with a token, one site in 04603."""
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        team = create_team(
            db.session, Scope(everywhere=True), name="bench team", kind="working_group", jurisdiction=["15"]
        )
        user = User(username="bench", role="field_member", team=team)
        unit = db.session.get(AdminUnit, SITE_UNIT)
        site = Site(
            name="bench site",
            kind="village",
            geom=point(SITE_LON, SITE_LAT),
            admin_unit_code=unit.code,
            province_code=unit.province_code,
        )
        db.session.add_all([user, site])
        db.session.flush()
        _, token = issue_token(db.session, user, "bench")
        fixture = Fixture(token, user.id, team.id, unit.code, unit.province_code)
        db.session.commit()
        db.session.remove()
    return fixture


def request_bodies(readings: list[dict], batch_size: int) -> list[bytes]:
    return [
        json.dumps({"device_id": DEVICE_ID, "records": readings[start : start + batch_size]}).encode()
        for start in range(0, len(readings), batch_size)
    ]


def created_in(status: int, answer: dict) -> int:
    """Records the API created from one batch; anything but all of them (one result each) stops the benchmark."""
    if status != 200 or answer["created"] != len(answer["results"]):
        detail = answer.get("results", answer) if status == 200 else answer
        raise RuntimeError(f"POST {SYNC_PATH} answered {status}, not all created: {str(detail)[:500]}")
    return answer["created"]


def post_in_process(client, fixture: Fixture, bodies: list[bytes]) -> Phase:
    created, start = 0, time.perf_counter()
    for body in bodies:
        response = client.post(SYNC_PATH, data=body, headers=fixture.headers)
        created += created_in(response.status_code, response.get_json())
    return Phase("API in process (test client)", created, time.perf_counter() - start)


def post_over_http(pool: urllib3.HTTPConnectionPool, fixture: Fixture, bodies: list[bytes], deadline: float) -> Phase:
    created, start = 0, time.perf_counter()
    for body in bodies:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"HTTP phase over its time budget after {created} records")
        response = pool.request("POST", SYNC_PATH, body=body, headers=fixture.headers)
        created += created_in(response.status, response.json())
    return Phase("API over HTTP (gunicorn, 1 worker)", created, time.perf_counter() - start)


def copy_row(record: dict, fixture: Fixture, settings: IngestSettings, received_at: datetime) -> tuple:
    """The row the API stores for ``record``, with the same derivations (geometry text, H3 cell, dead spot)."""
    lat, lon = record["lat"], record["lon"]
    return (
        uuid.UUID(record["id"]),
        datetime.fromisoformat(record["observed_at"]),
        received_at,
        f"SRID=4326;POINT({lon!r} {lat!r})",
        h3.latlng_to_cell(lat, lon, settings.h3_resolution),
        DEVICE_ID,
        fixture.user_id,
        fixture.team_id,
        fixture.admin_unit_code,
        fixture.province_code,
        *(record[name] for name in MEASUREMENTS),
        record["power_available"],
        is_dead_spot(record, settings),
    )


def copy_bodies(database: BenchDatabase, fixture: Fixture, bodies: list[bytes], settings: IngestSettings) -> Phase:
    statement = f"COPY connectivity_readings ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    rows = 0
    with psycopg.connect(database.conninfo) as conn:
        start = time.perf_counter()
        received_at = datetime.now(UTC)
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for body in bodies:
                for record in json.loads(body)["records"]:
                    copy.write_row(copy_row(record, fixture, settings, received_at))
                    rows += 1
        conn.commit()
        seconds = time.perf_counter() - start
    return Phase("raw COPY (1 transaction)", rows, seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid: int | None = None) -> float | None:
    """Peak resident memory of a process (this one by default), from /proc where it exists."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)


def child_pids(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@contextmanager
def gunicorn_server(database_url: str, startup_seconds: float = 30):
    """gunicorn on a free local port, 1 worker with 1 thread (gthread keeps connections alive); yields
    ``(port, process)``."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread", "--threads", "1"),
        *("--keep-alive", "30", "--timeout", "120", "--log-level", "warning", "--bind", f"127.0.0.1:{port}"),
        f"bench.app:bench_app({database_url!r})",
    ]
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not listen within {startup_seconds} s") from None
                time.sleep(0.2)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def over_http(
    database: BenchDatabase, fixture: Fixture, bodies: list[bytes], warm_up: list[bytes], args: argparse.Namespace
) -> Phase:
    """Warm the worker up, reset, time the batches; prints the connections opened and the worker's peak RSS."""
    with gunicorn_server(database.url) as (port, process):
        timeout = urllib3.Timeout(connect=10, read=args.request_timeout)
        with urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, timeout=timeout, retries=False) as pool:
            post_over_http(pool, fixture, warm_up, time.perf_counter() + args.http_budget)
            database.reset()
            phase = post_over_http(pool, fixture, bodies, time.perf_counter() + args.http_budget)
            connections = pool.num_connections
        workers = [peak_rss_mib(pid) for pid in child_pids(process.pid)]
    print(f"HTTP: {connections} connection(s) opened by the client (warm-up included)")
    print(f"HTTP: gunicorn worker peak RSS {', '.join(f'{rss:.0f} MiB' for rss in workers if rss) or 'unknown'}")
    return phase


def profile_in_process(client, fixture: Fixture, bodies: list[bytes]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    post_in_process(client, fixture, bodies)
    profiler.disable()
    return pstats.Stats(profiler)


def cumulative_seconds(stats: pstats.Stats, path_end: str, function: str) -> float:
    return sum(
        cumulative
        for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items()
        if name == function and path.replace("\\", "/").endswith(path_end)
    )


def print_profile(stats: pstats.Stats, batches: int) -> None:
    total = cumulative_seconds(stats, "flask/app.py", "full_dispatch_request")
    print(f"\nProfile of {batches} in-process batches (cProfile, which inflates pure-Python parts):")
    print(f"  {'part of POST /api/v1/sync':<52} {'ms/batch':>9} {'share':>6}")
    for label, path, function in PROFILE_PARTS:
        seconds = cumulative_seconds(stats, path, function)
        if seconds:
            print(f"  {label:<52} {1000 * seconds / batches:9.1f} {seconds / total:6.0%}")
    print(f"  {'whole request (Flask full_dispatch_request)':<52} {1000 * total / batches:9.1f} {1:6.0%}")
    print("\nTop functions by own time:")
    stats.strip_dirs().sort_stats("tottime").print_stats(12)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def print_table(phases: list[Phase], copy: Phase) -> None:
    print(f"\n{'phase':<40} {'records':>8} {'seconds':>8} {'records/s':>10} {'vs COPY':>8}")
    for phase in phases:
        print(
            f"{phase.name:<40} {phase.records:>8,} {phase.seconds:8.2f} {phase.rate:>10,.0f} "
            f"{phase.rate / copy.rate:8.3f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... of a *bench* database")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile-batches", type=int, default=None, help="in-process batches to profile (default: all; 0: none)"
    )
    parser.add_argument("--copy-runs", type=int, default=5, help="COPY is quick: time it this often, keep the median")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds per HTTP request")
    parser.add_argument("--http-budget", type=float, default=600, help="seconds for the whole HTTP phase")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    database = BenchDatabase(args.database_url)
    database.rebuild()
    app = bench_app(args.database_url)
    fixture = set_up(app)
    database.remember_empty_tables()
    settings = IngestSettings.from_config(app.config)
    bodies = request_bodies(connectivity_readings(args.records, seed=args.seed), args.batch_size)
    warm_up = request_bodies(connectivity_readings(args.batch_size, seed=args.seed + 1), args.batch_size)
    print(f"{args.records:,} connectivity readings in {len(bodies)} batches of {args.batch_size:,}")
    print(f"{database.version()}; {cpu_model()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    print(f"Reset before each phase: TRUNCATE {', '.join(database.scratch_tables)}")

    copies = []
    for _ in range(args.copy_runs):
        database.reset()
        copies.append(copy_bodies(database, fixture, bodies, settings))
    copy = sorted(copies, key=lambda phase: phase.seconds)[len(copies) // 2]
    copy.name += f", median of {len(copies)}" if len(copies) > 1 else ""
    print(f"COPY runs: {', '.join(f'{phase.rate:,.0f}' for phase in copies)} rows/s")
    digests = {copy.name: database.readings_digest()}

    client = app.test_client()
    post_in_process(client, fixture, warm_up)
    database.reset()
    in_process = post_in_process(client, fixture, bodies)
    digests[in_process.name] = database.readings_digest()

    http = over_http(database, fixture, bodies, warm_up, args)
    digests[http.name] = database.readings_digest()

    if len(set(digests.values())) != 1 or digests[copy.name][0] != args.records:
        raise RuntimeError(f"The runs stored different readings (count, md5): {digests}")
    print_table([in_process, http, copy], copy)
    print(f"\nAll {args.records:,} records created by each run; stored readings identical (received_at aside).")
    print(f"Peak RSS of this process (in-process app, client, payloads): {peak_rss_mib():.0f} MiB")

    if args.profile_batches != 0:
        profiled = bodies[: args.profile_batches]
        database.reset()
        print_profile(profile_in_process(client, fixture, profiled), len(profiled))


if __name__ == "__main__":
    main()
