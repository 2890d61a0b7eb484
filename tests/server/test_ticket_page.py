"""The ticket page without a browser: what it shows, the buttons (exactly ``allowed_actions``), each action posted
through it, and its refusals: 404 outside the area, 403 naming the rule, a stale version, bad evidence (422)."""

import io
import re
import types
import uuid

import pytest
from sqlalchemy import select

from server.auth import scope_for
from server.models import Attachment, Ticket
from server.services import tickets
from server.services.calendar import WorkingCalendar
from tests.helpers import assert_problem, csrf_token, sign_in_with_token
from tests.records_factory import visit

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
BUTTON = re.compile(r'<details id="action-([a-z]+)"')


@pytest.fixture
def scene(app, client, db, make_team, make_user, make_site, monkeypatch):
    """Commune 04603: its own team (lead, member) owns a ticket that a team of the province reported, with a
    visit of the reporters (and its photo) joined into it; a coordinator of the province, one of Hà Nội."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # CSRF: test_the_page_forms_carry_the_csrf_token
    owner = make_team(["04603"], kind="commune_staff", name="Cán bộ xã")
    reporters = make_team(["15"], name="Tổ công nghệ số")
    lead, lead_headers = make_user("team_lead", team=owner)
    member, member_headers = make_user("field_member", team=owner)
    reporter, reporter_headers = make_user("field_member", team=reporters)
    coordinator, coordinator_headers = make_user("coordinator")
    _, far_headers = make_user("coordinator", jurisdiction_code="01")
    site = make_site(commune="04603", name="Trạm y tế xã")
    record = visit(site_id=site.id, purpose="Kiểm tra máy in")
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=reporter_headers).status_code == 200
    photo = client.post(
        f"/api/v1/visits/{record['id']}/attachments",
        data={"file": (io.BytesIO(JPEG), "may-in.jpg")},
        headers=reporter_headers,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_data(as_text=True)
    ticket = tickets.create_ticket(
        db.session,
        coordinator,
        scope_for(coordinator),
        title="Máy in hỏng tại Trạm y tế xã",
        category="equipment",
        admin_unit_code="04603",
        site_id=site.id,
        lat=21.72,
        lon=104.92,
        calendar=WorkingCalendar.load(db.session),
    )
    assert ticket.team_id == owner.id
    ticket.reported_by_team_id = reporters.id
    tickets.add_event(db.session, ticket, None, "joined", source=("visit", record["id"]), comment="printer")
    db.session.commit()  # as the rules would: a page's rollback then undoes only its own request
    return types.SimpleNamespace(
        ticket=ticket,
        owner=owner,
        reporters=reporters,
        lead=lead,
        member=member,
        reporter=reporter,
        coordinator=coordinator,
        visit_id=record["id"],
        photo_id=photo.get_json()["id"],
        headers={
            "lead": lead_headers,
            "member": member_headers,
            "reporter": reporter_headers,
            "coordinator": coordinator_headers,
            "far": far_headers,
        },
    )


ENGLISH = {"Accept-Language": "en"}  # the assertions read the English texts; the Vietnamese page has its own test


def page(client, scene, who: str):
    return client.get(f"/tickets/{scene.ticket.id}", headers={**scene.headers[who], **ENGLISH})


def act(client, scene, who: str, action: str, version: int | None = None, **fields):
    data = {f"{action}-version": scene.ticket.version if version is None else version}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    return client.post(
        f"/tickets/{scene.ticket.id}/{action}",
        data=data,
        headers={**scene.headers[who], **ENGLISH},
        content_type="multipart/form-data",
    )


def test_the_page_shows_what_where_who_when_reports_and_history(client, scene):
    """Title, place (site, commune, the small map), owner team, the reporting team, the deadline in working
    days, the joined visit with its photo (served to a reader of the ticket) and the history."""
    response = page(client, scene, "coordinator")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Máy in hỏng tại Trạm y tế xã", "Trạm y tế xã", "Cán bộ xã", "Tổ công nghệ số", "Kiểm tra máy in"):
        assert text in html
    assert '<svg class="minimap"' in html and 'class="point"' in html
    assert re.search(r"\d+ working days? left", html)
    photo_url = f"/tickets/{scene.ticket.id}/files/{scene.photo_id}"
    assert photo_url in html
    served = client.get(photo_url, headers=scene.headers["member"])
    try:
        assert served.status_code == 200 and served.data == JPEG
    finally:
        served.close()
    assert [m for m in re.findall(r'<li data-action="([a-z_]+)"', html)] == ["joined", "created"]


def test_the_page_speaks_vietnamese_first(client, scene):
    """Without a language chosen, the page is in Vietnamese: headings, labels of codes, buttons, dates."""
    response = client.get(f"/tickets/{scene.ticket.id}", headers=scene.headers["coordinator"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="vi">' in html
    assert "Việc bạn có thể làm" in html and 'id="ticket-status">Mới<' in html and "Giao việc" in html
    assert re.search(r"Còn \d+ ngày làm việc\.", html) and re.search(r"\d\d/\d\d/20\d\d \d\d:\d\d", html)


def test_buttons_are_the_allowed_actions(client, scene):
    """Each person sees exactly the buttons ``allowed_actions`` gives them."""
    for who, user in (
        ("coordinator", scene.coordinator),
        ("lead", scene.lead),
        ("member", scene.member),
        ("reporter", scene.reporter),
    ):
        shown = BUTTON.findall(page(client, scene, who).get_data(as_text=True))
        assert shown == tickets.allowed_actions(user, scene.ticket), who
    assert "resolve" not in BUTTON.findall(page(client, scene, "reporter").get_data(as_text=True))


def test_unknown_ticket_or_outside_the_area_is_404(client, scene):
    """A coordinator of another province, or an id that does not exist: 404, for the page, actions and files."""
    assert_problem(page(client, scene, "far"), 404)
    assert_problem(act(client, scene, "far", "comment", comment="hello"), 404)
    assert_problem(client.get(f"/tickets/{scene.ticket.id}/files/{scene.photo_id}", headers=scene.headers["far"]), 404)
    assert_problem(client.get("/tickets/999999", headers=scene.headers["coordinator"]), 404)
    other_file = client.get(f"/tickets/{scene.ticket.id}/files/{uuid.uuid4()}", headers=scene.headers["coordinator"])
    assert_problem(other_file, 404)


def test_each_action_through_the_page_leaves_its_event(client, db, scene, tmp_path, app, monkeypatch):
    """assign, start, resolve (comment, visit and photo as evidence), verify, close, reopen, escalate and
    comment: each redirects back to the page and leaves its event."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    ticket = scene.ticket
    steps = [
        ("coordinator", "assign", {"team_id": scene.owner.id, "assignee_id": scene.member.id}),
        ("member", "start", {}),
        (
            "member",
            "resolve",
            {"comment": "Thay trục kéo giấy", "visit_id": scene.visit_id, "photo": (io.BytesIO(JPEG), "xong.jpg")},
        ),
        ("reporter", "verify", {"comment": "Máy in chạy tốt"}),
        ("coordinator", "close", {}),
        ("reporter", "reopen", {"comment": "Lại kẹt giấy"}),
        ("member", "escalate", {"comment": "Cần thay máy mới"}),
        ("reporter", "comment", {"comment": "Cảm ơn"}),
    ]
    for who, action, fields in steps:
        response = act(client, scene, who, action, **fields)
        assert response.status_code == 303, (action, response.get_data(as_text=True)[:500])
        assert response.headers["Location"] == f"/tickets/{ticket.id}"
        db.session.refresh(ticket)
    assert ticket.status == "escalated" and ticket.owner_level == "province" and ticket.admin_unit_code == "04603"
    actions = [event.action for event in ticket.events]
    assert actions == [
        "created",
        "joined",
        "assign",
        "start",
        "resolve",
        "attachment_added",
        "verify",
        "close",
        "reopen",
        "escalated",
        "commented",
    ]
    resolve = next(event for event in ticket.events if event.action == "resolve")
    assert resolve.changes["evidence"] == {"kind": "visit", "id": scene.visit_id}
    assert resolve.comment == "Thay trục kéo giấy"
    photo = db.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
    assert photo.filename == "xong.jpg"
    html = page(client, scene, "coordinator").get_data(as_text=True)
    assert "Thay trục kéo giấy" in html and f"/tickets/{ticket.id}/files/{photo.id}" in html


def test_a_disallowed_action_is_403_naming_the_rule(client, db, scene):
    """A member of the reporting team may not start work: 403 naming ticket.start, nothing changes."""
    before = scene.ticket.version
    body = assert_problem(act(client, scene, "reporter", "start"), 403)
    assert body["rule"] == "ticket.start"
    db.session.refresh(scene.ticket)
    assert scene.ticket.version == before and scene.ticket.status == "open"


def test_a_stale_version_shows_changed_meanwhile_with_the_current_state(client, db, scene):
    """A form based on an older version is refused (409) with the page as it is now; nothing is overwritten."""
    shown = scene.ticket.version
    assert act(client, scene, "member", "start", version=shown).status_code == 303
    response = act(client, scene, "coordinator", "assign", version=shown, team_id=scene.owner.id)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="stale"' in html and 'id="ticket-status">In progress<' in html
    db.session.refresh(scene.ticket)
    assert scene.ticket.status == "in_progress" and [e.action for e in scene.ticket.events][-1] == "start"
    assert f'name="assign-version" type="hidden" value="{scene.ticket.version}"' in html


def test_bad_evidence_and_a_missing_comment_are_422_next_to_the_field(client, db, scene, make_site, make_user):
    """A visit that does not exist, one the resolver cannot read (another province) and a resolution without
    a comment: 422, the message next to its field, the ticket unchanged."""
    assert act(client, scene, "member", "start").status_code == 303
    db.session.refresh(scene.ticket)
    far_site = make_site(commune="00004", lat=21.03, lon=105.85, name="Hà Nội")
    _, far_member = make_user("field_member", province="01")
    far_visit = visit(site_id=far_site.id, lat=21.03, lon=105.85)
    assert client.post("/api/v1/sync", json={"records": [far_visit]}, headers=far_member).get_json()["created"] == 1
    for visit_id in (str(uuid.uuid4()), far_visit["id"], "not-a-uuid"):
        response = act(client, scene, "member", "resolve", comment="done", visit_id=visit_id)
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        html = response.get_data(as_text=True)
        assert re.search(r'id="resolve-visit_id"[^>]*>.*?</select>\s*<span class="error">', html, re.S)
    response = act(client, scene, "member", "resolve", comment="  ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="resolve-comment"[^>]*>[^<]*</textarea>\s*<span class="error">', html)
    db.session.refresh(scene.ticket)
    assert scene.ticket.status == "in_progress"


def test_a_file_that_is_not_a_photo_is_refused_next_to_its_field(client, db, scene, tmp_path, app, monkeypatch):
    """A resolution with a text file as its photo: 415, the message next to the photo field, nothing saved."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    assert act(client, scene, "member", "start").status_code == 303
    db.session.refresh(scene.ticket)
    response = act(client, scene, "member", "resolve", comment="done", photo=(io.BytesIO(b"hello"), "notes.txt"))
    assert response.status_code == 415
    assert re.search(r'id="resolve-photo"[^>]*>\s*<span class="error">', response.get_data(as_text=True))
    db.session.refresh(scene.ticket)
    assert scene.ticket.status == "in_progress"
    assert db.session.scalar(select(Attachment).where(Attachment.ticket_id == scene.ticket.id)) is None


def test_an_overdue_ticket_says_by_how_many_working_days(client, db, scene):
    """Past its due date, the page counts the working days since, as the queue marks it overdue."""
    from datetime import UTC, datetime, timedelta

    scene.ticket.due_at = datetime.now(UTC) - timedelta(days=15)
    db.session.commit()
    html = page(client, scene, "coordinator").get_data(as_text=True)
    assert re.search(r'class="overdue-note">Overdue by \d+ working days\.', html)


def test_the_page_forms_carry_the_csrf_token(app, client, db, scene, monkeypatch):
    """Signed in with a browser session, the token in the page's form is what lets the action through; a post
    without it is refused."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token = scene.headers["member"]["Authorization"].split()[1]
    assert sign_in_with_token(client, token).status_code == 302
    html = client.get(f"/tickets/{scene.ticket.id}").get_data(as_text=True)
    csrf = re.search(r'name="start-csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    refused = client.post(f"/tickets/{scene.ticket.id}/start", data={"start-version": scene.ticket.version})
    assert refused.status_code == 400
    done = client.post(
        f"/tickets/{scene.ticket.id}/start", data={"start-version": scene.ticket.version, "start-csrf_token": csrf}
    )
    assert done.status_code == 303
    assert csrf_token(client, "/") and db.session.get(Ticket, scene.ticket.id).status == "in_progress"


def test_queue_rows_link_to_the_ticket_page(client, scene):
    """The commune queue links each row to its ticket's page."""
    html = client.get("/queues/admin-units/04603", headers=scene.headers["coordinator"]).get_data(as_text=True)
    assert f'href="/tickets/{scene.ticket.id}"' in html
