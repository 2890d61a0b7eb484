"""Headless Chromium at 360 px wide: a coordinator signs in with a password, enrols a phone and the QR code on
the screen is read back into a token that works; signing out through the page header; a person with a temporary
password is sent to change it. Needs Debian's ``chromium`` and the ``playwright`` wheel (no ``playwright install``)."""

import io
import json

import flask_migrate
import pytest
import zxingcpp
from PIL import Image

from server import create_app
from server.auth import Scope
from server.extensions import db
from server.models import User
from server.services.admin_units import load_official_units
from server.services.teams import create_team
from server.services.users import set_password
from tests.browser import fits_the_screen, require_chromium, served

require_chromium()

PHONE = {"width": 360, "height": 640}
PASSWORD = "rice terraces at dawn"
TEMPORARY = "temporary password 1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on its own SpatiaLite file, served on 127.0.0.1: a coordinator of province 15 and a field member
    of a team there with a temporary password."""
    folder = tmp_path_factory.mktemp("accounts_browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}",
            "SECRET_KEY": "browser-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        team = create_team(db.session, Scope(everywhere=True), name="Tổ 1", kind="working_group", jurisdiction=["15"])
        coordinator = User(username="coord", role="coordinator", jurisdiction_code="15")
        member = User(username="lan", role="field_member", team=team)
        db.session.add_all([coordinator, member])
        db.session.flush()
        set_password(db.session, None, coordinator, PASSWORD)
        set_password(db.session, None, member, TEMPORARY, temporary=True)
        db.session.commit()
        member_id = member.id
        db.session.remove()
    with served(app) as base:
        yield base, app, member_id


def sign_in(page, base: str, username: str, password: str, path: str = "/") -> None:
    page.goto(base + path, wait_until="load")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    page.wait_for_load_state("load")


def test_coordinator_enrols_a_phone_on_a_small_screen(server, browser):
    """Sign in, open the person's phones, make a QR code: the code on the screen holds the server and a token
    that works on the API. The pages fit 360 px and the buttons are at least 44 px tall."""
    base, app, member_id = server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(base + "/login", wait_until="load")
        heights = page.eval_on_selector_all(
            "button", "(buttons) => buttons.map((b) => b.getBoundingClientRect().height)"
        )
        assert heights and min(height for height in heights if height) >= 44
        sign_in(page, base, "coord", PASSWORD, path="/people")
        assert page.url == base + "/people" and "lan" in page.content() and fits_the_screen(page)

        page.goto(f"{base}/people/{member_id}/devices", wait_until="load")
        page.fill("input[name=label]", "Samsung A05 của Lan")
        page.locator("form:has(input[name=label]) button[type=submit]").click()
        page.wait_for_selector(".qr img")
        assert fits_the_screen(page)
        shot = page.locator(".qr img").screenshot()
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        payload = json.loads(code.text)
        assert payload["server"] == base
        me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {payload['token']}"})
        assert me.status_code == 200 and me.get_json()["id"] == member_id

        page.locator("header form[action='/logout'] button[type=submit]").click()  # sign out from the page header
        page.wait_for_load_state("load")
        page.goto(base + "/people", wait_until="load")
        assert "/login" in page.url
    finally:
        context.close()


def test_a_temporary_password_leads_to_the_password_change(server, browser):
    """The person signs in with the temporary password, lands on the password change, and after it on the page
    they asked for."""
    base, _, _ = server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, base, "lan", TEMPORARY, path="/account")
        assert "/account/password" in page.url and fits_the_screen(page)
        page.fill("input[name=current_password]", TEMPORARY)
        page.fill("input[name=password]", "my own passphrase 7")
        page.fill("input[name=confirm]", "my own passphrase 7")
        page.locator("form:has(input[name=confirm]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert page.url == base + "/account" and "lan" in page.content()
    finally:
        context.close()
