"""Many phones syncing at once after the network comes back: throughput, latency, and nothing lost or doubled.

    python -m bench.load_sync --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_load

The database in the URL is rebuilt (its public schema is dropped), so its name must contain "load". The app runs
under gunicorn on a free port of 127.0.0.1 (``--workers`` processes with ``--threads`` threads each). Each of
``--phones`` client threads is one phone with its own user and token; it sends batches of 50 to 200 mixed field
records (mostly connectivity readings, some visits, equipment checks, assistance logs and findings) until
``--seconds`` have passed, then finishes the batch in flight. Like a real phone it:

- re-sends a batch now and then after a 200 (the answer "got lost"), and after a timeout or a dropped connection;
- puts a few records of its earlier batches into later ones (the outbox was not cleared);
- waits for Retry-After on 503 and 429.

Afterwards the stored rows are counted per kind and must equal exactly the distinct records sent. Printed: requests
and records per second, latency percentiles, statuses, and a Markdown block for BENCHMARKS.md.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import flask_migrate
import psycopg
import urllib3

from bench.app import bench_app
from bench.database import conninfo, rebuild
from bench.readings import connectivity_readings
from bench.sync_vs_copy import cpu_model, free_port
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import AdminUnit, Site, User
from server.services.admin_units import load_official_units
from server.services.teams import create_team
from server.spatial import point

ROOT = Path(__file__).resolve().parent.parent
SYNC_PATH = "/api/v1/sync"
ICT = timezone(timedelta(hours=7))
TABLES = {
    "connectivity_reading": "connectivity_readings",
    "visit": "visits",
    "equipment_check": "equipment_checks",
    "assistance_log": "assistance_logs",
    "finding": "findings",
}
SITE_UNIT, SITE_LAT, SITE_LON, SITES = "04603", 21.70, 104.88, 40
LAT_RANGE, LON_RANGE = (21.6, 21.9), (104.8, 105.0)


@dataclass
class Phone:
    number: int
    token: str
    site_id: int
    sent: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in TABLES})


@dataclass
class Results:
    """What the phones saw; latencies in seconds, per request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    records_answered: int = 0
    batches: int = 0
    resent_batches: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- Set-up ---------------------------------------------------------------------------------------------


def set_up(url: str, phones: int) -> list[Phone]:
    """Schema, admin units, ten teams in province 15, one user and token per phone, forty sites in 04603."""
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        teams = [
            create_team(
                db.session,
                Scope(everywhere=True),
                name=f"load team {n}",
                kind="youth_volunteer_team",
                jurisdiction=["15"],
            )
            for n in range(10)
        ]
        unit = db.session.get(AdminUnit, SITE_UNIT)
        sites = [
            Site(
                name=f"load site {n}",
                kind="village",
                geom=point(SITE_LON + (n % 8) * 0.01, SITE_LAT + (n // 8) * 0.01),
                admin_unit_code=unit.code,
                province_code=unit.province_code,
            )
            for n in range(SITES)
        ]
        users = [User(username=f"phone{n:04d}", role="field_member", team=teams[n % len(teams)]) for n in range(phones)]
        db.session.add_all([*sites, *users])
        db.session.flush()
        tokens = [issue_token(db.session, user, "load test")[1] for user in users]
        result = [Phone(n, token, sites[n % SITES].id) for n, token in enumerate(tokens)]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


# --- Phones ---------------------------------------------------------------------------------------------


def other_records(rng: random.Random, count: int, site_id: int, now: datetime) -> list[dict]:
    """Visits, equipment checks, assistance logs and findings around the site."""
    records = []
    for _ in range(count):
        base = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "observed_at": (now - timedelta(minutes=rng.randint(5, 20_000))).isoformat(timespec="seconds"),
            "lat": round(rng.uniform(*LAT_RANGE), 6),
            "lon": round(rng.uniform(*LON_RANGE), 6),
        }
        kind = rng.choice(("visit", "equipment_check", "assistance_log", "finding"))
        if kind == "visit":
            base.update(site_id=site_id, purpose="routine visit", attendees=rng.randint(0, 30))
        elif kind == "equipment_check":
            base.update(
                site_id=site_id,
                asset_kind=rng.choice(("computer", "printer", "scanner")),
                asset_label=f"#{rng.randint(1, 8)}",
                condition=rng.choices(("working", "degraded", "broken", "missing"), (80, 10, 8, 2))[0],
            )
        elif kind == "assistance_log":
            helped = rng.randint(1, 40)
            base.update(service="digital_id", citizens_helped=helped, language_support=rng.randint(0, helped))
        else:
            base.update(
                site_id=site_id,
                category=rng.choice(("software", "power", "staffing")),
                severity=rng.choice(("low", "medium", "high")),
                description="portal slow in the afternoon",
            )
        records.append({"type": kind, **base})
    return records


def make_batch(rng: random.Random, phone: Phone, earlier: list[dict], now: datetime) -> list[dict]:
    size = rng.randint(50, 200)
    others = rng.randint(0, size // 10)
    readings = connectivity_readings(size - others, seed=rng.getrandbits(32), now=now)
    batch = readings + other_records(rng, others, phone.site_id, now)
    if earlier:
        batch += rng.sample(earlier, min(len(earlier), rng.randint(0, 8)))
    rng.shuffle(batch)
    return batch


def run_phone(phone: Phone, base: str, until: float, results: Results, args) -> None:
    rng = random.Random(args.seed * 100_003 + phone.number)
    now = datetime.now(ICT)
    http = urllib3.PoolManager(maxsize=1, retries=False, timeout=urllib3.Timeout(connect=10, read=args.request_timeout))
    headers = {"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"}
    earlier: list[dict] = []
    time.sleep(rng.uniform(0, 1))  # the network comes back for everyone within a second
    while time.monotonic() < until:
        batch = make_batch(rng, phone, earlier, now)
        for record in batch:
            phone.sent[record["type"]].add(record["id"])
        body = json.dumps({"device_id": f"phone-{phone.number}", "records": batch}).encode()
        sends = 0
        while True:
            sends += 1
            started = time.perf_counter()
            try:
                response = http.request("POST", base + SYNC_PATH, body=body, headers=headers)
            except urllib3.exceptions.HTTPError as error:
                with results.lock:
                    results.statuses[type(error).__name__] += 1
                time.sleep(rng.uniform(0.5, 2))
                continue
            elapsed = time.perf_counter() - started
            with results.lock:
                results.latencies.append(elapsed)
                results.statuses[response.status] += 1
            if response.status in (429, 503):
                time.sleep(float(response.headers.get("Retry-After") or 1) * rng.uniform(0.5, 1.0))
                continue
            if response.status != 200:
                with results.lock:
                    results.failures.append(f"{response.status}: {response.data[:300]!r}")
                return
            answer = response.json()
            with results.lock:
                results.outcomes.update(result["status"] for result in answer["results"])
                results.records_answered += len(batch)
                if answer["rejected"]:
                    results.failures.append(str([r for r in answer["results"] if r["status"] == "rejected"][:2]))
            if rng.random() < args.resend_share:  # the answer got lost: the same batch again
                with results.lock:
                    results.resent_batches += 1
                continue
            break
        with results.lock:
            results.batches += 1
        earlier = (earlier + batch)[-400:]


# --- Server and checks ----------------------------------------------------------------------------------


@contextmanager
def gunicorn(database_url: str, workers: int, threads: int, log_path: Path):
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread"),
        *("--threads", str(threads), "--keep-alive", "30", "--timeout", "120", "--backlog", "2048"),
        *("--bind", f"127.0.0.1:{port}", f"bench.app:bench_app({database_url!r})"),
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            http = urllib3.PoolManager(retries=False, timeout=2)
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with status {process.returncode}; see {log_path}")
                try:
                    if http.request("GET", f"http://127.0.0.1:{port}/readyz").status == 200:
                        break
                except urllib3.exceptions.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not get ready within 60 s")
                time.sleep(0.3)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def stored_counts(url: str) -> dict[str, tuple[int, set[str]]]:
    with psycopg.connect(conninfo(url)) as conn:
        return {
            kind: (len(rows), {row[0] for row in rows})
            for kind, table in TABLES.items()
            for rows in [conn.execute(f"SELECT id::text FROM {table}").fetchall()]
        }


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(share * 1000) - 1] if len(values) > 1 else 0


def server_versions(url: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    return f"PostgreSQL {postgres}, PostGIS {postgis}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... of a *load* database")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60, help="time phones start new batches (bounded)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--resend-share", type=float, default=0.1, help="share of batches sent again after a 200")
    parser.add_argument("--request-timeout", type=float, default=120)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rebuild(args.database_url, "load")
    phones = set_up(args.database_url, args.phones)
    results = Results()
    log_path = ROOT / "bench" / "results" / "load_sync_server.log"
    machine = f"{cpu_model()}, {os.cpu_count()} CPUs; Python {platform.python_version()}"
    print(f"{server_versions(args.database_url)}; {machine}")
    print(f"{args.phones} phones, {args.seconds:.0f} s, gunicorn {args.workers} workers x {args.threads} threads")
    with gunicorn(args.database_url, args.workers, args.threads, log_path) as base:
        started = time.monotonic()
        until = started + args.seconds
        threads = [threading.Thread(target=run_phone, args=(phone, base, until, results, args)) for phone in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started

    stored = stored_counts(args.database_url)
    problems = list(results.failures)
    for kind, (count, ids) in stored.items():
        sent = set().union(*(phone.sent[kind] for phone in phones))
        if count != len(ids) or ids != sent:
            problems.append(f"{kind}: {count} rows, {len(ids)} distinct, {len(sent)} distinct sent")
    distinct_sent = sum(len(set().union(*(phone.sent[kind] for phone in phones))) for kind in TABLES)
    stored_total = sum(count for count, _ in stored.values())
    requests = len(results.latencies)
    lat = sorted(results.latencies)
    rows = [
        ("phones", f"{args.phones}"),
        ("duration (last batch answered)", f"{elapsed:.1f} s"),
        ("requests answered", f"{requests:,} ({requests / elapsed:,.1f}/s)"),
        ("batches acknowledged", f"{results.batches:,}, of which re-sent after a 200: {results.resent_batches:,}"),
        ("records in answered requests", f"{results.records_answered:,} ({results.records_answered / elapsed:,.0f}/s)"),
        ("distinct records sent = stored", f"{distinct_sent:,} = {stored_total:,} ({stored_total / elapsed:,.0f}/s)"),
        ("record outcomes", ", ".join(f"{name} {count:,}" for name, count in sorted(results.outcomes.items()))),
        ("HTTP statuses", ", ".join(f"{name}: {count:,}" for name, count in sorted(results.statuses.items(), key=str))),
        (
            "latency p50 / p95 / p99 / max",
            " / ".join(
                f"{1000 * value:,.0f} ms"
                for value in (percentile(lat, 0.5), percentile(lat, 0.95), percentile(lat, 0.99), lat[-1] if lat else 0)
            ),
        ),
    ]
    print("\n| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print("\nStored per kind: " + ", ".join(f"{kind} {count:,}" for kind, (count, _) in stored.items()))
    print(f"Server log (gunicorn, warnings and errors): {log_path.relative_to(ROOT)}")
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
        return 1
    print("\nOK: every distinct record sent is stored exactly once; no request failed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
