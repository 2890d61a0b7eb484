"""Headless Chromium at 390 px wide works a ticket through its page: a coordinator opens it from the commune queue
and assigns it, a lead of the owner team resolves it with a comment, a member of the reporting team verifies it,
and the history shows each step; a browser still showing the old page is told the ticket changed meanwhile.
Needs Debian's ``chromium`` and the ``playwright`` wheel (no ``playwright install``)."""

from pathlib import Path

import flask_migrate
import pytest

from server import create_app
from server.auth import Scope, scope_for
from server.extensions import db
from server.models import Ticket, User
from server.services import tickets
from server.services.admin_units import load_official_units
from server.services.calendar import WorkingCalendar
from server.services.teams import create_team
from server.services.users import set_password
from tests.browser import PHONE, fits_the_screen, require_chromium, served

require_chromium()

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"  # screenshots, git-ignored
PASSWORD = "rice terraces at dawn"
COMMUNE = "04603"
TITLE = "Máy in hỏng tại Trạm y tế xã"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on its own SpatiaLite file on 127.0.0.1: a coordinator of province 15; the commune's own team
    (its lead owns the work) and a team of the province that reported the problem; one open ticket."""
    folder = tmp_path_factory.mktemp("ticket_browser")
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
        everywhere = Scope(everywhere=True)
        owner = create_team(db.session, everywhere, name="Cán bộ xã", kind="commune_staff", jurisdiction=[COMMUNE])
        reporters = create_team(
            db.session, everywhere, name="Tổ công nghệ số", kind="working_group", jurisdiction=["15"]
        )
        people = {
            "coord": User(username="coord", role="coordinator", jurisdiction_code="15"),
            "lead": User(username="lead", display_name="Trưởng nhóm Hoa", role="team_lead", team=owner),
            "other": User(username="other", role="field_member", team=reporters),
        }
        db.session.add_all(people.values())
        db.session.flush()
        for person in people.values():
            set_password(db.session, None, person, PASSWORD)
        coordinator = people["coord"]
        ticket = tickets.create_ticket(
            db.session,
            coordinator,
            scope_for(coordinator),
            title=TITLE,
            category="equipment",
            admin_unit_code=COMMUNE,
            lat=21.72,
            lon=104.92,
            calendar=WorkingCalendar.load(db.session),
        )
        ticket.reported_by_team_id = reporters.id
        db.session.commit()
        ids = {"ticket": ticket.id, "owner": owner.id, "lead": people["lead"].id}
        db.session.remove()
    with served(app) as base:
        yield base, app, ids


def signed_in(browser, base: str, username: str, path: str):
    """A browser of its own (cookies), signed in with the password, at ``path``."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    outside = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(base) else None)
    page.goto(base + path, wait_until="load")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    page.wait_for_load_state("load")
    return context, page, outside


def take(page, action: str, comment: str = "", **selects) -> None:
    """Open the action's form, fill it and send it; wait for the page that answers."""
    page.click(f"#action-{action} summary")
    for name, label in selects.items():
        page.select_option(f"select[name={action}-{name}]", label=label)
    if comment:
        page.fill(f"textarea[name={action}-comment]", comment)
    with page.expect_navigation(wait_until="load"):
        page.click(f"#action-{action} button[type=submit]")


def history(page) -> list[str]:
    return page.eval_on_selector_all(".history li", "(items) => items.map((li) => li.dataset.action)")


def test_a_ticket_is_assigned_resolved_and_verified_from_its_page(server, browser):
    """Queue -> page -> assign (coordinator) -> resolve with a comment (owner team's lead) -> verify (a member of
    the reporting team): each step shows in the status and the history; a browser still showing the first
    version gets "changed meanwhile" with the current state, and nothing of its form is saved."""
    base, app, ids = server
    ticket_path = f"/tickets/{ids['ticket']}"
    contexts = []
    try:
        coord_context, coord, outside = signed_in(browser, base, "coord", f"/queues/admin-units/{COMMUNE}")
        stale_context, stale, _ = signed_in(browser, base, "coord", ticket_path)
        contexts += [coord_context, stale_context]
        with coord.expect_navigation(wait_until="load"):
            coord.click(f"tr[data-ticket-id='{ids['ticket']}'] a >> nth=1")
        assert coord.url == base + ticket_path and TITLE in coord.content()
        assert coord.locator("svg.minimap circle.point").count() == 1 and fits_the_screen(coord)
        take(coord, "assign", team_id="Cán bộ xã", assignee_id="Trưởng nhóm Hoa (Cán bộ xã)")
        assert coord.url == base + ticket_path
        assert coord.inner_text("#ticket-assignee") == "Trưởng nhóm Hoa"
        assert history(coord) == ["assign", "created"]

        lead_context, lead, lead_outside = signed_in(browser, base, "lead", ticket_path)
        contexts.append(lead_context)
        assert lead.locator("#action-resolve").count() == 1 and lead.locator("#action-verify").count() == 0
        take(lead, "resolve", comment="Đã thay trục kéo giấy, máy in chạy tốt")
        assert "Đã thay trục kéo giấy" in lead.inner_text(".history") and fits_the_screen(lead)

        other_context, other, _ = signed_in(browser, base, "other", ticket_path)
        contexts.append(other_context)
        assert other.locator("#action-resolve").count() == 0
        take(other, "verify", comment="Đã kiểm tra tại xã")
        assert history(other) == ["verify", "resolve", "assign", "created"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        other.screenshot(path=str(ARTIFACTS / "ticket-verified.png"), full_page=True)
        verified = other.inner_text("#ticket-status")

        take(stale, "start")  # the page still shows the ticket as it was before the assignment
        assert stale.locator("#stale").is_visible()
        assert stale.inner_text("#ticket-status") == verified
        assert history(stale) == ["verify", "resolve", "assign", "created"]
        assert fits_the_screen(stale)
        stale.screenshot(path=str(ARTIFACTS / "ticket-changed-meanwhile.png"), full_page=True)
        assert outside == [] and lead_outside == []
    finally:
        for context in contexts:
            context.close()
    with app.app_context():
        ticket = db.session.get(Ticket, ids["ticket"])
        assert ticket.status == "verified" and ticket.assignee_id == ids["lead"]
        assert [event.action for event in ticket.events] == ["created", "assign", "resolve", "verify"]
        db.session.remove()
