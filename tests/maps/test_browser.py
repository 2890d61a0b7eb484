"""Headless Chromium opens every map page of a running app: features drawn, no JavaScript error, no request
leaving 127.0.0.1 (tiles are off), user text inert in popups; the downloaded file works with the network cut.

Needs Debian's ``chromium`` and the ``playwright`` wheel (driving that browser; no ``playwright install``)."""

import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest

from server import create_app
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import User
from server.services.admin_units import load_official_units
from server.services.sites import create_site
from server.services.teams import create_team
from tests.browser import require_chromium, served

require_chromium()

PROVINCE, COMMUNE = "15", "04465"
LAT, LON = 21.89, 103.965  # by the official centroid of 04465 Khao Mang: readings are placed there
XSS = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
PAGES = {
    "/maps/dead-spots": "path",
    f"/maps/dead-spots?commune={COMMUNE}&heat=1": "canvas",
    "/maps/equipment": "path",
    "/maps/tickets": "marker",
    f"/maps/communes?province={PROVINCE}&indicator=broken_equipment": "path",
}
# Counts what the map draws: vector layers and markers, including those inside clusters.
COUNT_FEATURES = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    let count = 0;
    const seen = new Set();
    const visit = (layer) => {
        if (seen.has(layer)) { return; }
        seen.add(layer);
        if (layer.getLayers) { layer.getLayers().forEach(visit); return; }
        if (layer instanceof L.Path || layer instanceof L.Marker) { count += 1; }
    };
    map.eachLayer(visit);
    return count;
}"""
# Puts every popup's and tooltip's HTML into the page the way Leaflet does (innerHTML) and reports what became
# elements.
POPUPS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const found = {popups: 0, scripts: 0, images: 0, text: ""};
    const visit = (layer) => {
        if (layer.getLayers) { layer.getLayers().forEach(visit); return; }
        for (const bound of [layer.getPopup && layer.getPopup(), layer.getTooltip && layer.getTooltip()]) {
            if (!bound) { continue; }
            const box = document.createElement("div");
            box.innerHTML = bound.getContent();
            document.body.appendChild(box);
            found.popups += 1;
            found.scripts += box.querySelectorAll("script").length;
            found.images += box.querySelectorAll("img").length;
            found.text += box.textContent;
        }
    };
    map.eachLayer(visit);
    return found;
}"""


def records(now: datetime, site_id: int) -> list[dict]:
    """A sync batch: readings around the site (some dead spots), equipment checks with markup in the text."""
    batch = []
    for index in range(40):
        dead = index % 3 == 0
        batch.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(hours=index + 1)).isoformat(),
                "lat": LAT + (index % 8) * 0.004,
                "lon": LON + (index // 8) * 0.004,
                "network": "none" if dead else "4g",
                "operator_code": "452-04",
                "operator": "Viettel",
                "signal_dbm": None if dead else -80,
                "down_mbps": None if dead else 12.5,
                "up_mbps": None if dead else 3.0,
                "latency_ms": None if dead else 60.0,
                "power_available": True,
            }
        )
    for kind, condition in (("printer", "broken"), ("computer", "working"), ("scanner", "missing")):
        batch.append(
            {
                "type": "equipment_check",
                "id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(hours=2)).isoformat(),
                "lat": LAT,
                "lon": LON,
                "site_id": site_id,
                "asset_kind": kind,
                "asset_label": f"{kind} {XSS}",
                "condition": condition,
                "notes": f"seen by the team {XSS}",
            }
        )
    return batch


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on 127.0.0.1 over a SpatiaLite file with committed data; yields (base URL, token)."""
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'maps.sqlite'}",
            "SECRET_KEY": "browser-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "MAP_TILES": "none",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        team = create_team(
            db.session, Scope(everywhere=True), name="Lao Cai", kind="working_group", jurisdiction=[PROVINCE]
        )
        user = User(username="coordinator", role="coordinator", team=team, jurisdiction_code=PROVINCE)
        db.session.add(user)
        site = create_site(
            db.session,
            Scope(everywhere=True),
            name=f"School {XSS}",
            kind="school",
            lat=LAT,
            lon=LON,
            admin_unit_code=COMMUNE,
        )
        _, token = issue_token(db.session, user, "browser")
        db.session.commit()
        site_id = site.id
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    now = datetime.now(UTC)
    response = client.post(
        "/api/v1/sync", json={"device_id": "browser", "records": records(now, site_id)}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["rejected"] == 0, response.get_json()
    ticket = {"title": f"Antenna {XSS}", "category": "connectivity", "admin_unit_code": COMMUNE, "lat": LAT, "lon": LON}
    response = client.post("/api/v1/tickets", json=ticket, headers=headers)
    assert response.status_code == 201, response.get_json()

    with served(app) as base:
        yield base, token


def open_page(browser, url: str, token: str | None = None):
    """A new page that records errors and every request; returns (context, page, problems, requests)."""
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"} if token else None)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems, requests = [], []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    return context, page, problems, requests


def test_map_pages_in_chromium(server, browser):
    """Each page draws its features with no error, loads everything from the app, and keeps user text inert."""
    base, token = server
    for path in PAGES:
        context, page, problems, requests = open_page(browser, base + path, token)
        try:
            response = page.goto(base + path, wait_until="load")
            assert response.status == 200, path
            page.wait_for_function("() => window.L && Object.values(window).some((v) => v instanceof L.Map)")
            assert page.evaluate(COUNT_FEATURES) > 0, path
            assert page.locator(".fieldops-legend").count() == 1, path
            assert page.locator(".leaflet-control-layers").count() == 1, path
            popups = page.evaluate(POPUPS)
            assert popups["popups"] > 0, path
            assert popups["scripts"] == 0 and popups["images"] == 0, path
            if path.startswith(("/maps/equipment", "/maps/tickets")):
                assert "<script>window.__pwned = 1</script>" in popups["text"], path
            page.wait_for_timeout(200)
            assert page.evaluate("() => window.__pwned === undefined"), path
            assert problems == [], (path, problems)
            outside = [url for url in requests if not url.startswith(base + "/") and not url.startswith("data:")]
            assert outside == [], (path, outside)
        finally:
            context.close()


def test_equipment_popup_opens_with_text_only(server, browser):
    """Clicking a site opens its popup: the note is shown as text, nothing in it runs."""
    base, token = server
    context, page, problems, _ = open_page(browser, base, token)
    try:
        page.goto(f"{base}/maps/equipment", wait_until="load")
        page.locator("path.leaflet-interactive").first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "seen by the team <script>" in popup.inner_text()
        assert popup.locator("script, img").count() == 0
        assert page.evaluate("() => window.__pwned === undefined")
        assert problems == []
    finally:
        context.close()


def test_downloaded_map_works_offline(server, browser, tmp_path):
    """The standalone file opens from disk with every network request refused, and still draws the map."""
    base, token = server
    context, page, problems, requests = open_page(browser, base, token)
    try:
        download = context.request.get(f"{base}/maps/dead-spots?download=1")
        assert download.status == 200 and "attachment" in download.headers["content-disposition"]
        path = tmp_path / "dead-spots.html"
        path.write_bytes(download.body())
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.L && Object.values(window).some((v) => v instanceof L.Map)")
        assert page.evaluate(COUNT_FEATURES) > 0
        assert problems == []
        assert all(url.startswith(("file:", "data:")) for url in requests), requests
    finally:
        context.close()


def test_login_form_then_map(server, browser):
    """A browser without a token logs in with the form and lands on the map it asked for."""
    base, token = server
    context, page, problems, _ = open_page(browser, base)
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    try:
        page.goto(f"{base}/maps/tickets", wait_until="load")
        assert "/login" in page.url
        page.click("details summary")  # the token form is the second way to sign in, folded away
        page.fill("input[name=token]", token)
        page.locator("form:has(input[name=token]) button[type=submit]").click()
        page.wait_for_url(f"{base}/maps/tickets**")
        page.wait_for_function("() => window.L && Object.values(window).some((v) => v instanceof L.Map)")
        assert page.evaluate(COUNT_FEATURES) > 0
        # the login page (not a map page) has no favicon link, so the browser asks for /favicon.ico
        assert [url for url in failed if not url.endswith("/favicon.ico")] == []
        assert [problem for problem in problems if not problem.startswith("console: Failed to load resource")] == []
    finally:
        context.close()
