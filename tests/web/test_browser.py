"""Headless Chromium signs in and opens every page of the menu in Vietnamese on a 390 x 844 phone screen: no
horizontal scrolling of the page, no request leaving the server, no console error. Screenshots are kept in
``test-artifacts/pages/`` (git-ignored) for people to look at.

Needs Debian's ``chromium`` and the ``playwright`` wheel (driving that browser; no ``playwright install``)."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest

from server import create_app
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import User
from server.passwords import hash_password
from server.services.admin_units import load_official_units
from server.services.sites import create_site
from server.services.teams import create_team
from tests.browser import PHONE, require_chromium, served

require_chromium()

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
PROVINCE, COMMUNE = "15", "04465"
LAT, LON = 21.80, 104.10
# Every page of the menu (and the pages they lead to), in the order a coordinator would open them.
PAGES = {
    "dashboard": "/",
    "tickets": "/queues/",
    "tickets-overdue": "/queues/?overdue=1",
    "visit-plans": "/visit-plans",
    "visit-plan-new": "/visit-plans/new",
    "visit-plan": "/visit-plans/1",
    "maps": "/maps/",
    "map-equipment": "/maps/equipment",
    "map-tickets": "/maps/tickets",
    "map-communes": f"/maps/communes?province={PROVINCE}",
    "reports": "/reports/",
    "report-province": f"/reports/provinces/{PROVINCE}",
    "report-commune": f"/reports/communes/{COMMUNE}",
    "surveys": "/surveys/",
    "people": "/people",
    "teams": "/teams",
    "not-found": "/no-such-page",
}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Visible controls less than a finger (44 px) high (a checkbox counts with its label); links in running text are exempt.
SMALL_TARGETS = """() => [...document.querySelectorAll('button, select, input:not([type=hidden]), summary, nav a')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => [el.outerHTML.slice(0, 80), (el.closest('label') || el).getBoundingClientRect().height])
    .filter(([, height]) => height < 43.5)"""


def records(now: datetime, site_id: int) -> list[dict]:
    """Readings (a third dead spots), broken and working equipment, and help given to citizens."""
    batch = []
    for index in range(30):
        dead = index % 3 == 0
        batch.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(hours=index + 1)).isoformat(),
                "lat": LAT + (index % 6) * 0.004,
                "lon": LON + (index // 6) * 0.004,
                "network": "none" if dead else "4g",
                "operator_code": "452-04",
                "operator": "Viettel",
                "signal_dbm": None if dead else -80,
                "down_mbps": None if dead else 12.5,
                "power_available": True,
            }
        )
    for kind, condition in (("printer", "broken"), ("computer", "working"), ("queue_display", "missing")):
        batch.append(
            {
                "type": "equipment_check",
                "id": str(uuid.uuid4()),
                "observed_at": (now - timedelta(hours=2)).isoformat(),
                "lat": LAT,
                "lon": LON,
                "site_id": site_id,
                "asset_kind": kind,
                "asset_label": f"{kind} tầng 1",
                "condition": condition,
                "notes": "Kiểm tra định kỳ",
            }
        )
    batch.append(
        {
            "type": "assistance_log",
            "id": str(uuid.uuid4()),
            "observed_at": (now - timedelta(hours=3)).isoformat(),
            "lat": LAT,
            "lon": LON,
            "service": "digital_id",
            "citizens_helped": 14,
            "language_support": 6,
            "outcome": "Kích hoạt định danh mức 2",
        }
    )
    return batch


USERNAME = "dieu.phoi"
PASSWORD = "bat-xat-phieu-viec-2026"  # test data only


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on 127.0.0.1 over a SpatiaLite file with committed data; yields (base URL, token)."""
    folder = tmp_path_factory.mktemp("pages")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'pages.sqlite'}",
            "SECRET_KEY": "browser-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "MAP_TILES": "none",
        }
    )
    with app.app_context():
        from surveys.services import load_builtin

        flask_migrate.upgrade()
        load_official_units(db.session)
        load_builtin(db.session)
        team = create_team(
            db.session,
            Scope(everywhere=True),
            name="Tổ công nghệ số cộng đồng xã Bát Xát",
            kind="community_digital_team",
            jurisdiction=[PROVINCE],
        )
        user = User(
            username=USERNAME,
            display_name="Nguyễn Thị Điều Phối",
            role="coordinator",
            team=team,
            jurisdiction_code=PROVINCE,
        )
        db.session.add(user)
        site = create_site(
            db.session,
            Scope(everywhere=True),
            name="Trung tâm phục vụ hành chính công xã",
            kind="commune_service_centre",
            lat=LAT,
            lon=LON,
            admin_unit_code=COMMUNE,
        )
        user.password_hash = hash_password(PASSWORD)
        _, token = issue_token(db.session, user, "browser")
        db.session.commit()
        site_id = site.id
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    response = client.post(
        "/api/v1/sync", json={"device_id": "pages", "records": records(datetime.now(UTC), site_id)}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["rejected"] == 0, response.get_json()
    ticket = {
        "title": "Mất sóng di động ở thôn Tả Phời, cần trạm phát sóng mới",
        "category": "connectivity",
        "admin_unit_code": COMMUNE,
        "lat": LAT,
        "lon": LON,
    }
    assert client.post("/api/v1/tickets", json=ticket, headers=headers).status_code == 201
    plan = {
        "team_id": 1,
        "title": "Hỗ trợ dịch vụ công trực tuyến hằng tháng",
        "every": 1,
        "unit": "month",
        "starts_on": (datetime.now(UTC) - timedelta(days=70)).date().isoformat(),
        "communes": [COMMUNE],
        "site_ids": [site_id],
    }
    assert client.post("/api/v1/visit-plans", json=plan, headers=headers).status_code == 201

    with served(app) as base:
        yield base, token


def sign_in(page, base: str) -> None:
    """Sign in with the user name and password at /login, as a person does."""
    page.goto(f"{base}/login", wait_until="load")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_every_menu_page_fits_a_phone_in_vietnamese(server, browser):
    """Signed in on a 390 px phone in Vietnamese: every page fits the width, loads nothing from outside and logs
    no console error; its screenshot is kept."""
    base, token = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, locale="vi-VN", device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems, outside = [], []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith((base + "/", "data:")) else None,
    )
    try:
        page.goto(f"{base}/login", wait_until="load")
        assert page.evaluate(OVERFLOW) <= 0 and page.evaluate(SMALL_TARGETS) == []
        page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
        sign_in(page, base)
        for name, path in PAGES.items():
            response = page.goto(base + path, wait_until="load")
            expected = 404 if name in ("people", "teams", "not-found") else 200
            if name in ("people", "teams") and response.status == 200:  # the accounts pages are installed
                expected = 200
            assert response.status == expected, (path, response.status)
            page.wait_for_timeout(150)
            assert page.evaluate("() => document.documentElement.lang") == "vi", path
            assert page.evaluate(OVERFLOW) <= 0, (path, page.evaluate(OVERFLOW))
            if not path.startswith("/maps/"):
                assert page.evaluate(SMALL_TARGETS) == [], path
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=not path.startswith("/maps/"))
            if expected == 404:  # the browser logs the page's own status; nothing else may fail
                problems[:] = [text for text in problems if "status of 404" not in text]
            assert problems == [] and outside == [], (path, problems, outside)
    finally:
        context.close()


def test_language_switch_in_the_browser(server, browser):
    """The switch on the page turns the interface into English and back, and stays on the same page."""
    base, token = server
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, base)
        page.goto(f"{base}/surveys/", wait_until="load")
        assert page.locator("h1").inner_text() == "Phiếu khảo sát và bảng kiểm"
        page.locator("form.lang button[value=en]").click()
        page.wait_for_load_state("load")
        assert page.url == f"{base}/surveys/" and page.locator("h1").inner_text() == "Surveys and checklists"
        page.screenshot(path=str(ARTIFACTS / "surveys-english.png"), full_page=True)
        page.locator("form.lang button[value=vi]").click()
        page.wait_for_load_state("load")
        assert page.locator("h1").inner_text() == "Phiếu khảo sát và bảng kiểm"
    finally:
        context.close()
