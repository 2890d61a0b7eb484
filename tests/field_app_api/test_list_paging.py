"""Every list pages the same way: `limit` (bounded) and `after=<next_cursor>`, in a stable order with a unique
tie-breaker, each row exactly once across the pages; a cursor the server did not make is a 422 in the reader's
language. Covers the lists that once answered in one page: API tokens, webhooks and their attempts, surveys and
their versions, attachments of records and tickets, ticket rules, days off, operators, visit plans and one plan's
visits."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server.models import Attachment, Delivery, NotificationEvent, WebhookAttempt
from server.services.notifications.webhooks import create_webhook
from server.services.visit_plans import local_today
from surveys.api.examples import DEFINITION
from tests.helpers import assert_problem
from tests.records_factory import LAT, LON, visit

BAD_CURSOR = "W3RydWVd"  # base64 of [true]: well formed, but not a position of any list
VI_MESSAGE = "Con trỏ không hợp lệ: hãy dùng nguyên next_cursor của trang trước."


def walk(client, url: str, headers: dict, limit: int = 2, key: str = "id") -> list:
    """Page through ``url`` ``limit`` rows at a time; the keys seen equal those of one big page, each once."""
    whole = client.get(url, query_string={"limit": 1000}, headers=headers)
    assert whole.status_code == 200, whole.get_data(as_text=True)
    whole = whole.get_json()
    assert whole["next_cursor"] is None
    expected = [item[key] for item in whole["items"]]
    assert len(expected) > limit, f"{url}: too few rows to page ({len(expected)})"
    seen, after, pages = [], None, 0
    while pages <= len(expected):
        response = client.get(
            url, query_string={"limit": limit, **({"after": after} if after else {})}, headers=headers
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert len(body["items"]) <= limit
        seen += [item[key] for item in body["items"]]
        pages += 1
        after = body["next_cursor"]
        if after is None:
            break
    assert seen == expected and len(set(map(str, seen))) == len(seen) and pages > 1
    refused = client.get(url, query_string={"after": BAD_CURSOR}, headers={**headers, "Accept-Language": "vi"})
    assert assert_problem(refused, 422)["errors"]["after"] == [VI_MESSAGE]
    assert "limit" in assert_problem(client.get(url, query_string={"limit": 1001}, headers=headers), 422)["errors"]
    return whole["items"]


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_tokens(client, admin):
    """A person's tokens, oldest first."""
    user, headers = admin
    for number in range(4):
        assert client.post("/api/v1/tokens", json={"label": f"Điện thoại {number}"}, headers=headers).status_code == 201
    items = walk(client, "/api/v1/tokens", headers)
    assert [item["id"] for item in items] == sorted(item["id"] for item in items)


def test_webhooks_and_their_attempts(client, db, make_user, admin):
    """Webhooks (a coordinator sees only their area's) and one webhook's attempts, newest first."""
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    hooks = [
        create_webhook(
            db.session,
            coordinator,
            url=f"http://127.0.0.1:9/hook/{number}",
            events=["ticket_escalated"],
            area_code="15",
            allow_private=True,
        )
        for number in range(4)
    ]
    away = create_webhook(
        db.session,
        admin[0],
        url="http://127.0.0.1:9/away",
        events=["ticket_escalated"],
        area_code="01",
        allow_private=True,
    )
    db.session.flush()
    mine = walk(client, "/api/v1/webhooks", coordinator_headers)
    assert [item["id"] for item in mine] == [hook.id for hook in hooks]
    assert away.id in [item["id"] for item in walk(client, "/api/v1/webhooks", admin[1])]

    event = NotificationEvent(kind="ticket_escalated", admin_unit_code="04603", province_code="15")
    db.session.add(event)
    db.session.flush()
    delivery = Delivery(
        event_id=event.id, recipient=f"webhook:{hooks[0].id}", channel="webhook", address="x", webhook_id=hooks[0].id
    )
    db.session.add(delivery)
    db.session.flush()
    moment = datetime.now(UTC)
    for number in range(5):
        db.session.add(
            WebhookAttempt(webhook_id=hooks[0].id, delivery_id=delivery.id, at=moment, status_code=500 + number)
        )
    db.session.flush()
    attempts = walk(client, f"/api/v1/webhooks/{hooks[0].id}/attempts", coordinator_headers)
    assert [item["id"] for item in attempts] == sorted((item["id"] for item in attempts), reverse=True)


def test_surveys_and_versions(client, admin):
    """Surveys by code; one survey's versions, oldest first."""
    _user, headers = admin
    created = []
    for code in ("kiem_tra_c", "kiem_tra_a", "kiem_tra_b"):
        response = client.post("/api/v1/surveys", json={"code": code, "definition": DEFINITION}, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        created.append(response.get_json())
    codes = [item["code"] for item in walk(client, "/api/v1/surveys", headers)]
    assert codes == sorted(codes) and {"kiem_tra_a", "kiem_tra_b", "kiem_tra_c"} <= set(codes)
    survey_id = created[0]["id"]
    for number in range(2, 6):
        definition = {**DEFINITION, "title": {"vi": f"Phiên bản {number}", "en": f"Version {number}"}}
        url = f"/api/v1/surveys/{survey_id}/versions"
        assert client.post(url, json={"definition": definition}, headers=headers).status_code == 201
    versions = walk(client, f"/api/v1/surveys/{survey_id}/versions", headers, key="number")
    assert [item["number"] for item in versions] == [1, 2, 3, 4, 5]


def test_attachments_of_a_record_and_a_ticket(client, db, make_user):
    """Attachments oldest first; files stored in the same instant are told apart by their id."""
    member, member_headers = make_user("field_member")
    record = visit()
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=member_headers).get_json()["created"] == 1
    lead, lead_headers = make_user("team_lead", team=member.team)
    body = {"title": "Máy in hỏng", "category": "equipment", "admin_unit_code": "04603", "lat": LAT, "lon": LON}
    ticket = client.post("/api/v1/tickets", json=body, headers=lead_headers)
    assert ticket.status_code == 201, ticket.get_data(as_text=True)
    moment = datetime.now(UTC).replace(microsecond=0)
    for number in range(5):
        common = {"filename": f"anh-{number}.jpg", "content_type": "image/jpeg", "size": 10, "sha256": f"{number:064x}"}
        at = moment + timedelta(seconds=number // 2)  # two files share each instant
        db.session.add(Attachment(record_kind="visit", record_id=uuid.UUID(record["id"]), created_at=at, **common))
        db.session.add(Attachment(record_kind="ticket", ticket_id=ticket.get_json()["id"], created_at=at, **common))
    db.session.flush()
    for url in (f"/api/v1/visits/{record['id']}/attachments", f"/api/v1/tickets/{ticket.get_json()['id']}/attachments"):
        items = walk(client, url, member_headers)
        order = [(item["created_at"], item["id"]) for item in items]
        assert len(items) == 5 and order == sorted(order)


def test_ticket_rules_days_off_and_operators(client, admin):
    """Ticket rules by category, days off by day, operators by code."""
    _user, headers = admin
    days = [(date(2031, 1, 1) + timedelta(days=3 * number)).isoformat() for number in (4, 1, 3, 0, 2)]
    for day in days:
        assert client.post("/api/v1/days-off", json={"day": day, "reason": "bão"}, headers=headers).status_code == 201
    assert [item["day"] for item in walk(client, "/api/v1/days-off", headers, key="day")] == sorted(days)
    categories = [item["category"] for item in walk(client, "/api/v1/ticket-rules", headers, key="category")]
    assert categories == sorted(categories)
    codes = [item["code"] for item in walk(client, "/api/v1/operators", headers, key="code")]
    assert codes == sorted(codes) and "452-04" in codes


def test_visit_plans_and_a_plans_visits(client, make_team, make_user):
    """Visit plans by id; one plan's windows newest first, then by place (several places share a window), with
    `total` and `overdue` counting every page."""
    team = make_team(["15"])
    _coordinator, headers = make_user("coordinator", jurisdiction_code="15")
    starts = (local_today(datetime.now(UTC)) - timedelta(weeks=5)).isoformat()
    plans = []
    for number in range(3):
        body = {"team_id": team.id, "title": f"Kế hoạch {number}", "every": 1, "unit": "week", "starts_on": starts}
        response = client.post("/api/v1/visit-plans", json={**body, "communes": ["04603", "04606"]}, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        plans.append(response.get_json()["id"])
    assert [item["id"] for item in walk(client, "/api/v1/visit-plans", headers)] == plans
    url = f"/api/v1/visit-plans/{plans[0]}/visits"
    whole = client.get(url, query_string={"limit": 1000}, headers=headers).get_json()
    windows = walk(client, url, headers, limit=3)
    order = [(item["window_start"], item["target_key"]) for item in windows]
    assert order == sorted(order, key=lambda pair: (-date.fromisoformat(pair[0]).toordinal(), pair[1]))
    assert len({start for start, _key in order}) < len(order)  # ties on the window, told apart by the place
    first = client.get(url, query_string={"limit": 3}, headers=headers).get_json()
    assert first["total"] == whole["total"] == len(windows) and first["overdue"] == whole["overdue"] >= 4
    assert "page" not in first


def test_bad_cursor_in_english(client, admin):
    """The same refusal in English for a reader who asks for it."""
    _user, headers = admin
    response = client.get("/api/v1/operators", query_string={"after": BAD_CURSOR}, headers=headers)
    assert assert_problem(response, 422)["errors"]["after"] == [
        "Not a valid cursor: use the next_cursor of the previous page."
    ]
