"""Bytes on the wire and load time of the heaviest pages, with and without response compression, in Chromium
over an emulated 2G-like link.

    python -m bench.page_weight [--seed 7] [--kbps 250] [--latency-ms 300] [--rounds 1]

Builds a temporary SpatiaLite database with the official admin units and the SYNTHETIC demo data (the same as
``flask --app wsgi demo load --seed 7``), then serves the app twice on 127.0.0.1: once as configured (compression
on) and once with Flask-Compress not registered (``COMPRESS_REGISTER=False``), each with ``MAP_TILES=none`` so no
request leaves the machine. Debian's Chromium (through playwright) opens each page in a fresh browser context with
its cache disabled, throttled by the DevTools protocol's ``Network.emulateNetworkConditions`` (download and upload
at ``--kbps``, ``--latency-ms`` per request). The browser waits for the ``load`` event, for the API docs page until
Swagger UI has drawn the operations it fetched, then until the network is idle (lazy frames included). Load time is
from the first request sent to the last response finished (the protocol's own timestamps); transferred bytes are
the sum of ``encodedDataLength`` (headers and body as received) over every response. The pages are taken in turn
(compressed, then uncompressed, page by page) so both variants see the same machine load.
"""

import argparse
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class PageSpec:
    label: str
    path: str
    ready: str | None = None  # a CSS selector that marks the page as usable, when the load event is too early


PAGES = (
    PageSpec("Province report page (Lào Cai, 15)", "/reports/provinces/15"),
    PageSpec("Dead-spot map page (all provinces)", "/maps/dead-spots"),
    PageSpec("Communes map page (all provinces)", "/maps/communes"),
    PageSpec("Tickets queue (Lào Cai, 15)", "/queues/admin-units/15"),
    PageSpec("OpenAPI document", "/api/v1/openapi.json"),
    PageSpec("API docs page (Swagger UI + document)", "/api/v1/docs", ready=".opblock"),
)


@dataclass
class Measure:
    transferred: int
    document: int  # the page's own response (the first one)
    requests: int
    seconds: float


def build_database(folder: Path, seed: int) -> tuple[str, str]:
    """A SpatiaLite file with admin units and the demo data; returns (database URL, admin token)."""
    import flask_migrate
    from sqlalchemy import select

    from bench.app import bench_app
    from server.auth import issue_token
    from server.demo import DEMO_MARKER_USER, load_demo
    from server.extensions import db
    from server.models import User
    from server.services.admin_units import load_official_units

    url = f"sqlite:///{folder / 'pages.sqlite'}"
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_demo(db.session, seed=seed)
        admin = db.session.scalars(select(User).where(User.username == DEMO_MARKER_USER)).one()
        _, token = issue_token(db.session, admin, "page weight benchmark")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url, token


def serve(url: str, compress: bool):
    """The app on a free port of 127.0.0.1 in a thread; returns (base URL, server)."""
    from werkzeug.serving import make_server

    from server import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAP_TILES": "none", "COMPRESS_REGISTER": compress}
    )
    import logging

    logging.getLogger("fieldops.request").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{http.server_port}", http


def measure(browser, base: str, page_spec: PageSpec, token: str, kbps: int, latency_ms: int) -> Measure:
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
    try:
        page = context.new_page()
        page.set_default_timeout(600_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        rate = kbps * 1000 / 8  # bytes per second
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": latency_ms, "downloadThroughput": rate, "uploadThroughput": rate},
        )
        sent: dict[str, float] = {}
        finished: dict[str, tuple[float, int]] = {}
        cdp.on("Network.requestWillBeSent", lambda event: sent.setdefault(event["requestId"], event["timestamp"]))
        cdp.on(
            "Network.loadingFinished",
            lambda event: finished.update({event["requestId"]: (event["timestamp"], event["encodedDataLength"])}),
        )
        response = page.goto(base + page_spec.path, wait_until="load")
        if response is None or response.status != 200:
            raise SystemExit(f"{page_spec.path}: HTTP {response.status if response else 'no response'}")
        if page_spec.ready:
            page.wait_for_selector(page_spec.ready)
        page.wait_for_load_state("networkidle")  # lazy frames and the scripts' own fetches too
        first = min(sent, key=sent.get)
        seconds = max(stamp for stamp, _ in finished.values()) - sent[first]
        total = round(sum(size for _, size in finished.values()))
        return Measure(total, round(finished[first][1]), len(finished), seconds)
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kbps", type=int, default=250)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1, help="loads of each page per variant (the median is shown)")
    args = parser.parse_args()
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="fieldops-page-weight-") as folder:
        started = time.perf_counter()
        url, token = build_database(Path(folder), args.seed)
        print(f"demo data (seed {args.seed}) loaded in {time.perf_counter() - started:.1f} s", flush=True)
        servers = {variant: serve(url, compress=variant == "compressed") for variant in ("compressed", "plain")}
        print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}", flush=True)
        results: dict[tuple[str, str], list[Measure]] = {}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                try:
                    for page_spec in PAGES:
                        for _ in range(args.rounds):
                            for variant, (base, _http) in servers.items():
                                found = measure(browser, base, page_spec, token, args.kbps, args.latency_ms)
                                results.setdefault((page_spec.path, variant), []).append(found)
                                print(
                                    f"  {variant:10} {page_spec.path:28} {found.document:>10,} B page "
                                    f"{found.transferred:>10,} B in all "
                                    f"{found.requests:>3} responses {found.seconds:7.2f} s",
                                    flush=True,
                                )
                finally:
                    browser.close()
        finally:
            for _base, http in servers.values():
                http.shutdown()
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
        print()
        print(f"Chromium, cache disabled, {args.kbps} kbps down/up, {args.latency_ms} ms latency")
        print(
            "| page | responses | page bytes plain | page bytes compressed | all bytes plain | all bytes compressed "
            "| ratio | load s plain | load s compressed |"
        )
        print("| --- | --: | --: | --: | --: | --: | --: | --: | --: |")
        for page_spec in PAGES:
            plain = results[(page_spec.path, "plain")]
            packed = results[(page_spec.path, "compressed")]
            plain_bytes = statistics.median(m.transferred for m in plain)
            packed_bytes = statistics.median(m.transferred for m in packed)
            print(
                f"| {page_spec.label} (`{page_spec.path}`) | {packed[0].requests} "
                f"| {statistics.median(m.document for m in plain):,.0f} "
                f"| {statistics.median(m.document for m in packed):,.0f} | {plain_bytes:,.0f} | "
                f"{packed_bytes:,.0f} | {packed_bytes / plain_bytes:.2f} | "
                f"{statistics.median(m.seconds for m in plain):.1f} | "
                f"{statistics.median(m.seconds for m in packed):.1f} |"
            )


if __name__ == "__main__":
    main()
