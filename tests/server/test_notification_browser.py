"""Headless Chromium at 360 px wide, in Vietnamese: a coordinator sets their e-mail and events, refuses a webhook
to a private address (the problem shown next to the field), registers one to a public address and opens its page
with the signing secret. Every page fits the screen. Needs Debian's ``chromium`` and the ``playwright`` wheel."""

import flask_migrate
import pytest
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.models import NotificationSetting, User, Webhook
from server.services.admin_units import load_official_units
from server.services.users import set_password
from tests.browser import fits_the_screen, require_chromium, served

require_chromium()

PHONE = {"width": 360, "height": 640}
PASSWORD = "rice terraces at dawn"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notifications_browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}",
            "SECRET_KEY": "browser-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "JOBS_IN_PROCESS": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        coordinator = User(username="coord", role="coordinator", jurisdiction_code="15", locale="vi")
        db.session.add(coordinator)
        db.session.flush()
        set_password(db.session, None, coordinator, PASSWORD)
        db.session.commit()
        db.session.remove()
    with served(app) as base:
        yield base, app


@pytest.mark.slow
def test_a_coordinator_sets_notifications_and_a_webhook_on_a_phone(server, browser):
    """The settings and webhook pages work and fit 360 px; a private receiver is refused next to its field."""
    base, app = server
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(base + "/settings/notifications", wait_until="load")
        page.fill("input[name=username]", "coord")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form:has(input[name=username]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "/settings/notifications" in page.url
        assert "Phiếu việc quá hạn" in page.content() and fits_the_screen(page)
        page.fill("input[name=email]", "dieu.phoi@example.vn")
        page.check("input[value=ticket_overdue]")
        page.locator("form:has(input[name=email]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "Đã lưu cài đặt thông báo." in page.content()

        page.goto(base + "/settings/webhooks", wait_until="load")
        assert fits_the_screen(page)
        page.fill("input[name=url]", "http://10.0.0.7/hook")
        page.check("input[name=events][value=ticket_assigned]")
        page.locator("form:has(input[name=url]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "địa chỉ nội bộ" in page.locator("input[name=url] ~ .error").inner_text()
        page.fill("input[name=url]", "https://93.184.216.34/fieldops-hook")
        page.check("input[name=events][value=ticket_assigned]")
        page.locator("form:has(input[name=url]) button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "/settings/webhooks/" in page.url and fits_the_screen(page)
        with app.app_context():
            hook = db.session.scalar(select(Webhook))
            setting = db.session.scalar(select(NotificationSetting).join(User, User.id == NotificationSetting.user_id))
            assert hook.area_code == "15" and hook.secret in page.content()
            assert setting.email == "dieu.phoi@example.vn" and "ticket_overdue" in setting.events
            db.session.remove()
    finally:
        context.close()
