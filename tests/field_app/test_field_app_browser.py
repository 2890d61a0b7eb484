"""The field app end to end in headless Chromium, on both backends: a field member signs in online, records one of
each kind (and a survey response and a photo) offline, reloads offline and finds the outbox intact, then goes
online: every record is stored exactly once, the photo is attached, and a record the server refuses comes back with
its reason next to the field and is stored once corrected. A second test resolves a ticket offline. No request
leaves the server. Needs Debian's ``chromium``, the ``playwright`` wheel and the built app (``make app``)."""

import io
import time
import uuid
from pathlib import Path

import flask_migrate
import pytest
from flask_babel import force_locale, gettext

from server import create_app
from server.auth import Scope, issue_token, scope_for
from server.extensions import db
from server.models import AdminUnit, Site, User
from server.services import tickets
from server.services.admin_units import load_official_units
from server.services.calendar import WorkingCalendar
from server.services.operators import load_operators
from server.services.teams import create_team
from server.services.users import set_password
from server.spatial import point
from tests.browser import PHONE, fits_the_screen, require_chromium, served
from tests.conftest import reset_postgis_database

require_chromium()

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "field_app"  # screenshots, git-ignored
DIST = ROOT / "field_app" / "dist" / "index.html"
# The survey form engine (field_app/src/forms/) is built apart; the survey part runs once it is in the tree.
PASSWORD = "terraced rice fields"
COMMUNE = "04603"
HERE = {"latitude": 21.7201, "longitude": 104.9102, "accuracy": 12}
SURVEY = {
    "title": "Kiểm tra nhanh",
    "questions": [
        {"name": "households", "type": "integer", "label": {"vi": "Số hộ", "en": "Households"}, "required": True}
    ],
}
KINDS = {
    "visit": "visits",
    "equipment_check": "equipment-checks",
    "connectivity_reading": "connectivity-readings",
    "assistance_log": "assistance-logs",
    "finding": "findings",
}


def made_visits(listed: list[dict]) -> set:
    return {uuid.UUID(item["id"]) for item in listed}


def database(backend: str, folder: Path) -> str:
    """A database of its own: the server runs in another thread and commits for real."""
    if backend == "spatialite":
        return f"sqlite:///{folder / 'app.sqlite'}"
    import os

    from sqlalchemy.engine import make_url

    url = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostGIS: set FIELDOPS_TEST_DATABASE_URL to run these tests against PostgreSQL")
    url = make_url(url)
    url = url.set(database=f"{url.database}_field_app").render_as_string(hide_password=False)
    reset_postgis_database(url)
    return url


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def server(request, tmp_path_factory):
    """The app on 127.0.0.1 with a Lào Cai team, its member (password), its lead, a coordinator, a site near the
    phone, a survey, and a ticket the team owns; yields (base URL, app, ids, admin token)."""
    if not DIST.is_file():
        pytest.fail("the field app is not built: run `make app` (npm ci and npm run build in field_app/)")
    folder = tmp_path_factory.mktemp(f"field_app_{request.param}")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database(request.param, folder),
            "SECRET_KEY": "field-app-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        from surveys.services import save_by_code

        save_by_code(db.session, None, "quick_check", SURVEY, "api", "test")
        everywhere = Scope(everywhere=True)
        team = create_team(
            db.session, everywhere, name="Tổ công nghệ số", kind="community_digital_team", jurisdiction=["15"]
        )
        member = User(username="lan", display_name="Lan", role="field_member", team=team)
        coordinator = User(username="coord", role="coordinator", jurisdiction_code="15")
        admin = User(username="root", role="admin")
        db.session.add_all([member, coordinator, admin])
        db.session.flush()
        set_password(db.session, None, member, PASSWORD)
        unit = db.session.get(AdminUnit, COMMUNE)
        for index, (lat, lon) in enumerate([(21.7203, 104.9105), (21.75, 104.95), (21.60, 104.80)]):
            db.session.add(
                Site(
                    name=f"Trạm y tế {index + 1}",
                    kind="health_station",
                    geom=point(lon, lat),
                    admin_unit_code=unit.code,
                    province_code=unit.province_code,
                )
            )
        ticket = tickets.create_ticket(
            db.session,
            coordinator,
            scope_for(coordinator),
            title="Mất sóng tại trạm y tế",
            category="connectivity",
            admin_unit_code=COMMUNE,
            lat=21.72,
            lon=104.91,
            calendar=WorkingCalendar.load(db.session),
        )
        tickets.transition(db.session, coordinator, ticket, "assign", team_id=team.id, scope=scope_for(coordinator))
        _, admin_token = issue_token(db.session, admin, "test")
        db.session.commit()
        ids = {"ticket": ticket.id, "team": team.id, "member": member.id}
        db.session.remove()
    with served(app) as base:
        yield base, app, ids, {"Authorization": f"Bearer {admin_token}"}


def request_backend(app) -> str:
    return "postgis" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "spatialite"


def jpeg(width: int = 2400, height: int = 1800) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (30, 120, 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def phone(browser, base: str):
    """A phone's browser (its own storage) at 390 px, with a GPS fix near the site; every request is logged."""
    context = browser.new_context(
        viewport=PHONE, geolocation=HERE, permissions=["geolocation"], locale="vi-VN", service_workers="allow"
    )
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, requests, errors


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll ``expression`` with ``page.evaluate`` until it is true. Not ``wait_for_function``: the app's
    Content-Security-Policy (``script-src 'self'``, no eval) makes Playwright's compiled predicate fail at times."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(100)


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/app/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("a.tile")
    page.wait_for_selector("body[data-sync=done]", timeout=60_000)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    assert fits_the_screen(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def open_form(page, kind: str) -> None:
    page.goto(page.url.split("#")[0] + f"#/new/{kind}")
    page.wait_for_selector(f"form[data-kind={kind}]")
    wait_until(page, "document.querySelector('#fix').textContent.includes('±')")


def save(page) -> None:
    page.click("form button[type=submit]")
    page.wait_for_selector("ul.outbox")


def outbox_states(page) -> dict[str, str]:
    """The states the outbox screen shows, freshly drawn."""
    page.goto(page.url.split("#")[0] + "#/outbox")
    page.reload()
    page.wait_for_selector("ul.outbox")
    return page.eval_on_selector_all(
        "ul.outbox li", "items => Object.fromEntries(items.map(i => [i.dataset.id, i.dataset.state]))"
    )


OUTBOX_STATES = """async () => {
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
    return items.map((item) => item.state);
}"""


def wait_until_sent(page, expected: int, rejected: int = 0, seconds: int = 60) -> dict[str, str]:
    """Wait (bounded) until the outbox in IndexedDB holds `expected` sent and `rejected` rejected items."""
    deadline = time.monotonic() + seconds
    states = []
    while time.monotonic() < deadline:
        states = page.evaluate(OUTBOX_STATES)
        if states.count("sent") == expected and states.count("rejected") == rejected:
            return outbox_states(page)
        time.sleep(0.5)
    raise AssertionError(f"outbox never reached {expected} sent and {rejected} rejected: {states}")


def only_local(requests: list[str], base: str) -> list[str]:
    return [url for url in requests if not (url.startswith(base + "/") or url.startswith(("blob:", "data:")))]


def test_offline_records_reach_the_server_once(server, browser):
    """Records of every kind made offline survive a reload and are stored exactly once; the photo is attached;
    a refused record shows the server's reason next to its field and is stored once corrected."""
    base, app, ids, admin = server
    context, page, requests, errors = phone(browser, base)
    try:
        sign_in(page, base)
        context.set_offline(True)

        open_form(page, "visit")
        page.select_option("select[name=site_id]", index=1)  # the nearest site
        page.fill("input[name=purpose]", "Kiểm tra định kỳ")
        save(page)

        open_form(page, "equipment_check")
        page.select_option("select[name=site_id]", index=1)
        page.select_option("select[name=asset_kind]", "printer")
        page.fill("input[name=asset_label]", "Canon LBP2900")
        page.select_option("select[name=condition]", "broken")
        page.set_input_files("input[name=photo]", {"name": "printer.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
        save(page)

        open_form(page, "connectivity_reading")
        page.click("#no-service")
        page.wait_for_selector("ul.outbox")

        open_form(page, "assistance_log")
        page.select_option("select[name=service]", "digital_id")
        page.fill("input[name=citizens_helped]", "12")
        page.fill("input[name=language_support]", "4")
        page.fill("input[name=outcome]", "Đã gọi lại số 012345678")  # an identity number: the server refuses it
        save(page)

        open_form(page, "finding")
        page.select_option("select[name=category]", "connectivity")
        page.select_option("select[name=severity]", "high")
        page.fill("textarea[name=description]", "Không có sóng ở thôn 3")
        page.check("input[name=beyond_local_authority]")
        save(page)

        made = 5
        page.goto(page.url.split("#")[0] + "#/surveys")
        page.click("text=Kiểm tra nhanh")
        page.wait_for_selector(".survey input[name=households]")
        page.click("form button[type=submit]")  # no answer yet: the form engine's error, Vietnamese while offline
        with app.test_request_context(), force_locale("vi"):
            required = gettext("An answer is required.")
        page.wait_for_selector('[data-path="households"] .error:not([hidden])')
        assert page.inner_text('[data-path="households"] .error') == required
        page.fill(".survey input[name=households]", "42")
        save(page)
        made += 1

        before = outbox_states(page)
        assert len(before) == made and set(before.values()) == {"waiting"}
        page.reload()
        page.wait_for_selector("ul.outbox")
        assert outbox_states(page) == before, "the outbox survives a reload offline"

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        states = wait_until_sent(page, made - 1, rejected=1)
        refused = [record_id for record_id, state in states.items() if state == "rejected"]
        assert len(refused) == 1
        with app.test_request_context(), force_locale("vi"):
            reason = gettext("Looks like a citizen identity number: record counts and services only.")
        assert reason in page.inner_text(f"li[data-id='{refused[0]}']")
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / f"outbox-rejected-{request_backend(app)}.png"), full_page=True)

        page.click(f"li[data-id='{refused[0]}'] a.button")
        page.wait_for_selector("form[data-kind=assistance_log]")
        assert reason in page.inner_text("p.error[data-for=outcome]"), "the reason is shown next to its field"
        assert fits_the_screen(page)
        page.screenshot(path=str(ARTIFACTS / f"correct-record-{request_backend(app)}.png"), full_page=True)
        page.fill("input[name=outcome]", "Đã hướng dẫn cài VNeID")
        save(page)
        states = wait_until_sent(page, made)
        assert set(states.values()) == {"sent"}

        client = app.test_client()
        for kind, path in KINDS.items():
            listed = client.get(f"/api/v1/{path}?team={ids['team']}&limit=100", headers=admin).get_json()["items"]
            if kind == "visit":  # the survey response, sent without a visit, gets one the server derives from its id
                responses = [
                    i for i, state in states.items() if uuid.uuid5(uuid.UUID(i), "visit") in made_visits(listed)
                ]
                assert len(responses) == 1, "the survey response's visit is stored once"
                listed = [item for item in listed if item["id"] in states]
            assert len(listed) == 1, f"{kind}: stored exactly once"
            assert listed[0]["id"] in states
            assert listed[0]["accuracy_m"] == HERE["accuracy"]
        check = client.get(f"/api/v1/equipment-checks?team={ids['team']}", headers=admin).get_json()["items"][0]
        photos = client.get(f"/api/v1/equipment-checks/{check['id']}/attachments", headers=admin).get_json()["items"]
        assert len(photos) == 1
        assert photos[0]["content_type"] == "image/jpeg"
        from PIL import Image

        with client.get(f"/api/v1/attachments/{photos[0]['id']}", headers=admin) as stored:
            assert max(Image.open(io.BytesIO(stored.data)).size) == 1600, "downscaled on the phone"
        assert only_local(requests, base) == []
        assert errors == []
    finally:
        context.close()


def test_ticket_resolved_offline_syncs(server, browser):
    """A member starts and resolves the team's ticket offline, with a visit made offline as evidence; back online
    both actions reach the server in order and the ticket is resolved with the comment and the evidence."""
    base, app, ids, admin = server
    context, page, requests, errors = phone(browser, base)
    try:
        sign_in(page, base)
        page.goto(f"{base}/app/#/tickets")
        page.wait_for_selector(f"a[href='#/ticket/{ids['ticket']}']")
        context.set_offline(True)

        open_form(page, "visit")
        page.select_option("select[name=site_id]", index=1)
        page.fill("input[name=purpose]", "Sửa trạm phát")
        save(page)

        page.goto(f"{base}/app/#/ticket/{ids['ticket']}")
        page.click("button[data-action=start]")
        # the screen drawn after the start holds it as waiting to be sent (the screen before may show a resolve
        # button too, and what is typed into it would go with it)
        page.wait_for_selector(".queued li:nth-child(1)")
        page.wait_for_selector("button[data-action=resolve]")
        page.fill("textarea[name=comment]", "Đã khởi động lại thiết bị")
        page.select_option("select[name=evidence]", index=1)
        page.click("button[data-action=resolve]")
        page.wait_for_selector(".queued li:nth-child(2)")
        page.reload()
        page.wait_for_selector(".queued li:nth-child(2)")

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_until_sent(page, 3)
        ticket = app.test_client().get(f"/api/v1/tickets/{ids['ticket']}", headers=admin).get_json()
        assert ticket["status"] == "resolved"
        resolved = [event for event in ticket["events"] if event["action"] == "resolve"]
        assert resolved and resolved[0]["comment"] == "Đã khởi động lại thiết bị"

        # A record made offline, then the coordinator revokes the phone's tokens: the next sync says so and
        # keeps the unsent record.
        page.wait_for_selector("body[data-sync=done]", timeout=60_000)
        context.set_offline(True)
        open_form(page, "visit")
        page.fill("input[name=purpose]", "Sau khi bị thu hồi")
        save(page)
        client = app.test_client()
        for token in client.get(f"/api/v1/tokens?user_id={ids['member']}", headers=admin).get_json()["items"]:
            if token["revoked_at"] is None:
                assert client.delete(f"/api/v1/tokens/{token['id']}", headers=admin).status_code == 204
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("#revoked", timeout=60_000)
        with app.test_request_context(), force_locale("vi"):
            signed_out = gettext("This phone was signed out by your coordinator.")
        assert signed_out in page.inner_text("#revoked")
        assert page.evaluate(OUTBOX_STATES).count("waiting") == 1, "the unsent record is kept"
        assert only_local(requests, base) == []
        assert errors == []
    finally:
        context.close()


def test_enrolment_qr_signs_in_and_sign_out_wipes(server, browser):
    """A picture of the coordinator's enrolment QR code signs the phone in with that token; signing out with an
    empty outbox revokes the token and leaves nothing of the person's data on the phone."""
    import segno

    base, app, ids, admin = server
    client = app.test_client()
    issued = client.post("/api/v1/tokens", json={"user_id": ids["member"], "label": "QR phone"}, headers=admin)
    token = issued.get_json()["token"]
    picture = io.BytesIO()
    segno.make_qr(f'{{"server":"{base}","token":"{token}"}}').save(picture, kind="png", scale=8)
    context, page, requests, errors = phone(browser, base)
    try:
        page.goto(f"{base}/app/")
        page.set_input_files(
            "input[name=qr_picture]", {"name": "qr.png", "mimeType": "image/png", "buffer": picture.getvalue()}
        )
        page.wait_for_selector("a.tile")
        page.wait_for_selector("body[data-sync=done]", timeout=60_000)
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert page.evaluate(OUTBOX_STATES) == []
        page.click("#sign-out")
        page.wait_for_selector("input[name=username]")
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        left = page.evaluate(
            """async () => {
                const db = await new Promise((ok) => {
                    const opening = indexedDB.open('fieldops');
                    opening.onsuccess = () => ok(opening.result);
                });
                const count = (name) => new Promise((ok) => {
                    const r = db.transaction(name).objectStore(name).count(); r.onsuccess = () => ok(r.result);
                });
                const result = {sites: await count('sites'), tickets: await count('tickets'), token: null};
                result.token = await new Promise((ok) => {
                    const r = db.transaction('meta').objectStore('meta').get('token');
                    r.onsuccess = () => ok(r.result ?? null);
                });
                db.close();
                return result;
            }"""
        )
        assert left == {"sites": 0, "tickets": 0, "token": None}
        assert only_local(requests, base) == []
        assert errors == []
    finally:
        context.close()
