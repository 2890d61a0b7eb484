"""Headless Chromium at 360 px wide: a coordinator opens the review list, filters it, opens a response beside its
point, sends it back with a comment, and sees its new state; nothing scrolls sideways. Needs Debian's
``chromium`` and the ``playwright`` wheel (no ``playwright install``)."""

import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest

from server import create_app
from server.auth import Scope, scope_for
from server.extensions import db
from server.models import Site, User
from server.services.admin_units import load_official_units
from server.services.ingest import IngestSettings
from server.services.operators import load_operators
from server.services.teams import create_team
from server.services.users import set_password
from server.spatial import point
from surveys.models import Survey
from surveys.responses import submit_response
from surveys.services import load_builtin
from tests.browser import fits_the_screen, require_chromium, served
from tests.surveys.answers import CHECKLIST

require_chromium()
pytestmark = pytest.mark.slow
PHONE = {"width": 360, "height": 640}
PASSWORD = "rice terraces at dawn"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on its own SpatiaLite file: a coordinator of province 15, and a checklist answered by a team there."""
    folder = tmp_path_factory.mktemp("review_browser")
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
        load_operators(db.session)
        load_builtin(db.session)
        team = create_team(db.session, Scope(everywhere=True), name="Tổ 1", kind="working_group", jurisdiction=["15"])
        coordinator = User(username="coord", role="coordinator", jurisdiction_code="15")
        member = User(username="lan", role="field_member", team=team)
        site = Site(
            name="Trung tâm xã",
            kind="commune_service_centre",
            geom=point(104.92, 21.72),
            admin_unit_code="04603",
            province_code="15",
        )
        db.session.add_all([coordinator, member, site])
        db.session.flush()
        set_password(db.session, None, coordinator, PASSWORD)
        survey = db.session.query(Survey).filter_by(code="commune_service_centre_checklist").one()
        data = {
            "id": uuid.uuid4(),
            "observed_at": datetime.now(UTC) - timedelta(hours=2),
            "lat": 21.72,
            "lon": 104.92,
            "site_id": site.id,
            "visit_id": None,
            "answers": CHECKLIST,
        }
        outcome = submit_response(
            db.session, member, scope_for(member), survey.latest, data, IngestSettings.from_config(app.config)
        )
        assert outcome.status == "created", outcome.errors
        db.session.commit()
        response_id = str(data["id"])
        db.session.remove()
    with served(app) as base:
        yield base, response_id


def test_a_coordinator_sends_a_response_back_on_a_phone(server, browser):
    base, response_id = server
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(base + "/surveys/reviews/?state=received", wait_until="load")
        page.fill("input[name=username]", "coord")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form:has(input[name=username]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "/surveys/reviews/" in page.url and "Duyệt phiếu trả lời" in page.content()
        assert fits_the_screen(page)
        page.locator(f"a[href$='{response_id}']").click()
        page.wait_for_selector("#review-form")
        assert fits_the_screen(page) and "<svg" in page.content()
        page.select_option("select[name=state]", "has_issues")
        page.fill("textarea[name=comment]", "Thiếu ảnh máy in")
        page.locator("#review-form button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "Cần bổ sung, sửa" in page.locator("#review-state").inner_text()
        assert fits_the_screen(page)
    finally:
        context.close()
