"""The field app on a 2G-like link: first-load bytes and time, repeat load offline, the 500-site list under a 4x
CPU slowdown, and sending an outbox of 1,000 records, in one run.

    python -m bench.field_app_load [--kbps 250] [--latency-ms 300] [--cpu 4] [--sites 500] [--records 1000]

Needs the built app (``make app``). Builds a temporary SpatiaLite database with the official admin units, the
operators, a team of provinces 15 and 25 (the box of the records crosses into 25) with one field member (password)
and ``--sites`` sites around Lào Cai, and serves the app on 127.0.0.1 (werkzeug, threaded) behind a counter of the
bytes each response sends and each request brings. Debian's Chromium (through playwright) opens the app in a fresh
context, the page throttled by the DevTools protocol (``Network.emulateNetworkConditions``: ``--kbps`` down and up,
``--latency-ms`` per request; ``Emulation.setCPUThrottlingRate``: ``--cpu``). The protocol throttles the page, not
the service worker, whose precache downloads are counted in the server's bytes but not slowed.

1. First load: from navigation to the sign-in form shown, and until the service worker is ready (shell precached).
2. Sign-in and the first pull of the working set (the sites).
3. Repeat load offline: the browser offline, the page reloaded, until the home screen is drawn.
4. The site list: from opening it until all its rows are in the page, then the frame times of scrolling it.
5. Sync: ``--records`` connectivity readings put in the outbox while offline, then online again (throttled):
   until every record is answered ``sent``; request and response bytes at the server.
"""

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "rice terraces and bamboo bridges"
ROOT = Path(__file__).resolve().parents[1]


class ByteCounter:
    """WSGI middleware counting the bytes of request bodies and of responses (as sent, compressed or not)."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.sent = 0
            self.received = 0
            self.responses = 0

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        with self.lock:
            self.received += length
            self.responses += 1
        for chunk in self.app(environ, start_response):
            with self.lock:
                self.sent += len(chunk)
            yield chunk


def build(folder: Path, sites: int) -> str:
    import flask_migrate

    from bench.app import bench_app
    from server.auth import Scope
    from server.extensions import db
    from server.models import AdminUnit, Site, User
    from server.services.admin_units import load_official_units
    from server.services.operators import load_operators
    from server.services.teams import create_team
    from server.services.users import set_password
    from server.spatial import point

    url = f"sqlite:///{folder / 'app.sqlite'}"
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        team = create_team(
            db.session, Scope(everywhere=True), name="bench team", kind="working_group", jurisdiction=["15", "25"]
        )
        member = User(username="bench", role="field_member", team=team)
        db.session.add(member)
        db.session.flush()
        set_password(db.session, None, member, PASSWORD)
        unit = db.session.get(AdminUnit, "04603")
        rng = random.Random(7)
        for index in range(sites):
            lat, lon = 21.6 + rng.random() * 0.3, 104.8 + rng.random() * 0.2
            db.session.add(
                Site(
                    name=f"[synthetic] Thôn {index + 1}",
                    kind="village",
                    geom=point(lon, lat),
                    admin_unit_code=unit.code,
                    province_code=unit.province_code,
                )
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def throttle(cdp, kbps: int, latency_ms: int) -> None:
    rate = kbps * 1000 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": rate, "uploadThroughput": rate},
    )


def outbox_states(page) -> list[str]:
    return page.evaluate(
        """async () => {
            const db = await new Promise((ok, ko) => {
                const opening = indexedDB.open('fieldops');
                opening.onsuccess = () => ok(opening.result);
                opening.onerror = ko;
            });
            const items = await new Promise((ok) => {
                const reading = db.transaction('outbox').objectStore('outbox').getAll();
                reading.onsuccess = () => ok(reading.result);
            });
            db.close();
            return items.map((item) => item.state === 'rejected' ? JSON.stringify(item.errors) : item.state);
        }"""
    )


FILL_OUTBOX = """async (records) => {
    const db = await new Promise((ok, ko) => {
        const opening = indexedDB.open('fieldops');
        opening.onsuccess = () => ok(opening.result);
        opening.onerror = ko;
    });
    const tx = db.transaction('outbox', 'readwrite');
    records.forEach((body, index) => tx.objectStore('outbox').put({
        id: body.id, kind: 'record', body, state: 'waiting', created_at: Date.now() + index, attempts: 0,
        next_attempt_at: 0, errors: null, photos: [],
    }));
    await new Promise((ok) => { tx.oncomplete = ok; });
    db.close();
}"""


def readings(count: int) -> list[dict]:
    rng = random.Random(11)
    now = time.gmtime(time.time() + 7 * 3600 - 3600)
    observed = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", now)
    records = []
    for _ in range(count):
        network = rng.choice(["none", "2g", "3g", "4g"])
        records.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.uuid4()),
                "observed_at": observed,
                "lat": round(21.6 + rng.random() * 0.3, 6),
                "lon": round(104.8 + rng.random() * 0.2, 6),
                "accuracy_m": rng.randint(5, 40),
                "network": network,
                "operator_code": "452-04",
                "operator": "Viettel",
                "signal_dbm": None if network == "none" else rng.randint(-115, -60),
                "down_mbps": None if network == "none" else round(rng.random() * 10, 2),
                "up_mbps": None,
                "latency_ms": None,
                "power_available": True,
            }
        )
    return records


def run(args) -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from bench.app import bench_app

    results: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        url = build(Path(folder), args.sites)
        app = bench_app(url)
        counter = ByteCounter(app.wsgi_app)
        app.wsgi_app = counter
        http = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{http.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                results["chromium"] = browser.version
                context = browser.new_context(
                    viewport={"width": 390, "height": 844},
                    geolocation={"latitude": 21.72, "longitude": 104.91, "accuracy": 15},
                    permissions=["geolocation"],
                    locale="vi-VN",
                )
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                page_bytes = []
                cdp.on("Network.loadingFinished", lambda event: page_bytes.append(event["encodedDataLength"]))
                throttle(cdp, args.kbps, args.latency_ms)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.cpu})

                counter.reset()
                started = time.perf_counter()
                page.goto(f"{base}/app/")
                page.wait_for_selector("input[name=username]", timeout=120_000)
                results["first_interactive_s"] = time.perf_counter() - started
                results["first_page_bytes"] = sum(page_bytes)
                page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=120_000)
                results["first_ready_s"] = time.perf_counter() - started
                results["first_server_bytes"] = counter.sent
                results["first_responses"] = counter.responses

                counter.reset()
                started = time.perf_counter()
                page.fill("input[name=username]", "bench")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("body[data-sync=done]", timeout=300_000)
                results["sign_in_pull_s"] = time.perf_counter() - started
                results["sign_in_pull_bytes"] = counter.sent

                context.set_offline(True)
                counter.reset()
                started = time.perf_counter()
                page.reload()
                page.wait_for_selector("a.tile", timeout=60_000)
                results["offline_reload_s"] = time.perf_counter() - started
                results["offline_reload_server_requests"] = counter.responses

                started = time.perf_counter()
                page.evaluate("location.hash = '#/sites'")
                page.wait_for_selector(f"ul.sites li:nth-child({args.sites})", state="attached", timeout=60_000)
                results["sites_list_s"] = time.perf_counter() - started
                frames = page.evaluate(
                    """async () => {
                        const times = []; let last = performance.now();
                        for (let n = 0; n < 120; n += 1) {
                            window.scrollBy(0, 120);
                            await new Promise((ok) => requestAnimationFrame(ok));
                            const now = performance.now(); times.push(now - last); last = now;
                        }
                        return times;
                    }"""
                )
                results["scroll_frame_ms_median"] = statistics.median(frames)
                results["scroll_frame_ms_p95"] = sorted(frames)[int(len(frames) * 0.95)]

                page.evaluate(FILL_OUTBOX, readings(args.records))
                counter.reset()
                context.set_offline(False)
                throttle(cdp, args.kbps, args.latency_ms)
                started = time.perf_counter()
                page.evaluate("window.dispatchEvent(new Event('online'))")
                deadline = time.monotonic() + 900
                while time.monotonic() < deadline:
                    states = outbox_states(page)
                    if "waiting" not in states:
                        break
                    time.sleep(0.5)
                if states.count("sent") != args.records:
                    raise SystemExit(f"{states.count('sent')} of {args.records} sent: {sorted(set(states))}")
                results["sync_s"] = time.perf_counter() - started
                results["sync_request_bytes"] = counter.received
                results["sync_response_bytes"] = counter.sent
                results["sync_raw_json_bytes"] = len(json.dumps({"records": readings(args.records)}))
                browser.close()
        finally:
            http.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kbps", type=int, default=250)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--cpu", type=float, default=4)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    if not (ROOT / "field_app" / "dist" / "index.html").is_file():
        raise SystemExit("the field app is not built: run `make app` first")
    load_before = os.getloadavg()[0]
    results = run(args)
    load_after = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"Chromium {results.pop('chromium')}; load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(f"link: {args.kbps} kbps down and up, {args.latency_ms} ms latency; CPU slowdown {args.cpu}x")
    print("| measure | value |")
    print("| --- | --: |")
    for name, value in results.items():
        print(f"| {name} | {value:,.2f} |" if isinstance(value, float) else f"| {name} | {value:,} |")


if __name__ == "__main__":
    main()
