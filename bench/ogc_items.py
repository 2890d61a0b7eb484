"""Requests per second of the OGC API's items against the JSON API's list of the same features, in one run.

    python -m bench.ogc_items --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fieldops_bench_ogc

The database in the URL is rebuilt (its public schema is dropped), so its name must contain "bench". The set-up
loads the official admin units, a team of provinces 15 and 25 (the readings fall in both) with a coordinator and
a token, and ``--records`` connectivity readings through ``POST /api/v1/sync`` (bench/readings.py, fixed seed).
gunicorn then serves the app on 127.0.0.1 (1 worker, 1 thread, keep-alive) and one urllib3 connection walks every
page of the readings,
``--page-size`` a page, through each endpoint in turn, ``--passes`` times, alternating the endpoints so a drift
of the machine's load hits them alike:

- OGC items: ``/api/v1/ogc/collections/connectivity-readings/items`` following the ``next`` links;
- JSON list: ``/api/v1/connectivity-readings`` following ``next_cursor``;
- GeoJSON list: ``/api/v1/connectivity-readings.geojson`` following ``next_cursor``.

Each walk must return every reading once, the same ids in the same order from every endpoint.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from urllib.parse import urlsplit

import flask_migrate
import urllib3

from bench.app import bench_app
from bench.database import rebuild
from bench.readings import connectivity_readings
from bench.sync_vs_copy import cpu_model, gunicorn_server
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import User
from server.services.admin_units import load_official_units
from server.services.operators import load_operators
from server.services.teams import create_team

ENDPOINTS = {
    "OGC items (GeoJSON)": "/api/v1/ogc/collections/connectivity-readings/items",
    "JSON list": "/api/v1/connectivity-readings",
    "GeoJSON list (.geojson)": "/api/v1/connectivity-readings.geojson",
}


def set_up(url: str, records: int) -> str:
    rebuild(url)
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        team = create_team(
            db.session, Scope(everywhere=True), name="bench", kind="working_group", jurisdiction=["15", "25"]
        )
        user = User(username="bench-coordinator", role="coordinator", team=team, jurisdiction_code="15")
        db.session.add(user)
        _, token = issue_token(db.session, user, "bench")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    readings = connectivity_readings(records)
    for start in range(0, records, 1000):
        answer = client.post("/api/v1/sync", json={"records": readings[start : start + 1000]}, headers=headers)
        body = answer.get_json()
        if answer.status_code != 200 or body["created"] != len(readings[start : start + 1000]):
            refused = [r for r in body.get("results", []) if r["status"] != "created"][:2]
            raise SystemExit(f"set-up: sync refused readings: {answer.status_code} {refused}")
    with app.app_context():
        db.engine.dispose()
    return token


def walk(pool: urllib3.HTTPConnectionPool, name: str, path: str, page_size: int, headers: dict) -> tuple[list, int]:
    """Every page of one endpoint: (ids in order, requests made)."""
    ids, requests = [], 0
    url = f"{path}?limit={page_size}"
    for _ in range(100_000):
        response = pool.request("GET", url, headers=headers)
        requests += 1
        if response.status != 200:
            raise SystemExit(f"{name}: HTTP {response.status}: {response.data[:300]!r}")
        body = json.loads(response.data)
        if "features" in body:
            ids += [feature["properties"]["id"] for feature in body["features"]]
        else:
            ids += [item["id"] for item in body["items"]]
        if name.startswith("OGC"):
            following = [link["href"] for link in body["links"] if link["rel"] == "next"]
            if not following:
                return ids, requests
            parts = urlsplit(following[0])
            url = f"{parts.path}?{parts.query}"
        else:
            if not body.get("next_cursor"):
                return ids, requests
            url = f"{path}?limit={page_size}&after={body['next_cursor']}"
    raise SystemExit(f"{name}: too many pages")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    token = set_up(args.database_url, args.records)
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    seconds = {name: [] for name in ENDPOINTS}
    counts: dict[str, int] = {}
    reference = None
    load_before = os.getloadavg()
    with gunicorn_server(args.database_url) as (port, _process):
        with urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False) as pool:
            for name, path in ENDPOINTS.items():  # warm-up: one walk each, not timed
                walk(pool, name, path, args.page_size, headers)
            for _pass in range(args.passes):
                for name, path in ENDPOINTS.items():
                    start = time.perf_counter()
                    ids, requests = walk(pool, name, path, args.page_size, headers)
                    seconds[name].append(time.perf_counter() - start)
                    counts[name] = requests
                    if len(ids) != args.records or len(set(ids)) != args.records:
                        raise SystemExit(f"{name}: {len(ids)} ids, {len(set(ids))} distinct, not {args.records}")
                    if reference is None:
                        reference = ids
                    elif ids != reference:
                        raise SystemExit(f"{name}: not the same features in the same order")
    load_after = os.getloadavg()
    json_rate = counts["JSON list"] / statistics.median(seconds["JSON list"])
    print(f"{args.records:,} readings, {args.page_size} a page, median of {args.passes} walks per endpoint")
    print(f"{'endpoint':<26} {'requests':>8} {'s/walk':>8} {'req/s':>8} {'features/s':>11} {'vs JSON':>8}")
    for name in ENDPOINTS:
        walk_seconds = statistics.median(seconds[name])
        rate = counts[name] / walk_seconds
        print(
            f"{name:<26} {counts[name]:>8} {walk_seconds:>8.2f} {rate:>8.1f} {args.records / walk_seconds:>11,.0f} "
            f"{rate / json_rate:>8.2f}"
        )
    print(f"walks (s): {json.dumps({name: [round(s, 2) for s in values] for name, values in seconds.items()})}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; {os.cpu_count()} CPUs {cpu_model()}")
    print(f"Python {platform.python_version()} on {sys.platform}")


if __name__ == "__main__":
    main()
