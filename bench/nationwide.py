"""A nationwide synthetic data set for the benchmarks, written with COPY (PostGIS).

    python -m bench.nationwide --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_nation \
        --readings 1000000
    python -m bench.nationwide --database-url ... --add-readings 9000000     # on top of what is there

The database is rebuilt (its name must contain "bench"): migrations, the official 34 provinces and 3,321 communes
with their centroids, the operators; then, every row marked synthetic:

- one team per province, two sites per commune (around the commune's official centroid);
- connectivity readings over the ``PERIOD_DAYS`` days before the load, evenly over the communes, each commune with
  its own dead-spot rate drawn from Beta(1.2, 5) and 40% of them with fibre; 2% placed only at province level
  (so H3 cells are ranked too), 40% taken at a site. Generated column-wise with numpy and written with ``COPY``,
  with their id registry rows, into the monthly partitions (created for the period first);
- per commune: three assets checked three times, nine tickets in every status, twelve assistance logs and
  0 to 9 visits.

Loading readings drops the readings' indexes and keys and builds them again afterwards (as a restore would),
and turns triggers off for the COPY (``session_replication_role = replica``: the rows are consistent by
construction); adding the registry reference back checks every loaded reading against the registry in one join.
COPY bypasses ingest, so the daily rollups the indicators read are rebuilt from the raw records after every load
(``rollups rebuild``). 10 million readings load in minutes; see BENCHMARKS.md.
"""

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h3
import numpy as np
import psycopg

from bench.database import conninfo, rebuild

ROOT = Path(__file__).resolve().parent.parent
PERIOD_DAYS = 90
UNPLACED_SHARE = 0.02
AT_SITE_SHARE = 0.4
SITES_PER_COMMUNE = 2
SITE_KINDS = ("commune_service_centre", "village")
ASSETS = (("computer", "PC"), ("printer", "Printer"), ("scanner", "Scanner"))
SERVICES = ("digital_id", "online_public_service", "e_payment", "other")
CHUNK = 200_000
READING_COLUMNS = (
    "id, observed_at, received_at, geom, h3_cell, team_id, site_id, admin_unit_code, province_code, network, "
    "operator_code, operator, signal_dbm, down_mbps, power_available, dead_spot"
)
# The readings' keys and indexes as migration 0010 makes them, dropped while loading and built again after.
READING_INDEXES = (
    ("ix_connectivity_readings_admin_unit_code_observed_at", "(admin_unit_code, observed_at)"),
    ("ix_connectivity_readings_dead_spot_observed_at", "(dead_spot, observed_at)"),
    ("ix_connectivity_readings_h3_cell", "(h3_cell)"),
    ("ix_connectivity_readings_observed_at", "(observed_at)"),
    ("ix_connectivity_readings_province_code_observed_at", "(province_code, observed_at)"),
    ("ix_connectivity_readings_received_at", "(received_at)"),
    ("ix_connectivity_readings_site_id", "(site_id)"),
    ("ix_connectivity_readings_team_id", "(team_id)"),
    ("idx_connectivity_readings_geom", "USING gist (geom)"),
)
REGISTRY_FK = "fk_connectivity_readings_id_connectivity_reading_ids"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def migrate(url: str) -> None:
    """Schema, official units (with centroids) and operators, through the application's own commands."""
    import flask_migrate

    from bench.app import bench_app
    from server.extensions import db
    from server.services.admin_units import load_official_units
    from server.services.operators import load_operators

    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        db.session.commit()
        db.engine.dispose()


class Communes:
    """The current communes with their province, centroid, dead-spot rate and fibre, as numpy columns."""

    def __init__(self, conn, seed: int):
        rows = conn.execute(
            "SELECT code, parent_code, ST_X(centroid), ST_Y(centroid) FROM admin_units "
            "WHERE level = 'commune' AND centroid IS NOT NULL ORDER BY code"
        ).fetchall()
        rng = np.random.default_rng(seed)
        self.codes = np.array([row[0] for row in rows])
        self.provinces = np.array([row[1] for row in rows])
        self.lon = np.array([row[2] for row in rows])
        self.lat = np.array([row[3] for row in rows])
        self.dead_rate = rng.beta(1.2, 5, len(rows))
        self.fibre = rng.random(len(rows)) < 0.4

    def __len__(self) -> int:
        return len(self.codes)


def ewkb_hex(lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """Points as hex EWKB with SRID 4326 (what PostGIS prints and reads back), built column-wise."""
    points = np.empty(len(lon), dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
    points["order"], points["type"], points["srid"] = 1, 0x20000001, 4326
    points["x"], points["y"] = lon, lat
    text = points.tobytes().hex().upper()
    return [text[start : start + 50] for start in range(0, len(text), 50)]


def load_readings(conn, communes: Communes, teams: dict, first_site: int, count: int, seed: int, now: datetime):
    """``count`` readings, column-wise, written with COPY in chunks (with their registry rows)."""
    rng = np.random.default_rng(seed)
    team_of = np.array([teams[province] for province in communes.provinces])
    written = 0
    with conn.cursor() as cursor:
        while written < count:
            n = min(CHUNK, count - written)
            commune = rng.integers(0, len(communes), n)
            lon = communes.lon[commune] + rng.uniform(-8, 8, n) / 105
            lat = communes.lat[commune] + rng.uniform(-8, 8, n) / 111
            dead = rng.random(n) < communes.dead_rate[commune]
            fiber = ~dead & communes.fibre[commune] & (rng.random(n) < 0.15)
            mobile = ~dead & ~fiber
            unplaced = rng.random(n) < UNPLACED_SHARE
            at_site = ~unplaced & (rng.random(n) < AT_SITE_SHARE)
            site = first_site + commune * SITES_PER_COMMUNE + rng.integers(0, SITES_PER_COMMUNE, n)
            seconds = rng.uniform(60, PERIOD_DAYS * 86400, n)
            observed = np.datetime64(now.replace(tzinfo=None), "us") - (seconds * 1e6).astype("timedelta64[us]")
            ids = rng.bytes(16 * n).hex()
            columns = [
                [ids[start : start + 32] for start in range(0, 32 * n, 32)],
                [f"{moment}+00" for moment in np.datetime_as_string(observed, unit="us")],
                None,  # received_at: as observed
                ewkb_hex(lon, lat),
                [h3.latlng_to_cell(y, x, 8) for y, x in zip(lat.tolist(), lon.tolist(), strict=True)],
                team_of[commune].astype(str).tolist(),
                np.where(at_site, site.astype(str), "\\N").tolist(),
                np.where(unplaced, communes.provinces[commune], communes.codes[commune]).tolist(),
                communes.provinces[commune].tolist(),
                np.where(dead, "none", np.where(fiber, "fiber", "4g")).tolist(),
                ["452-04"] * n,
                ["Viettel"] * n,
                np.where(mobile, rng.integers(-110, -60, n).astype(str), "\\N").tolist(),
                np.where(dead, "\\N", np.round(np.where(fiber, rng.uniform(20, 300, n), rng.uniform(1, 80, n)), 1))
                .astype(str)
                .tolist(),
                np.where(rng.random(n) > 0.05, "t", "f").tolist(),
                np.where(dead, "t", "f").tolist(),
            ]
            columns[2] = columns[1]
            with cursor.copy(f"COPY connectivity_readings ({READING_COLUMNS}) FROM STDIN") as copy:
                copy.write("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")
            with cursor.copy("COPY connectivity_reading_ids (id, observed_at) FROM STDIN") as copy:
                copy.write("\n".join(map("\t".join, zip(columns[0], columns[1], strict=True))) + "\n")
            written += n
            log(f"    {written:,} readings")
    return written


def drop_reading_keys(conn) -> None:
    conn.execute(f"ALTER TABLE connectivity_readings DROP CONSTRAINT IF EXISTS {REGISTRY_FK}")
    conn.execute("ALTER TABLE connectivity_readings DROP CONSTRAINT IF EXISTS pk_connectivity_readings")
    conn.execute("ALTER TABLE connectivity_reading_ids DROP CONSTRAINT IF EXISTS pk_connectivity_reading_ids")
    conn.execute(
        "ALTER TABLE connectivity_reading_ids DROP CONSTRAINT IF EXISTS uq_connectivity_reading_ids_id_observed_at"
    )
    for name, _ in READING_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def build_reading_keys(conn) -> None:
    conn.execute("SET maintenance_work_mem = '512MB'")
    statements = [
        "ALTER TABLE connectivity_reading_ids ADD CONSTRAINT pk_connectivity_reading_ids PRIMARY KEY (id)",
        "ALTER TABLE connectivity_reading_ids ADD CONSTRAINT uq_connectivity_reading_ids_id_observed_at "
        "UNIQUE (id, observed_at)",
        "ALTER TABLE connectivity_readings ADD CONSTRAINT pk_connectivity_readings PRIMARY KEY (id, observed_at)",
        f"ALTER TABLE connectivity_readings ADD CONSTRAINT {REGISTRY_FK} FOREIGN KEY (id, observed_at) "
        "REFERENCES connectivity_reading_ids (id, observed_at)",
        *(f"CREATE INDEX {name} ON connectivity_readings {definition}" for name, definition in READING_INDEXES),
    ]
    for statement in statements:
        started = time.perf_counter()
        conn.execute(statement)
        log(f"    {statement.split(' ON ')[0][:90]}: {time.perf_counter() - started:.0f} s")


def add_readings(url: str, count: int, seed: int, now: datetime | None = None) -> float:
    """Add ``count`` readings to a loaded data set (same communes, teams and sites); returns the seconds taken."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        communes = Communes(conn, seed)
        teams = dict(conn.execute("SELECT admin_unit_code, team_id FROM team_jurisdictions").fetchall())
        first_site = conn.execute("SELECT min(id) FROM sites").fetchone()[0]
        create_period_partitions(url, now)
        drop_reading_keys(conn)
        conn.execute("SET session_replication_role = replica")
        log(f"  readings: writing {count:,}")
        already = conn.execute("SELECT count(*) FROM connectivity_reading_ids").fetchone()[0]
        load_readings(conn, communes, teams, first_site, count, seed * 1_000_003 + already, now)
        conn.execute("SET session_replication_role = DEFAULT")
        log("  readings: building keys and indexes")
        build_reading_keys(conn)
        conn.execute("ANALYZE connectivity_readings")
        conn.execute("ANALYZE connectivity_reading_ids")
    rebuild_rollups(url)
    return time.perf_counter() - started


def rebuild_rollups(url: str) -> None:
    """COPY bypasses ingest, which keeps the daily rollups the indicators read: rebuild them from the raw records."""
    from bench.app import bench_app
    from server.extensions import db
    from server.indicators import rollups

    started = time.perf_counter()
    app = bench_app(url)
    with app.app_context():
        written = rollups.rebuild(db.session)
        db.session.commit()
        db.engine.dispose()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for table in written:
            conn.execute(f"VACUUM ANALYZE {table}")
    log(f"  rollups rebuilt in {time.perf_counter() - started:.0f} s: {written}")


def create_period_partitions(url: str, now: datetime) -> None:
    """The monthly partitions of the readings' period (and three months ahead), through the application."""
    from bench.app import bench_app
    from server.extensions import db
    from server.services.readings_store import create_partitions

    app = bench_app(url)
    with app.app_context():
        created = create_partitions(db.session, 3, since=now - timedelta(days=PERIOD_DAYS + 1), now=now)
        db.session.commit()
        db.engine.dispose()
    if created:
        log(f"  partitions created: {', '.join(created)}")


class Others:
    """Teams, sites, equipment checks, tickets, assistance logs and visits, per commune (row by row: they are few)."""

    def __init__(self, conn, communes: Communes, seed: int, now: datetime):
        self.conn, self.communes, self.rng, self.now = conn, communes, random.Random(seed), now
        self.teams: dict[str, int] = {}

    def when(self, days: float = PERIOD_DAYS) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(60, days * 86400))

    def place(self, lon: float, lat: float, km: float = 5) -> tuple[str, str]:
        x = lon + self.rng.uniform(-km, km) / 105
        y = lat + self.rng.uniform(-km, km) / 111
        return f"SRID=4326;POINT({x:.6f} {y:.6f})", h3.latlng_to_cell(y, x, 8)

    def each_commune(self):
        c = self.communes
        yield from zip(c.codes.tolist(), c.provinces.tolist(), c.lon.tolist(), c.lat.tolist(), strict=True)

    def load_teams(self) -> int:
        for province in sorted(set(self.communes.provinces.tolist())):
            team_id = self.conn.execute(
                "INSERT INTO teams (name, kind, created_at) VALUES (%s, 'working_group', %s) RETURNING id",
                (f"[synthetic] bench team {province}", self.now),
            ).fetchone()[0]
            self.conn.execute("INSERT INTO team_jurisdictions VALUES (%s, %s)", (team_id, province))
            self.teams[province] = team_id
        return len(self.teams)

    def load_sites(self) -> int:
        """Sites in commune order, ``SITES_PER_COMMUNE`` each, so a reading finds its sites by arithmetic."""
        columns = "name, kind, geom, admin_unit_code, province_code, attributes, created_at, updated_at"
        count = 0
        with self.conn.cursor().copy(f"COPY sites ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat in self.each_commune():
                for kind in SITE_KINDS[:SITES_PER_COMMUNE]:
                    geom, _ = self.place(lon, lat)
                    copy.write_row((f"[synthetic] {kind} {code}", kind, geom, code, province, "{}", self.now, self.now))
                    count += 1
        return count

    def _record(self, lon, lat, days=PERIOD_DAYS * 2) -> tuple:
        geom, cell = self.place(lon, lat)
        observed = self.when(days)
        return uuid.UUID(int=self.rng.getrandbits(128), version=4), observed, observed, geom, cell

    def load_equipment(self, first_site: int) -> int:
        columns = (
            "id, observed_at, received_at, geom, h3_cell, team_id, site_id, admin_unit_code, province_code, "
            "asset_kind, asset_label, condition, age_years, notes"
        )
        count = 0
        with self.conn.cursor().copy(f"COPY equipment_checks ({columns}) FROM STDIN") as copy:
            for position, (code, province, lon, lat) in enumerate(self.each_commune()):
                site = first_site + position * SITES_PER_COMMUNE
                for kind, label in ASSETS:
                    age = round(self.rng.uniform(0.5, 12), 1)
                    for _ in range(3):
                        condition = self.rng.choices(("working", "degraded", "broken", "missing"), (70, 15, 12, 3))[0]
                        team = self.teams[province]
                        row = (team, site, code, province, kind, f"{label} #1", condition, age, "")
                        copy.write_row((*self._record(lon, lat), *row))
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
            for code, province, _, _ in self.each_commune():
                for _ in range(9):
                    created = self.when(PERIOD_DAYS * 1.5)
                    due = created + timedelta(days=self.rng.choice((7, 14, 30, 42)))
                    status = self.rng.choice(statuses)
                    resolved = None
                    if status in ("resolved", "verified", "closed"):
                        resolved = min(created + timedelta(hours=self.rng.uniform(2, 60 * 24)), self.now)
                    escalated = created + timedelta(days=3) if status == "escalated" else None
                    copy.write_row(
                        ("[synthetic] bench ticket", "", "equipment", "medium", status, "commune", code, province)
                        + (self.teams[province], 1, due, created, created, escalated, resolved, "", 1)
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
            for code, province, lon, lat in self.each_commune():
                for _ in range(12):
                    helped = self.rng.randint(1, 40)
                    copy.write_row(
                        (*self._record(lon, lat, PERIOD_DAYS), self.teams[province], code, province)
                        + (self.rng.choice(SERVICES), helped, self.rng.randint(0, helped // 3), "")
                    )
                    count += 1
        return count

    def load_visits(self) -> int:
        columns = "id, observed_at, received_at, geom, h3_cell, team_id, admin_unit_code, province_code, purpose, notes"
        count = 0
        with self.conn.cursor().copy(f"COPY visits ({columns}) FROM STDIN") as copy:
            for code, province, lon, lat in self.each_commune():
                for _ in range(self.rng.choice((0, 1, 3, 9))):
                    copy.write_row((*self._record(lon, lat, 180), self.teams[province], code, province, "", ""))
                    count += 1
        return count


def load(url: str, readings: int, seed: int = 6) -> dict:
    """Rebuild the database and load the whole data set; returns row counts and seconds per step."""
    started = time.perf_counter()
    rebuild(url)
    migrate(url)
    now = datetime.now(UTC)
    steps = {}
    with psycopg.connect(conninfo(url)) as conn:
        communes = Communes(conn, seed)
        others = Others(conn, communes, seed, now)
        for name, step in (
            ("teams", others.load_teams),
            ("sites", others.load_sites),
            (
                "equipment_checks",
                lambda: others.load_equipment(conn.execute("SELECT min(id) FROM sites").fetchone()[0]),
            ),
            ("tickets", others.load_tickets),
            ("assistance_logs", others.load_assistance),
            ("visits", others.load_visits),
        ):
            step_started = time.perf_counter()
            rows = step()
            steps[name] = {"rows": rows, "seconds": round(time.perf_counter() - step_started, 1)}
            log(f"  {name}: {rows:,} rows in {steps[name]['seconds']} s")
        conn.commit()
    seconds = add_readings(url, readings, seed, now)
    steps["connectivity_readings"] = {"rows": readings, "seconds": round(seconds, 1)}
    log(f"  connectivity_readings: {readings:,} rows in {seconds:.0f} s")
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"steps": steps, "seconds": round(time.perf_counter() - started, 1), "communes": len(communes)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... of a *bench* database")
    parser.add_argument("--readings", type=int, default=1_000_000, help="rebuild and load this many readings")
    parser.add_argument("--add-readings", type=int, default=None, help="add this many to the loaded data instead")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.add_readings is not None:
        seconds = add_readings(args.database_url, args.add_readings, args.seed)
        print(json.dumps({"added_readings": args.add_readings, "seconds": round(seconds, 1)}))
    else:
        print(json.dumps(load(args.database_url, args.readings, args.seed), indent=1))


if __name__ == "__main__":
    main()
