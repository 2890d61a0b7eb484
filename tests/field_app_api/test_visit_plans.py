"""The visit plan API, the phones' changes feed, the HTML queue and the completion report: a missed planned visit
shows as overdue in the queue and counts in the report; a visit synced by the team takes its window off the queue."""

from datetime import UTC, date, datetime, timedelta

import pytest

from server.models import PlannedVisit, VisitPlanEvent
from server.services.visit_plans import local_today, mark_missed_visits
from tests.helpers import assert_problem, csrf_token
from tests.records_factory import LAT, LON, visit

COMMUNE = "04603"


@pytest.fixture
def setup(db, make_team, make_user):
    team = make_team(["15"], name="Tổ công nghệ số Tà Xi Láng")
    member, member_headers = make_user("field_member", team=team)
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    return team, member_headers, coordinator_headers


def create(client, headers, team_id, **fields):
    body = {
        "team_id": team_id,
        "title": "Hỗ trợ dịch vụ công",
        "every": 2,
        "unit": "week",
        "starts_on": (local_today(datetime.now(UTC)) - timedelta(weeks=5)).isoformat(),
        "communes": [COMMUNE],
        **fields,
    }
    return client.post("/api/v1/visit-plans", json=body, headers=headers)


def test_create_read_change_pause_resume(client, db, setup):
    """A coordinator plans, changes (naming the version), pauses and resumes a plan; each change is in its trail."""
    team, _member, headers = setup
    created = create(client, headers, team.id)
    assert created.status_code == 201, created.get_data(as_text=True)
    plan = created.get_json()
    assert plan["targets"] == [
        {"key": f"commune:{COMMUNE}", "site_id": None, "admin_unit_code": COMMUNE, "province_code": "15"}
    ]
    assert [event["action"] for event in plan["events"]] == ["created"]
    changed = client.patch(f"/api/v1/visit-plans/{plan['id']}", json={"version": 1, "every": 1}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    assert changed.get_json()["events"][0]["changes"]["every"] == [2, 1]
    stale = client.patch(f"/api/v1/visit-plans/{plan['id']}", json={"version": 1, "title": "x"}, headers=headers)
    assert assert_problem(stale, 409)["current_version"] == 2
    paused = client.post(f"/api/v1/visit-plans/{plan['id']}/pause", json={"version": 2}, headers=headers)
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    again = client.post(f"/api/v1/visit-plans/{plan['id']}/pause", json={"version": 3}, headers=headers)
    assert again.status_code == 200 and again.get_json()["version"] == 3  # idempotent
    resumed = client.post(f"/api/v1/visit-plans/{plan['id']}/resume", json={"version": 3}, headers=headers)
    assert resumed.get_json()["status"] == "active"
    detail = client.get(f"/api/v1/visit-plans/{plan['id']}", headers=headers).get_json()
    assert [event["action"] for event in detail["events"]] == ["resumed", "paused", "changed", "created"]
    assert db.session.query(VisitPlanEvent).filter_by(plan_id=plan["id"]).count() == 4


def test_bad_input_and_refusals(client, setup, make_user, make_team):
    """Clear 422s for a bad rhythm or no place; 403 for a team member; a place outside the area is named as not
    there; another province's coordinator does not see the plan."""
    team, member_headers, headers = setup
    bad = assert_problem(create(client, headers, team.id, every=0, unit="year"), 422)
    assert {"every", "unit"} <= bad["errors"].keys()
    assert "communes" in assert_problem(create(client, headers, team.id, communes=[]), 422)["errors"]
    backwards = create(client, headers, team.id, starts_on="2026-05-01", ends_on="2026-04-01")
    assert "ends_on" in assert_problem(backwards, 422)["errors"]
    assert "communes" in assert_problem(create(client, headers, team.id, communes=["00070"]), 422)["errors"]
    assert_problem(create(client, member_headers, team.id), 403)
    plan = create(client, headers, team.id).get_json()
    _hanoi, hanoi_headers = make_user("coordinator", jurisdiction_code="01")
    assert_problem(client.get(f"/api/v1/visit-plans/{plan['id']}", headers=hanoi_headers), 404)
    assert client.get("/api/v1/visit-plans", headers=hanoi_headers).get_json()["items"] == []
    assert [p["id"] for p in client.get("/api/v1/visit-plans", headers=member_headers).get_json()["items"]] == [
        plan["id"]
    ]


def test_phone_gets_due_visits_and_a_synced_visit_fulfils_one(client, db, setup):
    """The team's phone pulls its planned visits with their due dates; after it syncs a visit in the commune,
    the next pull carries that window as fulfilled and the queue no longer lists it."""
    team, member_headers, headers = setup
    plan = create(client, headers, team.id).get_json()
    first = client.get("/api/v1/sync/changes", headers=member_headers).get_json()
    mine = [row for row in first["planned_visits"] if row["plan_id"] == plan["id"]]
    assert len(mine) == 3 and all(row["status"] == "due" for row in mine)
    assert [row["overdue"] for row in sorted(mine, key=lambda r: r["due_on"])] == [True, True, False]
    current = max(mine, key=lambda row: row["due_on"])
    assert date.fromisoformat(current["due_on"]) >= local_today(datetime.now(UTC))
    record = visit(lat=LAT, lon=LON)
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=member_headers).get_json()["created"] == 1
    db.session.query(PlannedVisit).filter_by(id=current["id"]).update(
        {"updated_at": datetime.now(UTC) + timedelta(minutes=2)}  # past the feed's safety margin
    )
    later = client.get(
        "/api/v1/sync/changes", query_string={"cursor": first["cursor"]}, headers=member_headers
    ).get_json()
    assert {row["id"]: row["status"] for row in later["planned_visits"]}[current["id"]] == "fulfilled"
    queue = client.get("/api/v1/visit-plans/queue", query_string={"team_id": team.id}, headers=headers).get_json()
    assert queue["total"] == 2 and queue["overdue"] == 2
    assert current["id"] not in {row["id"] for row in queue["items"]}


def test_missed_visit_is_overdue_in_the_queue_and_counted_in_the_report(client, db, setup):
    """After the check, the two missed windows lead the team's HTML queue marked overdue, and the report gives the
    commune and the team a completion rate of 1 in 3."""
    team, member_headers, headers = setup
    plan = create(client, headers, team.id).get_json()
    rows = sorted(db.session.query(PlannedVisit).filter_by(plan_id=plan["id"]), key=lambda r: r.window_start)
    observed = (rows[0].starts_at + timedelta(days=1)).isoformat()
    record = visit(lat=LAT, lon=LON, observed_at=observed)
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=member_headers).get_json()["created"] == 1
    missed = mark_missed_visits(db.session, datetime.now(UTC))
    assert [row.id for row in missed] == [rows[1].id]
    page = client.get(f"/queues/teams/{team.id}", headers={**headers, "Accept-Language": "vi"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    planned = html[html.index('id="planned-visits"') :]
    assert f'<tr class="overdue" data-planned-visit-id="{rows[1].id}">' in planned
    assert f'data-planned-visit-id="{rows[0].id}"' not in planned  # fulfilled: off the queue
    assert "quá hạn" in planned
    since = (rows[0].starts_at - timedelta(days=1)).isoformat()
    for group, key, name in (("commune", "commune_code", COMMUNE), ("team", "team_id", team.id)):
        report = client.get(
            "/api/v1/reports/visit-plans", query_string={"group_by": group, "since": since}, headers=headers
        ).get_json()
        [row] = [row for row in report["items"] if row[key] == name]
        assert (row["windows_ended"], row["fulfilled"], row["missed"]) == (2, 1, 1)
        assert row["completion_rate"] == 0.5 and row["waiting_now"] == 1 and row["overdue_now"] == 1
    csv = client.get(
        "/api/v1/reports/visit-plans", query_string={"since": since, "format": "csv"}, headers=headers
    ).get_data(as_text=True)
    assert "completion_rate" in csv.splitlines()[0] and COMMUNE in csv
    province = client.get("/reports/provinces/15", headers={**headers, "Accept-Language": "vi"})
    assert province.status_code == 200 and 'id="visit-plans"' in province.get_data(as_text=True)


def test_plan_pages(client, db, setup, make_user):
    """A coordinator creates a plan on the page (with its CSRF token), sees it listed and on its own page, then
    pauses it; a form without the token is refused; a team member sees the plan but no form."""
    from tests.helpers import sign_in_with_token

    team, member_headers, _headers = setup
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    token = coordinator_headers["Authorization"].split()[1]
    assert sign_in_with_token(client, token).status_code == 302
    csrf = csrf_token(client, "/visit-plans/new")
    form = {
        "csrf_token": csrf,
        "title": "Thăm định kỳ",
        "team_id": str(team.id),
        "every": "1",
        "unit": "month",
        "starts_on": "2026-01-01",
        "communes": [COMMUNE],
    }
    assert client.post("/visit-plans/new", data={**form, "csrf_token": "wrong"}).status_code in (200, 400)
    created = client.post("/visit-plans/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)
    location = created.headers["Location"]
    plan_id = int(location.rstrip("/").rsplit("/", 1)[1])
    page = client.get(location).get_data(as_text=True)
    assert "Thăm định kỳ" in page and f'action="/visit-plans/{plan_id}/pause"' in page and 'name="every"' in page
    listing = client.get("/visit-plans").get_data(as_text=True)
    assert "Thăm định kỳ" in listing
    bad = client.post("/visit-plans/new", data={**form, "every": "0"})
    assert bad.status_code == 200 and 'class="error"' in bad.get_data(as_text=True)
    paused = client.post(f"/visit-plans/{plan_id}/pause", data={"csrf_token": csrf_token(client, location)})
    assert paused.status_code == 302
    assert db.session.query(VisitPlanEvent).filter_by(plan_id=plan_id, action="paused").count() == 1
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    member_page = client.get(location, headers=member_headers).get_data(as_text=True)
    assert "Thăm định kỳ" in member_page and f'action="/visit-plans/{plan_id}/resume"' not in member_page
    assert 'name="every"' not in member_page


def test_queue_pages_by_cursor_and_still_takes_the_deprecated_page(client, setup):
    """The queue pages with `after` / `next_cursor` like every list: each waiting visit once, in the queue's order
    (overdue first); the deprecated `page` still gives the same slices (with `page`, without `next_cursor`); a
    cursor it did not make is a 422."""
    team, _member, headers = setup
    create(
        client, headers, team.id, every=1, starts_on=(local_today(datetime.now(UTC)) - timedelta(weeks=4)).isoformat()
    )
    create(client, headers, team.id, every=1, unit="month")
    url, query = "/api/v1/visit-plans/queue", {"team_id": team.id}
    whole = client.get(url, query_string=query, headers=headers).get_json()
    assert whole["next_cursor"] is None and whole["total"] == len(whole["items"]) >= 5
    assert (
        whole["overdue"] >= 4
        and [row["overdue"] for row in whole["items"]][: whole["overdue"]] == [True] * whole["overdue"]
    )
    seen, after = [], None
    for _ in range(20):
        page = client.get(
            url, query_string={**query, "limit": 2, **({"after": after} if after else {})}, headers=headers
        )
        body = page.get_json()
        assert page.status_code == 200 and "page" not in body and body["total"] == whole["total"]
        seen += [row["id"] for row in body["items"]]
        after = body["next_cursor"]
        if after is None:
            break
    assert seen == [row["id"] for row in whole["items"]]
    old = client.get(url, query_string={**query, "limit": 2, "page": 2}, headers=headers).get_json()
    assert old["page"] == 2 and "next_cursor" not in old and [row["id"] for row in old["items"]] == seen[2:4]
    assert (
        "after"
        in assert_problem(client.get(url, query_string={"after": "bm90LWEtY3Vyc29y"}, headers=headers), 422)["errors"]
    )
