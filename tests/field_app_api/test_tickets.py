import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import Ticket, TicketEvent
from server.services.tickets import escalate_overdue
from tests.helpers import assert_problem, sign_in_with_token
from tests.records_factory import LAT, LON, equipment_check, finding, reading, visit


@pytest.fixture
def field(make_user, make_site, make_team):
    """In Lào Cai: a working group that reports (lead + member), the commune staff of 04603 who own its tickets
    (lead + fixer), the province department, another team, a coordinator, and a service centre."""
    site = make_site(commune="04603", lat=LAT, lon=LON, kind="commune_service_centre", name="Service centre")
    team = make_team(jurisdiction=["15"])
    lead, lead_headers = make_user("team_lead", team=team)
    member, member_headers = make_user("field_member", team=team)
    commune = make_team(jurisdiction=["04603"], kind="commune_staff")
    _, commune_lead_headers = make_user("team_lead", team=commune)
    fixer, fixer_headers = make_user("field_member", team=commune)
    department = make_team(jurisdiction=["15"], kind="province_department")
    _, department_headers = make_user("field_member", team=department)
    other_team = make_team(jurisdiction=["15"])
    outsider, outsider_headers = make_user("field_member", team=other_team)
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    return {
        "site": site,
        "team": team,
        "lead": lead_headers,
        "member": member_headers,
        "member_user": member,
        "commune": commune,
        "commune_lead": commune_lead_headers,
        "fixer": fixer_headers,
        "fixer_user": fixer,
        "department": department,
        "department_member": department_headers,
        "outsider": outsider_headers,
        "coordinator": coordinator_headers,
        "other_team": other_team,
    }


def sync(client, headers, records):
    response = client.post("/api/v1/sync", json={"records": records}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def tickets_of(db, **where):
    query = select(Ticket)
    for name, value in where.items():
        query = query.where(getattr(Ticket, name) == value)
    return list(db.session.scalars(query))


def event_count(db, ticket_id):
    return db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id))


def test_same_broken_printer_on_two_visits_is_one_ticket_with_two_events(client, db, field):
    """Two visits report the same broken printer: one equipment ticket, created then joined."""
    site_id = field["site"].id
    for _ in range(2):
        trip = visit(site_id=site_id)
        sync(client, field["member"], [trip, equipment_check(site_id=site_id, visit_id=trip["id"])])
    [ticket] = tickets_of(db, category="equipment")
    assert ticket.status == "open" and ticket.signal_count == 2 and ticket.site_id == site_id
    actions = [e.action for e in ticket.events]
    assert actions == ["created", "joined"]
    assert ticket.admin_unit_code == "04603" and ticket.owner_level == "commune" and ticket.owner_unit_code == "04603"
    assert ticket.team_id == field["commune"].id and ticket.reported_by_team_id == field["team"].id
    assert ticket.title == "Máy in hỏng: Canon LBP2900 #2 tại Service centre"


def test_working_equipment_opens_no_ticket(client, db, field):
    sync(client, field["member"], [equipment_check(condition="working"), equipment_check(condition="degraded")])
    assert tickets_of(db) == []


def test_beyond_authority_finding_lands_in_the_province_queue_escalated(client, field):
    """A finding beyond the commune's authority is escalated to the province at once; it stays in its commune."""
    sync(client, field["member"], [finding(category="software", beyond_local_authority=True)])
    queue = client.get("/api/v1/tickets?admin_unit=15", headers=field["coordinator"]).get_json()
    [item] = queue["items"]
    assert item["status"] == "escalated" and item["owner_level"] == item["owning_level"] == "province"
    assert item["owner_unit_code"] == "15" and item["team_id"] == field["department"].id
    assert item["admin_unit_code"] == "04603" and item["category"] == "software"
    assert item["reported_by_team_id"] == field["team"].id
    assert queue["counts"]["escalated"] == 1
    by_commune = client.get("/api/v1/tickets?admin_unit=04603", headers=field["coordinator"]).get_json()
    assert [i["id"] for i in by_commune["items"]] == [item["id"]]


def test_retrying_a_batch_creates_no_new_ticket_or_event(client, db, field):
    records = [equipment_check(site_id=field["site"].id), finding(), finding(category="power")]
    sync(client, field["member"], records)
    before = (len(tickets_of(db)), db.session.scalar(select(func.count()).select_from(TicketEvent)))
    assert sync(client, field["member"], records)["duplicate"] == 3
    after = (len(tickets_of(db)), db.session.scalar(select(func.count()).select_from(TicketEvent)))
    assert before == after == (3, 3)


def test_dead_spots_clustering_in_a_cell_open_one_province_ticket(app, client, db, field):
    """Below the threshold nothing opens; reaching it opens one connectivity ticket owned by the province's
    department, placed in its commune, titled in words, and reported by the team whose phones found it."""
    threshold = app.config["DEAD_SPOT_CLUSTER_COUNT"]
    sync(client, field["member"], [reading() for _ in range(threshold - 1)])
    assert tickets_of(db, category="connectivity") == []
    sync(client, field["member"], [reading(), reading(network="4g", signal_dbm=-80, down_mbps=20.0)])
    [ticket] = tickets_of(db, category="connectivity")
    assert ticket.owner_level == "province" and ticket.owner_unit_code == "15" and ticket.admin_unit_code == "04603"
    assert ticket.team_id == field["department"].id and ticket.reported_by_team_id == field["team"].id
    assert ticket.title == f"Không có sóng di động: {threshold} lần đo tại Xã Tà Xi Láng" and ticket.h3_cell
    assert ticket.signal_count == 1
    sync(client, field["member"], [reading(), reading()])
    db.session.refresh(ticket)
    assert len(tickets_of(db, category="connectivity")) == 1 and ticket.signal_count == 3


def test_the_dead_spot_rule_runs_after_the_answer_once_whoever_runs_it(app, client, db, field, monkeypatch):
    """The sync answers, then runs the cluster rule of its batch; a batch whose rule did not run after the answer
    (here: it failed) waits in the database and the minute's job applies it, once however often it runs."""
    from server.models import DeferredReadings
    from server.services import after_sync
    from server.services.ticket_rules import RuleSettings

    threshold = app.config["DEAD_SPOT_CLUSTER_COUNT"]
    real = after_sync.apply_rules

    def failing(session, created, settings, now=None):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(after_sync, "apply_rules", failing)
    answer = sync(client, field["member"], [reading() for _ in range(threshold)])
    assert answer["created"] == threshold  # the answer does not wait for the rule
    assert tickets_of(db, category="connectivity") == []
    [(waiting, ids)] = db.session.execute(select(DeferredReadings.id, DeferredReadings.reading_ids)).all()
    assert len(ids) == threshold

    monkeypatch.setattr(after_sync, "apply_rules", real)
    now = datetime.now(UTC)
    assert after_sync.apply_deferred_job(db.session, now) == f"1 deferred batch(es), {threshold} reading(s)"
    assert after_sync.apply_deferred(db.session, RuleSettings.from_config(app.config), waiting) == 0
    assert after_sync.apply_deferred_job(db.session, now) is None
    [ticket] = tickets_of(db, category="connectivity")
    assert ticket.signal_count == threshold and ticket.title.startswith(f"Không có sóng di động: {threshold} lần đo")
    assert db.session.scalar(select(func.count()).select_from(DeferredReadings)) == 0

    sync(client, field["member"], [reading()])  # joined right after the answer
    db.session.refresh(ticket)
    assert ticket.signal_count == threshold + 1
    assert db.session.scalar(select(func.count()).select_from(DeferredReadings)) == 0


def test_old_dead_spots_do_not_count(client, db, field, app):
    old = (datetime.now(UTC) - timedelta(days=app.config["DEAD_SPOT_CLUSTER_DAYS"] + 5)).isoformat()
    sync(client, field["member"], [reading(observed_at=old) for _ in range(10)] + [reading()])
    assert tickets_of(db, category="connectivity") == []


def act(client, headers, ticket_id, action, version, **fields):
    return client.post(
        f"/api/v1/tickets/{ticket_id}/transitions",
        json={"action": action, "version": version, **fields},
        headers=headers,
    )


def open_equipment_ticket(client, db, field) -> Ticket:
    sync(client, field["member"], [equipment_check(site_id=field["site"].id)])
    [ticket] = tickets_of(db, category="equipment")
    return ticket


def resolve_as_fixer(client, field, ticket) -> int:
    """The owner team's member starts and resolves; returns the new version."""
    version = act(client, field["fixer"], ticket.id, "start", ticket.version).get_json()["version"]
    response = act(client, field["fixer"], ticket.id, "resolve", version, comment="fixed")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["version"]


def test_workflow_to_closed_with_audit_trail(client, db, field):
    """assign -> start -> resolve -> verify (the reporting team, citing a visit) -> close; every step is an event."""
    ticket = open_equipment_ticket(client, db, field)
    member = field["fixer_user"]
    body = act(client, field["commune_lead"], ticket.id, "assign", ticket.version, assignee_id=member.id).get_json()
    body = act(client, field["fixer"], ticket.id, "start", body["version"]).get_json()
    body = act(client, field["fixer"], ticket.id, "resolve", body["version"], comment="Replaced the roller").get_json()
    check = visit(site_id=field["site"].id)
    sync(client, field["member"], [check])
    response = act(
        client, field["member"], ticket.id, "verify", body["version"], evidence={"kind": "visit", "id": check["id"]}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = act(client, field["coordinator"], ticket.id, "close", response.get_json()["version"]).get_json()
    assert body["status"] == "closed"
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=field["coordinator"]).get_json()
    assert [e["action"] for e in detail["events"]] == ["created", "assign", "start", "resolve", "verify", "close"]
    assert detail["verification_evidence"] == {"kind": "visit", "id": check["id"]}
    resolve = detail["events"][3]
    assert (resolve["from_status"], resolve["to_status"], resolve["actor_id"]) == ("in_progress", "resolved", member.id)


def test_the_resolver_cannot_verify(client, db, field):
    """Neither the resolver nor a teammate may verify, nor a team with no part in it; the reporting team may."""
    ticket = open_equipment_ticket(client, db, field)
    version = resolve_as_fixer(client, field, ticket)
    assert assert_problem(act(client, field["fixer"], ticket.id, "verify", version), 403)["rule"] == "ticket.verify"
    assert_problem(act(client, field["commune_lead"], ticket.id, "verify", version), 403)
    assert_problem(act(client, field["outsider"], ticket.id, "verify", version), 403)
    assert act(client, field["member"], ticket.id, "verify", version).status_code == 200


def test_a_field_member_of_another_team_cannot_resolve(client, db, field):
    """Work is closed out by its owner team, its assignee or a coordinator: not by anyone in scope; the 403
    names the rule."""
    ticket = open_equipment_ticket(client, db, field)
    version = act(client, field["fixer"], ticket.id, "start", ticket.version).get_json()["version"]
    for who in ("outsider", "member", "department_member"):
        body = assert_problem(act(client, field[who], ticket.id, "resolve", version, comment="done"), 403)
        assert body["rule"] == "ticket.resolve" and "owner team" in body["detail"]
    assert act(client, field["fixer"], ticket.id, "resolve", version, comment="done").status_code == 200


def test_stale_version_gets_409_with_the_current_ticket(client, db, field):
    ticket = open_equipment_ticket(client, db, field)
    stale = ticket.version
    assert act(client, field["commune_lead"], ticket.id, "start", stale).status_code == 200
    body = assert_problem(act(client, field["commune_lead"], ticket.id, "escalate", stale, comment="too hard"), 409)
    assert body["current"]["status"] == "in_progress" and body["current"]["version"] == stale + 1


def test_stale_answers_match_the_document(client, db, field):
    """The 409 and 412 answers of PATCH and transitions are documented with every member they carry (``current``
    included), and a problem document allows no other member."""
    ticket = open_equipment_ticket(client, db, field)
    stale = ticket.version
    assert act(client, field["commune_lead"], ticket.id, "start", stale).status_code == 200
    body = assert_problem(act(client, field["commune_lead"], ticket.id, "escalate", stale, comment="too hard"), 409)
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for path, method in (("/api/v1/tickets/{ticket_id}/transitions", "post"), ("/api/v1/tickets/{ticket_id}", "patch")):
        for status in ("409", "412"):
            content = spec["paths"][path][method]["responses"][status]["content"]["application/problem+json"]
            documented = schemas[content["schema"]["$ref"].split("/")[-1]]
            assert set(body) <= set(documented["properties"]) and "current" in documented["properties"]
    assert schemas["Problem"].get("additionalProperties") is False and "current" not in schemas["Problem"]["properties"]


def test_if_match_must_be_a_plain_version(client, db, field):
    """An If-Match with non-ASCII digits or a number past 32 bits is a 422, not a lookup."""
    ticket = open_equipment_ticket(client, db, field)
    url = f"/api/v1/tickets/{ticket.id}"
    for etag in ('"١"', '"99999999999999999999"', "W/", '"-1"'):
        response = client.patch(url, json={"priority": "high"}, headers={**field["commune_lead"], "If-Match": etag})
        assert "If-Match" in assert_problem(response, 422)["errors"], etag


def test_if_match_precondition(client, db, field):
    """PATCH with an old ETag in If-Match gets 412; with the current one it applies; without any, 428."""
    ticket = open_equipment_ticket(client, db, field)
    url = f"/api/v1/tickets/{ticket.id}"
    lead = field["commune_lead"]
    etag = client.get(url, headers=lead).headers["ETag"]
    ok = client.patch(url, json={"priority": "high"}, headers={**lead, "If-Match": etag})
    assert ok.status_code == 200 and ok.headers["ETag"] != etag
    assert_problem(client.patch(url, json={"priority": "low"}, headers={**lead, "If-Match": etag}), 412)
    assert_problem(client.patch(url, json={"priority": "low"}, headers=lead), 428)
    events = client.get(url, headers=lead).get_json()["events"]
    assert events[-1]["action"] == "updated"
    assert events[-1]["changes"] == {"before": {"priority": "medium"}, "after": {"priority": "high"}}


def test_invalid_transitions_and_missing_comments(client, db, field):
    ticket = open_equipment_ticket(client, db, field)
    assert_problem(act(client, field["coordinator"], ticket.id, "close", ticket.version), 409)
    assert_problem(act(client, field["fixer"], ticket.id, "resolve", ticket.version, comment="x"), 409)  # not started
    version = act(client, field["fixer"], ticket.id, "start", ticket.version).get_json()["version"]
    body = assert_problem(act(client, field["fixer"], ticket.id, "resolve", version), 422)
    assert "comment" in body["errors"]
    assert_problem(act(client, field["member"], ticket.id, "assign", version, team_id=field["team"].id), 403)
    assert "action" in assert_problem(act(client, field["member"], ticket.id, "explode", 1), 422)["errors"]


def test_failing_again_after_resolution_reopens_the_ticket(client, db, field):
    """The same asset broken again within the reopen window reopens its ticket instead of opening another."""
    ticket = open_equipment_ticket(client, db, field)
    resolve_as_fixer(client, field, ticket)
    sync(client, field["member"], [equipment_check(site_id=field["site"].id)])
    [again] = tickets_of(db, category="equipment")
    db.session.refresh(again)
    assert again.id == ticket.id and again.status == "reopened"
    assert [e.action for e in again.events][-1] == "reopened"


def test_failing_long_after_resolution_opens_a_new_ticket(client, db, field, app):
    ticket = open_equipment_ticket(client, db, field)
    resolve_as_fixer(client, field, ticket)
    ticket.resolved_at = datetime.now(UTC) - timedelta(days=app.config["REOPEN_WITHIN_DAYS"] + 1)
    db.session.flush()
    sync(client, field["member"], [equipment_check(site_id=field["site"].id)])
    assert len(tickets_of(db, category="equipment")) == 2


def test_overdue_command_escalates_once(app, client, db, field):
    """The cron command hands an overdue commune ticket to the province, which leaves it in its commune; run
    again, it escalates nothing."""
    ticket = open_equipment_ticket(client, db, field)
    ticket.due_at = datetime.now(UTC) - timedelta(days=2)
    db.session.flush()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tickets", "escalate-overdue"])
    assert first.exit_code == 0 and "1 overdue ticket(s) escalated" in first.output
    second = runner.invoke(args=["tickets", "escalate-overdue"])
    assert "0 overdue ticket(s) escalated" in second.output
    db.session.refresh(ticket)
    assert ticket.status == "escalated" and ticket.admin_unit_code == "04603" and ticket.owner_unit_code == "15"
    assert ticket.team_id == field["department"].id and ticket.reported_by_team_id == field["team"].id
    [event] = [e for e in ticket.events if e.action == "escalated"]
    assert event.changes["before"]["owner_level"] == "commune" and event.changes["after"]["owner_level"] == "province"
    assert "admin_unit_code" not in event.changes["after"]
    assert escalate_overdue(db.session) == []


def test_queue_is_sorted_overdue_then_priority_then_age(client, db, field):
    sync(
        client,
        field["member"],
        [
            finding(category="training", severity="low", description="first, low"),
            finding(category="procedure", severity="critical", description="second, critical"),
            finding(category="facility", severity="medium", description="third, medium, overdue"),
        ],
    )
    overdue = tickets_of(db, category="facility")[0]
    overdue.due_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.flush()
    body = client.get(f"/api/v1/tickets?team={field['commune'].id}", headers=field["lead"]).get_json()
    assert [item["category"] for item in body["items"]] == ["facility", "procedure", "training"]
    assert body["items"][0]["overdue"] is True
    assert body["counts"]["open"] == 3 and body["counts"]["overdue"] == 1
    reported = client.get(f"/api/v1/tickets?reported_by_team={field['team'].id}", headers=field["lead"]).get_json()
    assert reported["total"] == 3
    assert (
        client.get(f"/api/v1/tickets?reported_by_team={field['commune'].id}", headers=field["lead"]).get_json()["total"]
        == 0
    )
    only_overdue = client.get("/api/v1/tickets?overdue=true", headers=field["lead"]).get_json()["items"]
    assert [item["category"] for item in only_overdue] == ["facility"]


def test_other_province_cannot_see_or_change_tickets(client, db, field, make_user):
    ticket = open_equipment_ticket(client, db, field)
    _, ha_noi = make_user("coordinator", jurisdiction_code="01")
    assert_problem(client.get(f"/api/v1/tickets/{ticket.id}", headers=ha_noi), 404)
    assert_problem(act(client, ha_noi, ticket.id, "escalate", ticket.version, comment="x"), 404)
    assert client.get("/api/v1/tickets", headers=ha_noi).get_json()["total"] == 0


def test_comments_and_attachments_leave_events(client, db, field):
    import io

    ticket = open_equipment_ticket(client, db, field)
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/comments", json={"comment": "Ordered a new roller"}, headers=field["member"]
    )
    assert response.status_code == 201
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    upload = client.post(
        f"/api/v1/tickets/{ticket.id}/attachments",
        data={"file": (io.BytesIO(jpeg), "a.jpg")},
        headers=field["member"],
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_data(as_text=True)
    actions = [
        e["action"] for e in client.get(f"/api/v1/tickets/{ticket.id}", headers=field["member"]).get_json()["events"]
    ]
    assert actions == ["created", "commented", "attachment_added"]
    assert_problem(client.post(f"/api/v1/tickets/{ticket.id}/comments", json={}, headers=field["member"]), 422)


def test_manual_ticket_and_rules_admin(client, db, field, make_user):
    response = client.post(
        "/api/v1/tickets",
        headers=field["coordinator"],
        json={"title": "Scanner needed for land registry", "category": "equipment", "admin_unit_code": "04603"},
    )
    assert response.status_code == 201 and response.get_json()["status"] == "open"
    assert_problem(
        client.post(
            "/api/v1/tickets",
            headers=field["member"],
            json={"title": "x", "category": "equipment", "admin_unit_code": "04603"},
        ),
        403,
    )
    rules = client.get("/api/v1/ticket-rules", headers=field["member"]).get_json()["items"]
    assert {r["category"] for r in rules} >= {"equipment", "connectivity", "software"}
    assert_problem(
        client.patch("/api/v1/ticket-rules/equipment", json={"sla_working_days": 3}, headers=field["coordinator"]), 403
    )
    _, admin = make_user("admin")
    changed = client.patch("/api/v1/ticket-rules/equipment", json={"sla_working_days": 3}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["sla_working_days"] == 3
    assert (
        "sla_working_days"
        in assert_problem(
            client.patch("/api/v1/ticket-rules/equipment", json={"sla_working_days": 0}, headers=admin), 422
        )["errors"]
    )


def test_days_off_move_deadlines(client, db, field, make_user):
    _, admin = make_user("admin")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert client.post("/api/v1/days-off", json={"day": tomorrow, "reason": "storm"}, headers=admin).status_code == 201
    assert_problem(client.post("/api/v1/days-off", json={"day": tomorrow}, headers=admin), 409)
    assert_problem(client.post("/api/v1/days-off", json={"day": tomorrow}, headers=field["coordinator"]), 403)
    assert [d["day"] for d in client.get("/api/v1/days-off", headers=admin).get_json()["items"]] == [tomorrow]
    assert client.delete(f"/api/v1/days-off/{tomorrow}", headers=admin).status_code == 204


def test_phone_pulls_its_team_tickets(client, db, field):
    """The owner team and the reporting team get the ticket; a team with no part in it does not."""
    sync(client, field["member"], [equipment_check(site_id=field["site"].id)])
    for who in ("member", "fixer"):
        body = client.get("/api/v1/sync/changes", headers=field[who]).get_json()
        assert [t["category"] for t in body["tickets"]] == ["equipment"]
    assert client.get("/api/v1/sync/changes", headers=field["outsider"]).get_json()["tickets"] == []


def test_dead_spot_ticket_reaches_the_reporting_team_until_closed(app, client, db, field):
    """The team whose phones found the dead spots receives the ticket and its status changes through
    /sync/changes; once closed and past the hearing window it leaves the feed."""
    sync(client, field["member"], [reading() for _ in range(app.config["DEAD_SPOT_CLUSTER_COUNT"])])
    first = client.get("/api/v1/sync/changes", headers=field["member"]).get_json()
    [item] = first["tickets"]
    assert item["category"] == "connectivity" and item["reported_by_team_id"] == field["team"].id
    assert item["title"].startswith("Không có sóng di động")
    ticket = db.session.get(Ticket, item["id"])
    act(client, field["department_member"], ticket.id, "start", ticket.version)
    again = client.get(f"/api/v1/sync/changes?cursor={first['cursor']}", headers=field["member"]).get_json()
    assert [(t["id"], t["status"]) for t in again["tickets"]] == [(ticket.id, "in_progress")]
    ticket.status, ticket.closed_at = "closed", datetime.now(UTC) - timedelta(days=40)
    db.session.flush()
    assert client.get("/api/v1/sync/changes", headers=field["member"]).get_json()["tickets"] == []


def test_queue_pages(client, db, field):
    """The HTML queue needs a login; after logging in with a token, overdue rows are highlighted and
    typed text is escaped."""
    sync(client, field["member"], [finding(category="procedure", description="<script>alert(1)</script> portal down")])
    [ticket] = tickets_of(db)
    ticket.due_at = datetime.now(UTC) - timedelta(days=1)
    db.session.flush()
    url = f"/queues/teams/{field['commune'].id}"
    assert client.get(url).status_code == 302
    token = field["fixer"]["Authorization"].split()[1]
    assert "Đăng nhập không thành công" in sign_in_with_token(client, "wrong").get_data(as_text=True)
    assert sign_in_with_token(client, token, next_url=url).headers["Location"] == url
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="overdue"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert client.get("/queues/admin-units/04603").status_code == 200
    assert client.get("/queues/admin-units/00070").status_code == 404
    bearer = client.get("/queues/admin-units/15?status=all", headers=field["coordinator"])
    assert bearer.status_code == 200 and f'data-ticket-id="{ticket.id}"' in bearer.get_data(as_text=True)


def test_escalated_tickets_stay_in_their_commune_in_queues_and_reports(client, db, field):
    """Escalated tickets (overdue, and beyond local authority) are still listed by their commune, counted as its
    escalations in the indicators, and ranked in its investment-priority row (no "H3 cell" row for them)."""
    ticket = open_equipment_ticket(client, db, field)
    ticket.due_at = datetime.now(UTC) - timedelta(days=2)
    db.session.flush()
    assert escalate_overdue(db.session) == [ticket]
    sync(client, field["member"], [finding(category="software", beyond_local_authority=True)])
    coordinator = field["coordinator"]
    listed = client.get("/api/v1/tickets?admin_unit=04603", headers=coordinator).get_json()
    assert listed["total"] == 2 and listed["counts"]["escalated"] == 2
    assert {item["owner_unit_code"] for item in listed["items"]} == {"15"}
    window = {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "until": datetime.now(UTC).isoformat()}
    indicators = client.get(
        "/api/v1/reports/indicators", headers=coordinator, query_string={"commune": "04603", **window}
    ).get_json()["items"]
    assert [(row["commune_code"], row["escalations"]) for row in indicators] == [("04603", 2)]
    ranking = client.get(
        "/api/v1/reports/investment-priorities", headers=coordinator, query_string={"province": "15", **window}
    ).get_json()["items"]
    rows = {row["code"]: row for row in ranking}
    assert rows["04603"]["place_kind"] == "commune" and rows["04603"]["tickets_open_now"] == 2
    assert [row for row in ranking if row["place_kind"] == "h3_cell"] == []
    features = client.get("/api/v1/maps/tickets", headers=coordinator, query_string={"commune": "04603"}).get_json()[
        "features"
    ]
    assert (
        sorted((f["properties"]["admin_unit_code"], f["properties"]["admin_unit_name"]) for f in features)
        == [("04603", "Xã Tà Xi Láng")] * 2
    )


def test_the_queue_pages_by_cursor_and_still_takes_the_deprecated_page(client, make_user):
    """``after``/``next_cursor`` walks the queue in its order, each ticket once; ``page`` (deprecated) still works
    and gives the same order (a cursor given with it is ignored)."""
    _, headers = make_user("coordinator", province="15")
    for index, priority in enumerate(["low", "high", "medium", "critical", "high", "low", "medium"]):
        ticket = {"title": f"T{index}", "category": "equipment", "priority": priority, "admin_unit_code": "04603"}
        assert client.post("/api/v1/tickets", json=ticket, headers=headers).status_code == 201
    walked, params = [], {"limit": 3}
    for _page in range(10):
        body = client.get("/api/v1/tickets", query_string=params, headers=headers).get_json()
        walked += [item["id"] for item in body["items"]]
        assert body["total"] == 7 and "page" not in body
        if body["next_cursor"] is None:
            break
        params["after"] = body["next_cursor"]
    paged = []
    for number in (1, 2, 3):
        body = client.get("/api/v1/tickets", query_string={"limit": 3, "page": number}, headers=headers).get_json()
        assert body["page"] == number and "next_cursor" not in body
        paged += [item["id"] for item in body["items"]]
    whole = [item["id"] for item in client.get("/api/v1/tickets", headers=headers).get_json()["items"]]
    assert walked == paged == whole and len(set(walked)) == 7
    both = client.get("/api/v1/tickets", query_string={"page": 1, "after": params["after"]}, headers=headers)
    assert [item["id"] for item in both.get_json()["items"]] == whole  # page wins, the cursor is ignored
    forged = client.get("/api/v1/tickets", query_string={"after": "AAAA"}, headers=headers)
    assert forged.status_code == 422


def test_api_and_html_queue_share_the_status_groups_and_neither_takes_all(client, db, field):
    """The API's `status` and the HTML queue's take the same statuses and groups (`active`, `done`); `status=all`
    is refused by the API (422) and ignored by the page (its default, waiting for action), never a third meaning."""
    resolved = open_equipment_ticket(client, db, field)
    resolve_as_fixer(client, field, resolved)
    sync(client, field["member"], [finding(category="software", description="Cổng dịch vụ công không truy cập được")])
    [waiting] = tickets_of(db, category="software")
    coordinator = field["coordinator"]

    def api(status):
        response = client.get("/api/v1/tickets", query_string={"status": status}, headers=coordinator)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {item["id"] for item in response.get_json()["items"]}

    def page(status):
        response = client.get("/queues/admin-units/15", query_string={"status": status}, headers=coordinator)
        assert response.status_code == 200
        return {int(found) for found in re.findall(r'data-ticket-id="(\d+)"', response.get_data(as_text=True))}

    assert api("done") == page("done") == {resolved.id}
    assert api("active") == page("active") == page("") == {waiting.id}
    assert api("resolved,active") == page("resolved") | page("active") == {resolved.id, waiting.id}
    assert "status" in assert_problem(client.get("/api/v1/tickets?status=all", headers=coordinator), 422)["errors"]
    assert page("all") == page("")
    html = client.get("/queues/admin-units/15", headers={**coordinator, "Accept-Language": "vi"}).get_data(as_text=True)
    assert 'value="all"' not in html and "Đã xong (đã xử lý xong" in html
