"""Province report and national ranking over a million connectivity readings and 3,321 communes (PostGIS).

    python -m bench.reports_million --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_reports

The database in the URL is rebuilt (its public schema is dropped), so its name must contain "bench"; ``--reuse``
keeps data a previous run loaded. Synthetic data is loaded with ``COPY``: 1,000,000 readings over the 90 days
before now in every commune (2% placed only at province level, so H3 cells are ranked too), two sites per
commune, equipment checks, tickets, assistance logs and visits. Then, in a fresh interpreter (so that peak RSS
is the report's, not the loader's), each measure runs ``--runs`` times after one warm-up and the median is
reported:

- province report: ``reports.summaries.province_report`` for the province with the most communes (all its page
  shows: province and commune indicators, ranking, teams' on-time rates, assistance, unvisited communes);
- province page over HTTP: ``GET /reports/provinces/<code>`` through the test client (adds auth and HTML);
- national ranking: ``reports.priorities.rank_places`` for the whole country (communes and H3 cells);
- national plan: the ranking plus the knapsack for a 200-billion-VND budget.

Peak memory: ``tracemalloc`` peak of Python allocations during one extra run of each, and the process's
``ru_maxrss``. Targets (issue 6): province report under 1 s, national ranking under 5 s.
"""

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import psycopg
from sqlalchemy.engine import make_url

from bench.database import conninfo, rebuild

ROOT = Path(__file__).resolve().parent.parent
PERIOD_DAYS = 90
UNPLACED_SHARE = 0.02
SITE_KINDS = ("commune_service_centre", "village", "school")
ASSETS = (("computer", "PC"), ("printer", "Printer"), ("scanner", "Scanner"))
SERVICES = ("digital_id", "online_public_service", "e_payment", "other")
MAX_RUNS = 50
PLAN_BUDGET = 200_000_000_000


def migrate(url: str) -> None:
    import flask_migrate

    from bench.app import bench_app
    from server.extensions import db
    from server.services.admin_units import load_official_units

    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        db.session.commit()
        db.engine.dispose()


def _capitals() -> dict[str, tuple[float, float]]:
    data = json.loads((ROOT / "server" / "data" / "province_capitals.json").read_text(encoding="utf-8"))
    return {code: (v["lon"], v["lat"]) for code, v in data.items() if not code.startswith("_")}


class Loader:
    """Deterministic synthetic data for every commune, written with COPY."""

    def __init__(self, conn, readings: int, seed: int, now: datetime):
        self.conn, self.readings, self.rng, self.now = conn, readings, random.Random(seed), now
        capitals = _capitals()
        self.communes = []  # (code, province, lon, lat, dead-spot propensity, has fibre)
        for code, province in conn.execute(
            "SELECT code, parent_code FROM admin_units WHERE level = 'commune' ORDER BY code"
        ):
            lon, lat = capitals.get(province, (105.8, 21.0))
            self.communes.append(
                (
                    code,
                    province,
                    lon + self.rng.uniform(-0.4, 0.4),
                    lat + self.rng.uniform(-0.4, 0.4),
                    self.rng.betavariate(1.2, 5),
                    self.rng.random() < 0.4,
                )
            )
        self.provinces = sorted({c[1] for c in self.communes})
        self.teams: dict[str, int] = {}
        self.sites: dict[str, list[int]] = {}

    def when(self, days: float = PERIOD_DAYS) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(60, days * 86400))

    def place(self, lon: float, lat: float, km: float = 5) -> tuple[str, str]:
        x = lon + self.rng.uniform(-km, km) / 105
        y = lat + self.rng.uniform(-km, km) / 111
        return f"SRID=4326;POINT({x:.6f} {y:.6f})", h3.latlng_to_cell(y, x, 8)

    def load(self) -> dict[str, int]:
        counts = {}
        for name, step in (
            ("teams", self.load_teams),
            ("sites", self.load_sites),
            ("connectivity_readings", self.load_readings),
            ("equipment_checks", self.load_equipment),
            ("tickets", self.load_tickets),
            ("assistance_logs", self.load_assistance),
            ("visits", self.load_visits),
        ):
            started = time.perf_counter()
            counts[name] = step()
            print(f"  {name}: {counts[name]:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return counts

    def load_teams(self) -> int:
        for province in self.provinces:
            team_id = self.conn.execute(
                "INSERT INTO teams (name, kind, created_at) VALUES (%s, 'working_group', %s) RETURNING id",
                (f"[synthetic] bench team {province}", self.now),
            ).fetchone()[0]
            self.conn.execute("INSERT INTO team_jurisdictions VALUES (%s, %s)", (team_id, province))
            self.teams[province] = team_id
        return len(self.teams)

    def load_sites(self) -> int:
        columns = "name, kind, geom, admin_unit_code, province_code, attributes, created_at, updated_at"
        with self.conn.cursor().copy(f"COPY sites ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat, *_ in self.communes:
                for kind in SITE_KINDS[:2]:
                    geom, _ = self.place(lon, lat)
                    copy.write_row((f"[synthetic] {kind} {code}", kind, geom, code, province, "{}", self.now, self.now))
        for site_id, code in self.conn.execute("SELECT id, admin_unit_code FROM sites"):
            self.sites.setdefault(code, []).append(site_id)
        return sum(len(ids) for ids in self.sites.values())

    def load_readings(self) -> int:
        columns = (
            "id, observed_at, received_at, geom, h3_cell, team_id, site_id, admin_unit_code, province_code, "
            "network, operator, signal_dbm, down_mbps, power_available, dead_spot"
        )
        rng = self.rng
        with self.conn.cursor().copy(f"COPY connectivity_readings ({columns}) FROM STDIN") as copy:
            for n in range(self.readings):
                code, province, lon, lat, propensity, fibre = self.communes[n % len(self.communes)]
                unit = province if rng.random() < UNPLACED_SHARE else code
                dead = rng.random() < propensity
                if dead:
                    network, signal, down = "none", None, None
                elif fibre and rng.random() < 0.15:
                    network, signal, down = "fiber", None, round(rng.uniform(20, 300), 1)
                else:
                    network, signal, down = "4g", rng.randint(-110, -60), round(rng.uniform(1, 80), 1)
                site = rng.choice(self.sites[code]) if unit == code and rng.random() < 0.4 else None
                geom, cell = self.place(lon, lat, km=8)
                observed = self.when()
                copy.write_row(
                    (
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        observed,
                        observed,
                        geom,
                        cell,
                        self.teams[province],
                        site,
                        unit,
                        province,
                        network,
                        "Viettel",
                        signal,
                        down,
                        rng.random() > 0.05,
                        dead,
                    )
                )
        return self.readings

    def _record(self, code, province, lon, lat, days=PERIOD_DAYS * 2) -> tuple:
        geom, cell = self.place(lon, lat)
        observed = self.when(days)
        return uuid.UUID(int=self.rng.getrandbits(128), version=4), observed, observed, geom, cell

    def load_equipment(self) -> int:
        columns = (
            "id, observed_at, received_at, geom, h3_cell, team_id, site_id, admin_unit_code, province_code, "
            "asset_kind, asset_label, condition, age_years, notes"
        )
        count = 0
        with self.conn.cursor().copy(f"COPY equipment_checks ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat, *_ in self.communes:
                site = self.sites[code][0]
                for kind, label in ASSETS:
                    age = round(self.rng.uniform(0.5, 12), 1)
                    for _ in range(3):
                        condition = self.rng.choices(("working", "degraded", "broken", "missing"), (70, 15, 12, 3))[0]
                        copy.write_row(
                            (
                                *self._record(code, province, lon, lat),
                                self.teams[province],
                                site,
                                code,
                                province,
                                kind,
                                f"{label} #1",
                                condition,
                                age,
                                "",
                            )
                        )
                        count += 1
        return count

    def load_tickets(self) -> int:
        columns = (
            "title, description, category, priority, status, owning_level, admin_unit_code, province_code, team_id, "
            "signal_count, due_at, created_at, updated_at, escalated_at, resolved_at, resolution, version"
        )
        statuses = ("open", "assigned", "in_progress", "escalated", "resolved", "verified", "closed")
        count = 0
        with self.conn.cursor().copy(f"COPY tickets ({columns}) FROM STDIN") as copy:
            for code, province, *_ in self.communes:
                for _ in range(9):
                    created = self.when(PERIOD_DAYS * 1.5)
                    due = created + timedelta(days=self.rng.choice((7, 14, 30, 42)))
                    status = self.rng.choice(statuses)
                    resolved = None
                    if status in ("resolved", "verified", "closed"):
                        resolved = min(created + timedelta(hours=self.rng.uniform(2, 60 * 24)), self.now)
                    escalated = created + timedelta(days=3) if status == "escalated" else None
                    copy.write_row(
                        (
                            "[synthetic] bench ticket",
                            "",
                            "equipment",
                            "medium",
                            status,
                            "commune",
                            code,
                            province,
                            self.teams[province],
                            1,
                            due,
                            created,
                            created,
                            escalated,
                            resolved,
                            "",
                            1,
                        )
                    )
                    count += 1
        return count

    def load_assistance(self) -> int:
        columns = (
            "id, observed_at, received_at, geom, h3_cell, team_id, admin_unit_code, province_code, service, "
            "citizens_helped, language_support, outcome"
        )
        count = 0
        with self.conn.cursor().copy(f"COPY assistance_logs ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat, *_ in self.communes:
                for _ in range(12):
                    helped = self.rng.randint(1, 40)
                    copy.write_row(
                        (
                            *self._record(code, province, lon, lat, PERIOD_DAYS),
                            self.teams[province],
                            code,
                            province,
                            self.rng.choice(SERVICES),
                            helped,
                            self.rng.randint(0, helped // 3),
                            "",
                        )
                    )
                    count += 1
        return count

    def load_visits(self) -> int:
        columns = "id, observed_at, received_at, geom, h3_cell, team_id, admin_unit_code, province_code, purpose, notes"
        count = 0
        with self.conn.cursor().copy(f"COPY visits ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat, *_ in self.communes:
                for _ in range(self.rng.choice((0, 1, 3, 9))):
                    copy.write_row(
                        (*self._record(code, province, lon, lat, 180), self.teams[province], code, province, "", "")
                    )
                    count += 1
        return count


def load(url: str, readings: int, seed: int) -> dict:
    started = time.perf_counter()
    rebuild(url)
    migrate(url)
    now = datetime.now(UTC)
    with psycopg.connect(conninfo(url)) as conn:
        counts = Loader(conn, readings, seed, now).load()
        conn.commit()
    rolled = time.perf_counter()
    roll_up(url)
    rollup_seconds = round(time.perf_counter() - rolled, 1)
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "rows": counts,
        "load_seconds": round(time.perf_counter() - started, 1),
        "rollup_seconds": rollup_seconds,
        "loaded_at": now.isoformat(),
    }


def roll_up(url: str) -> None:
    """The daily rollups of the COPYed records (COPY bypasses ingest, which keeps them otherwise)."""
    from bench.app import bench_app
    from server.extensions import db
    from server.indicators import rollups

    with bench_app(url).app_context():
        rollups.rebuild(db.session)
        db.session.commit()
        db.session.remove()


def row_counts(url: str) -> dict[str, int]:
    tables = ("teams", "sites", "connectivity_readings", "equipment_checks", "tickets", "assistance_logs", "visits")
    with psycopg.connect(conninfo(url)) as conn:
        return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}


def _timed(measures: dict, runs: int, time_limit: float) -> dict:
    """Each measure once to warm up, then ``runs`` rounds of all of them in turn (so that they share the cache
    and the machine's load), stopping early past ``time_limit``; then one more run each under tracemalloc."""
    for function in measures.values():
        function()
    seconds: dict[str, list[float]] = {name: [] for name in measures}
    deadline = time.perf_counter() + time_limit
    for _ in range(runs):
        for name, function in measures.items():
            started = time.perf_counter()
            function()
            seconds[name].append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    results = {}
    for name, function in measures.items():
        tracemalloc.start()
        function()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results[name] = {
            "runs": len(seconds[name]),
            "median_s": round(statistics.median(seconds[name]), 3),
            "min_s": round(min(seconds[name]), 3),
            "max_s": round(max(seconds[name]), 3),
            "python_peak_mib": round(peak / 2**20, 1),
        }
    return results


def measure(url: str, runs: int, time_limit: float) -> dict:
    from sqlalchemy import func, select

    from bench.app import bench_app
    from reports.parameters import Area, Period
    from reports.plan import make_plan
    from reports.priorities import rank_places
    from reports.summaries import province_report
    from server.auth import Scope, issue_token
    from server.extensions import db
    from server.models import AdminUnit, ConnectivityReading, User

    app = bench_app(url)
    everywhere = Scope(everywhere=True)
    results = {}
    with app.app_context():
        session = db.session
        province = session.execute(
            select(AdminUnit.parent_code, func.count())
            .where(AdminUnit.level == "commune")
            .group_by(AdminUnit.parent_code)
            .order_by(func.count().desc(), AdminUnit.parent_code)
            .limit(1)
        ).first()
        now = datetime.now(UTC)
        period = Period(now - timedelta(days=PERIOD_DAYS), now)
        in_period = session.scalar(
            select(func.count()).where(ConnectivityReading.observed_at >= period.since).select_from(ConnectivityReading)
        )
        in_province = session.scalar(
            select(func.count())
            .where(ConnectivityReading.province_code == province[0])
            .select_from(ConnectivityReading)
        )
        area = Area(province=province[0])
        results["province"] = {"code": province[0], "communes": province[1], "readings": in_province}
        results["readings_in_period"] = in_period
        user = User(username=f"bench_admin_{uuid.uuid4().hex[:8]}", role="admin")
        session.add(user)
        session.flush()
        _, token = issue_token(session, user, "bench")
        session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/reports/provinces/{province[0]}"
        ranked = []

        def page():
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")

        results.update(
            _timed(
                {
                    "province_report": lambda: province_report(session, everywhere, area, period, now),
                    "province_page_http": page,
                    "national_ranking": lambda: ranked.append(
                        len(rank_places(session, everywhere, Area(), period, now))
                    ),
                    "national_plan": lambda: make_plan(
                        rank_places(session, everywhere, Area(), period, now), _costs(), PLAN_BUDGET
                    ),
                },
                runs,
                time_limit,
            )
        )
        results["national_ranking"]["places_ranked"] = ranked[-1]
        session.rollback()
        db.engine.dispose()
    results["ru_maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return results


def _costs():
    from reports.parameters import Costs

    return Costs()


def environment(url: str) -> dict:
    with psycopg.connect(conninfo(url)) as conn:
        server = conn.execute("SELECT version()").fetchone()[0].split(",")[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    import os
    import platform

    return {
        "python": platform.python_version(),
        "postgresql": server,
        "postgis": postgis,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def markdown(result: dict) -> str:
    m = result["measures"]
    province = m["province"]
    rows = [
        ("Province report (all its page shows)", m["province_report"], 1.0),
        ("Province page over HTTP (test client)", m["province_page_http"], None),
        ("National ranking (communes and H3 cells)", m["national_ranking"], 5.0),
        (f"National plan ({PLAN_BUDGET / 1e9:.0f} billion VND budget)", m["national_plan"], None),
    ]
    lines = [
        "| measure | median | min | max | runs | Python peak | target |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, figures, target in rows:
        met = "" if target is None else (f"< {target:g} s ✔" if figures["median_s"] < target else f"< {target:g} s ✘")
        lines.append(
            f"| {label} | {figures['median_s']:.3f} s | {figures['min_s']:.3f} s | {figures['max_s']:.3f} s "
            f"| {figures['runs']} | {figures['python_peak_mib']} MiB | {met} |"
        )
    rows_loaded = ", ".join(f"{name} {count:,}" for name, count in result["load"]["rows"].items())
    lines += [
        "",
        f"Data: {rows_loaded}; {m['readings_in_period']:,} readings in the {PERIOD_DAYS}-day period. Province: "
        f"{province['code']} ({province['communes']} communes, {province['readings']:,} readings). Places ranked "
        f"nationally: {m['national_ranking']['places_ranked']:,}. Process peak RSS {m['ru_maxrss_mib']} MiB.",
    ]
    env = result["environment"]
    lines.append(
        f"Environment: {env['postgresql']}, PostGIS {env['postgis']}, Python {env['python']}, "
        f"{env['cpus']} CPUs ({env['machine']})."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per measure before stopping runs")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.database_url).database or ""):
        parser.error("the database is rebuilt: its name must contain 'bench'")
    runs = max(1, min(args.runs, MAX_RUNS))
    if args.measure_only:
        print(json.dumps(measure(args.database_url, runs, args.time_limit)))
        return
    if args.reuse:
        loaded = {"rows": row_counts(args.database_url), "load_seconds": None}
    else:
        print(f"loading {args.readings:,} readings ...", file=sys.stderr)
        loaded = load(args.database_url, args.readings, args.seed)
    command = [sys.executable, "-m", "bench.reports_million", "--database-url", args.database_url]
    command += ["--runs", str(runs), "--time-limit", str(args.time_limit), "--measure-only"]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=math.ceil(args.time_limit) * 6)
    if finished.returncode != 0:
        sys.exit(finished.stderr)
    result = {"load": loaded, "measures": json.loads(finished.stdout), "environment": environment(args.database_url)}
    print(json.dumps(result, indent=1), file=sys.stderr)
    print(markdown(result))


if __name__ == "__main__":
    main()
