"""The dead-spot map page at a million connectivity readings on PostGIS, against a plain folium map of the raw points.

    python -m bench.maps_million --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_maps

The database in the URL is rebuilt (its public schema is dropped), so its name must contain "bench". The set-up
migrates it, loads the admin units and ``COPY``s ``--readings`` synthetic readings (deterministic for ``--seed``)
clustered around places in the six demo provinces, with the server columns ingest derives (H3 cell, dead spot).

Measured, each ``--runs`` times after one warm-up (median and worst reported):
- the page: ``GET /maps/dead-spots`` through the app (an admin's bearer token, so all readings count; also one
  province and one commune), i.e. auth, the SQL GROUP BY, the H3 roll-up, the folium build and the render; bytes
  of the page, and of its standalone download (``download=1``, Leaflet inlined);
- where the page's time goes: the SQL aggregate alone, roll-up, folium build, render;
- the raw map: ``SELECT`` of every reading's point, then folium's ``FastMarkerCluster`` over all of them (the
  lightest raw-point map folium has; per-point ``CircleMarker`` objects are far larger), rendered; run in a child
  process bounded by ``--raw-timeout`` seconds, and reported as such if it does not finish.
"""

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import h3
import numpy as np
import psycopg
from sqlalchemy import select

from bench.database import conninfo, rebuild
from bench.nationwide import create_period_partitions
from server import create_app
from server.auth import Scope, issue_token
from server.extensions import db
from server.indicators import rollups
from server.models import AdminUnit, User
from server.services.admin_units import load_official_units

PROVINCES = ("15", "08", "11", "04", "52", "96")  # the demo's field provinces
PLACES_PER_PROVINCE = 400
PLACE_SPREAD_DEGREES = 0.45  # places within about 50 km of the province centre
READING_SPREAD_DEGREES = 0.015  # readings within a couple of km of their place
COPY_COLUMNS = (
    "id",
    "observed_at",
    "received_at",
    "geom",
    "h3_cell",
    "device_id",
    "admin_unit_code",
    "province_code",
    "network",
    "operator_code",
    "operator",
    "signal_dbm",
    "down_mbps",
    "power_available",
    "dead_spot",
)
NETWORKS = ("2g", "3g", "4g", "5g")
OPERATORS = (("452-01", "MobiFone"), ("452-02", "VinaPhone"), ("452-04", "Viettel"))
PAGE_LIMIT_BYTES = 2_000_000
COPY_CHUNK = 20_000
PAGE_LIMIT_SECONDS = 2.0


def set_up(app) -> tuple[str, dict[str, list[str]], dict[str, tuple[float, float]]]:
    """Schema, admin units, an administrator with a token; returns the token, communes and centres per province."""
    from maps.filters import province_capitals

    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        user = User(username="bench_admin", role="admin")
        db.session.add(user)
        db.session.flush()
        _, token = issue_token(db.session, user, "bench")
        communes = {
            code: list(
                db.session.scalars(select(AdminUnit.code).where(AdminUnit.parent_code == code).order_by(AdminUnit.code))
            )
            for code in PROVINCES
        }
        db.session.commit()
        db.session.remove()
    capitals = province_capitals()
    return token, communes, {code: capitals[code] for code in PROVINCES}


def generate_and_copy(url: str, count: int, seed: int, communes: dict, centres: dict) -> float:
    """``count`` readings around places (each with its own dead-spot rate) COPYed in one transaction."""
    rng = np.random.default_rng(seed)
    places = []
    for province in PROVINCES:
        lat, lon = centres[province]
        for _ in range(PLACES_PER_PROVINCE):
            places.append(
                (
                    province,
                    str(rng.choice(communes[province])),
                    lat + rng.uniform(-PLACE_SPREAD_DEGREES, PLACE_SPREAD_DEGREES),
                    lon + rng.uniform(-PLACE_SPREAD_DEGREES, PLACE_SPREAD_DEGREES),
                    float(rng.beta(0.6, 3.0)),  # most places are fine, some are mostly dead
                )
            )
    weights = rng.pareto(1.2, len(places)) + 0.2
    chosen = rng.choice(len(places), size=count, p=weights / weights.sum())
    lats = np.array([places[i][2] for i in chosen]) + rng.normal(0, READING_SPREAD_DEGREES, count)
    lons = np.array([places[i][3] for i in chosen]) + rng.normal(0, READING_SPREAD_DEGREES, count)
    dead = rng.random(count) < np.array([places[i][4] for i in chosen])
    networks = rng.choice(len(NETWORKS), size=count, p=(0.1, 0.25, 0.55, 0.1))
    operators = rng.integers(0, len(OPERATORS), size=count)
    signal = rng.integers(-112, -60, size=count)
    down = np.round(rng.uniform(0.5, 80.0, size=count), 2)
    seconds_ago = rng.integers(60, 90 * 86400, size=count)
    now = datetime.now(UTC)
    id_bytes = rng.bytes(16 * count)
    statement = f"COPY connectivity_readings ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    create_period_partitions(url, now)
    start = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        indexes = without_secondary_indexes(conn)
        conn.execute("SET session_replication_role = replica")  # the id registry rows follow the COPY
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            lines = []
            for index in range(count):
                lat, lon = round(float(lats[index]), 6), round(float(lons[index]), 6)
                province, commune = places[chosen[index]][0], places[chosen[index]][1]
                operator_code, operator = OPERATORS[operators[index]]
                is_dead = bool(dead[index])
                observed = now - timedelta(seconds=int(seconds_ago[index]))
                fields = (
                    str(uuid.UUID(bytes=id_bytes[16 * index : 16 * index + 16], version=4)),
                    observed.isoformat(),
                    now.isoformat(),
                    f"SRID=4326;POINT({lon} {lat})",
                    h3.latlng_to_cell(lat, lon, 8),
                    f"bench-{index % 5000}",
                    commune,
                    province,
                    "none" if is_dead else NETWORKS[networks[index]],
                    operator_code,
                    operator,
                    "\\N" if is_dead else str(int(signal[index])),
                    "\\N" if is_dead else str(float(down[index])),
                    "t",
                    "t" if is_dead else "f",
                )
                lines.append("\t".join(fields))
                if len(lines) == COPY_CHUNK:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute(
            "INSERT INTO connectivity_reading_ids (id, observed_at) SELECT id, observed_at FROM connectivity_readings"
        )
        for definition in indexes:
            conn.execute(definition)
        conn.commit()
        conn.execute("ANALYZE connectivity_readings")
    return time.perf_counter() - start


def without_secondary_indexes(conn) -> list[str]:
    """Drop the table's indexes other than its constraints' (rebuilt after the COPY, as they were: faster than
    maintaining a GiST index row by row); returns their definitions."""
    definitions = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'connectivity_readings' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
    ).fetchall()
    for name, _ in definitions:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in definitions]


def timed(function, runs: int):
    """One warm-up, then ``runs`` timed calls; returns (median seconds, worst seconds, last result)."""
    result = function()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds), result


def measure_pages(app, token: str, runs: int, communes: dict) -> list[dict]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    busiest_commune = busiest(app)
    views = [
        ("all readings (6 provinces)", "/maps/dead-spots"),
        ("one province (15)", "/maps/dead-spots?province=15"),
        (f"one commune ({busiest_commune}), heat layer", f"/maps/dead-spots?commune={busiest_commune}&heat=1"),
    ]
    results = []
    for label, path in views:

        def get(path=path):
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
            return response.get_data()

        median, worst, body = timed(get, runs)
        download = client.get(path + ("&" if "?" in path else "?") + "download=1", headers=headers).get_data()
        cells = re.search(rb"in ([\d,]+) cells", body)
        results.append(
            {
                "view": label,
                "path": path,
                "median_s": median,
                "worst_s": worst,
                "bytes": len(body),
                "download_bytes": len(download),
                "cells": int(cells.group(1).replace(b",", b"")) if cells else None,
            }
        )
    return results


def busiest(app) -> str:
    from sqlalchemy import func

    from server.models import ConnectivityReading

    with app.app_context():
        code = db.session.scalar(
            select(ConnectivityReading.admin_unit_code)
            .group_by(ConnectivityReading.admin_unit_code)
            .order_by(func.count().desc())
            .limit(1)
        )
        db.session.remove()
    return code


def breakdown(app, runs: int) -> dict:
    """Where the whole-data page's time goes, step by step, through the functions the page calls."""
    from maps import aggregates, builders, hexes
    from maps.filters import MapFilters

    scope = Scope(everywhere=True)
    parts = {}
    with app.app_context():
        parts["SQL GROUP BY h3_cell"], _, rows = timed(
            lambda: aggregates.dead_spot_counts(db.session, scope, MapFilters()), runs
        )

        def roll_up():
            wanted = aggregates.choose_resolution(MapFilters(), 8, extent=hexes.extent(rows))
            return hexes.grid(rows, wanted)

        parts["extent, resolution, H3 roll-up"], _, (resolution, cells) = timed(roll_up, runs)
        grid = aggregates.DeadSpotGrid(resolution, cells, sum(r[1] for r in rows), sum(r[2] for r in rows), 8)
        settings = builders.MapSettings(tiles="none", title="bench")
        parts["folium build"], _, _ = timed(lambda: builders.dead_spot_map(grid, settings), runs)
        fmap = builders.dead_spot_map(grid, settings)
        parts["render to HTML"], _, _ = timed(
            lambda: builders.page_html(fmap, lambda r: f"/maps/assets/{r.library}/{r.filename}"), runs
        )
        db.session.remove()
    return {"stored_cells": len(rows), "resolution": resolution, "cells": len(cells), "seconds": parts}


def raw_map(url: str) -> dict:
    """The plain map: every reading's point fetched, then FastMarkerCluster over them, rendered (child process)."""
    import folium
    from folium.plugins import FastMarkerCluster

    start = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        points = conn.execute("SELECT ST_Y(geom), ST_X(geom) FROM connectivity_readings").fetchall()
    fetched = time.perf_counter()
    fmap = folium.Map(location=[21.5, 105.0], zoom_start=7)
    FastMarkerCluster(points).add_to(fmap)
    built = time.perf_counter()
    html = fmap.get_root().render()
    rendered = time.perf_counter()
    return {
        "points": len(points),
        "fetch_s": fetched - start,
        "build_s": built - fetched,
        "render_s": rendered - built,
        "total_s": rendered - start,
        "bytes": len(html.encode()),
    }


def measure_raw(url: str, timeout: float) -> dict:
    command = [sys.executable, "-m", "bench.maps_million", "--database-url", url, "--raw-only"]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"timed_out_after_s": time.perf_counter() - start}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(setup: dict, pages: list[dict], parts: dict, raw: dict) -> None:
    print(
        f"\n{setup['readings']:,} readings COPYed in {setup['copy_s']:.1f} s; {setup['versions']}; {setup['machine']}"
    )
    print(
        f"\n{'dead-spot map page':<42} {'cells':>6} {'median s':>9} {'worst s':>8} {'page bytes':>11} {'download':>10}"
    )
    for page in pages:
        print(
            f"{page['view']:<42} {page['cells'] or 0:6,} {page['median_s']:9.3f} {page['worst_s']:8.3f} "
            f"{page['bytes']:11,} {page['download_bytes']:10,}"
        )
    print(
        f"\nwhole-data page: {parts['stored_cells']:,} stored cells -> {parts['cells']:,} cells at resolution "
        f"{parts['resolution']}"
    )
    for name, seconds in parts["seconds"].items():
        print(f"  {name:<40} {seconds:7.3f} s")
    if "timed_out_after_s" in raw:
        print(f"\nraw FastMarkerCluster map: not finished after {raw['timed_out_after_s']:.0f} s (bound)")
        return
    print(
        f"\nraw FastMarkerCluster map of {raw['points']:,} points: {raw['total_s']:.1f} s "
        f"(fetch {raw['fetch_s']:.1f}, build {raw['build_s']:.1f}, render {raw['render_s']:.1f}), "
        f"{raw['bytes']:,} bytes"
    )
    whole = pages[0]
    print(
        f"\nwhole-data page vs raw map: {whole['bytes'] / raw['bytes']:.4f} of the size "
        f"(1/{raw['bytes'] / whole['bytes']:.0f}), {raw['total_s'] / whole['median_s']:.0f}x faster"
    )
    ok = (
        whole["bytes"] < PAGE_LIMIT_BYTES
        and whole["bytes"] < raw["bytes"] / 10
        and whole["worst_s"] < PAGE_LIMIT_SECONDS
    )
    print(f"targets (< 2 MB, < 1/10 of raw, < 2 s): {'met' if ok else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... (name containing 'bench')")
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement (after one warm-up)")
    parser.add_argument("--raw-timeout", type=float, default=900, help="seconds allowed for the raw map")
    parser.add_argument("--raw-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON line")
    args = parser.parse_args()
    if args.raw_only:
        print(json.dumps(raw_map(args.database_url)))
        return
    if not 1 <= args.readings <= 5_000_000 or not 1 <= args.runs <= 50:
        raise SystemExit("--readings must be 1..5,000,000 and --runs 1..50")

    rebuild(args.database_url)
    # REQUEST_LOG off: a log line per request is not what is measured (ignored where the setting does not exist)
    settings = {"SECRET_KEY": "bench", "MAP_TILES": "none", "REQUEST_LOG": False}
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, **settings})
    token, communes, centres = set_up(app)
    copy_seconds = generate_and_copy(args.database_url, args.readings, args.seed, communes, centres)
    with app.app_context():  # COPY bypasses ingest, which keeps the rollups the map reads
        rollups.rebuild(db.session)
        db.session.commit()
        db.session.remove()
    with psycopg.connect(conninfo(args.database_url)) as conn:
        versions = "PostgreSQL {}, PostGIS {}".format(
            conn.execute("SHOW server_version").fetchone()[0],
            conn.execute("SELECT postgis_lib_version()").fetchone()[0],
        )
    setup = {
        "readings": args.readings,
        "copy_s": copy_seconds,
        "versions": versions,
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
    }
    pages = measure_pages(app, token, args.runs, communes)
    parts = breakdown(app, args.runs)
    raw = measure_raw(args.database_url, args.raw_timeout)
    report(setup, pages, parts, raw)
    if args.json:
        print(json.dumps({"setup": setup, "pages": pages, "breakdown": parts, "raw": raw}))


if __name__ == "__main__":
    main()
