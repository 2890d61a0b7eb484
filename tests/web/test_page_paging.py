"""Pages listing what the API pages show a page at a time too: a "next page" link (in Vietnamese) carrying the
API's cursor, every row exactly once across the pages, "first page" to go back; a cursor the server did not make
is a 422 page in Vietnamese."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from server.models import Delivery, NotificationEvent, WebhookAttempt
from server.services.notifications.webhooks import create_webhook
from server.services.visit_plans import local_today
from surveys.api.examples import DEFINITION

NEXT = re.compile(r'<a href="([^"]+)" rel="next">Trang sau</a>')


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    from server.web import notifications, paging, visit_plans

    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    monkeypatch.setattr(notifications, "ATTEMPTS_SHOWN", 2)
    monkeypatch.setattr(visit_plans, "WINDOWS_SHOWN", 3)


def walk(client, headers: dict, start: str, marker: str) -> list[str]:
    """Follow "next page" from ``start``; the ``marker`` matches of every page, in order."""
    headers = {**headers, "Accept-Language": "vi"}
    seen, pages, path = [], 0, start
    while path and pages < 20:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        html = response.get_data(as_text=True)
        seen += re.findall(marker, html)
        assert (pages > 0) == ('rel="first">Trang đầu</a>' in html)
        following = NEXT.search(html)
        path = following.group(1).replace("&amp;", "&") if following else None
        pages += 1
    assert pages > 1 and len(set(seen)) == len(seen), seen
    joiner = "&" if "?" in start else "?"
    refused = client.get(f"{start}{joiner}after=W3RydWVd", headers={**headers, "Accept": "text/html"})
    assert refused.status_code == 422 and "Con trỏ không hợp lệ" in refused.get_data(as_text=True)
    return seen


def test_devices_page(client, make_user):
    """A person's tokens, newest first."""
    _admin, headers = make_user("admin")
    member, _ = make_user("field_member")
    for number in range(4):
        body = {"user_id": member.id, "label": f"Máy {number}"}
        assert client.post("/api/v1/tokens", json=body, headers=headers).status_code == 201
    prefixes = walk(client, headers, f"/people/{member.id}/devices", r"<code>([^<]+)…</code>")
    assert len(prefixes) == 5


def test_webhook_pages(client, db, make_user):
    """The webhooks of the area, and one webhook's attempts newest first."""
    coordinator, headers = make_user("coordinator", jurisdiction_code="15")
    hooks = [
        create_webhook(
            db.session,
            coordinator,
            url=f"http://127.0.0.1:9/{n}",
            events=["ticket_escalated"],
            area_code="15",
            allow_private=True,
        )
        for n in range(5)
    ]
    db.session.flush()
    assert walk(client, headers, "/settings/webhooks", r'href="/settings/webhooks/(\d+)"') == [
        str(hook.id) for hook in hooks
    ]
    event = NotificationEvent(kind="ticket_escalated", admin_unit_code="04603", province_code="15")
    db.session.add(event)
    db.session.flush()
    delivery = Delivery(event_id=event.id, recipient="webhook", channel="webhook", address="x", webhook_id=hooks[0].id)
    db.session.add(delivery)
    db.session.flush()
    for code in (500, 501, 502, 503, 504):
        db.session.add(WebhookAttempt(webhook_id=hooks[0].id, delivery_id=delivery.id, status_code=code))
    db.session.flush()
    codes = walk(client, headers, f"/settings/webhooks/{hooks[0].id}", r"HTTP (\d{3})")
    assert codes == ["504", "503", "502", "501", "500"]


def test_visit_plan_pages(client, make_team, make_user):
    """The plans, newest first, and one plan's windows, newest first then by place."""
    team = make_team(["15"])
    _coordinator, headers = make_user("coordinator", jurisdiction_code="15")
    starts = (local_today(datetime.now(UTC)) - timedelta(weeks=3)).isoformat()
    plans = []
    for number in range(3):
        body = {"team_id": team.id, "title": f"Kế hoạch {number}", "every": 1, "unit": "week", "starts_on": starts}
        reply = client.post("/api/v1/visit-plans", json={**body, "communes": ["04603", "04606"]}, headers=headers)
        assert reply.status_code == 201, reply.get_data(as_text=True)
        plans.append(str(reply.get_json()["id"]))
    assert walk(client, headers, "/visit-plans", r'data-plan-id="(\d+)"') == plans[::-1]
    windows = walk(client, headers, f"/visit-plans/{plans[0]}", r'data-planned-visit-id="(\d+)"')
    api = client.get(f"/api/v1/visit-plans/{plans[0]}/visits?limit=1000", headers=headers).get_json()
    assert windows == [str(row["id"]) for row in api["items"]]


def test_surveys_page(client, make_user):
    """The surveys, by code."""
    _admin, headers = make_user("admin")
    for code in ("khao_sat_c", "khao_sat_a", "khao_sat_b"):
        body = {"code": code, "definition": DEFINITION}
        assert client.post("/api/v1/surveys", json=body, headers=headers).status_code == 201
    codes = walk(client, headers, "/surveys/", r"<code>([a-z0-9_]+)</code>")
    assert codes == sorted(codes) and {"khao_sat_a", "khao_sat_b", "khao_sat_c"} <= set(codes)
