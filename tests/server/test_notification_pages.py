"""The notification settings pages and API on both backends: Vietnamese first, CSRF like every form, problems next
to their fields, 422 for unsafe webhook URLs, the attempts of a webhook listed on its page, every change audited."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.auth import issue_token
from server.models import (
    Delivery,
    NotificationEvent,
    NotificationSetting,
    NotificationSettingEvent,
    Webhook,
    WebhookAttempt,
)
from tests.helpers import assert_problem, csrf_token, sign_in_with_token


@pytest.fixture
def signed_in(client, db, make_user):
    def sign_in(role="field_member", **kwargs):
        user, headers = make_user(role, **kwargs)
        token = headers["Authorization"].split()[1]
        assert sign_in_with_token(client, token).status_code == 302
        return user, headers

    return sign_in


def test_my_settings_page_saves_with_csrf_and_is_audited(client, db, signed_in):
    """The page is in Vietnamese; a post without the CSRF token is refused (400, nothing saved); with it the
    address and events are saved, audited, and shown again."""
    user, _ = signed_in()
    page = client.get("/settings/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Phiếu việc đã được giao" in text and 'name="csrf_token"' in text
    assert_problem(client.post("/settings/notifications", data={"email": "a@example.vn"}), 400)
    assert db.session.scalar(select(NotificationSetting).where(NotificationSetting.user_id == user.id)) is None
    data = {
        "email": "a@example.vn",
        "events": ["ticket_assigned", "ticket_overdue"],
        "csrf_token": csrf_token(client, "/settings/notifications"),
    }
    assert client.post("/settings/notifications", data=data).status_code == 302
    setting = db.session.scalar(select(NotificationSetting).where(NotificationSetting.user_id == user.id))
    assert (setting.email, setting.events) == ("a@example.vn", ["ticket_assigned", "ticket_overdue"])
    audit = db.session.scalar(select(NotificationSettingEvent).where(NotificationSettingEvent.user_id == user.id))
    assert audit.actor_id == user.id and audit.changes["after"]["email"] == "a@example.vn"
    assert 'value="a@example.vn"' in client.get("/settings/notifications").get_data(as_text=True)


def test_a_bad_address_is_shown_next_to_its_field(client, db, signed_in):
    user, _ = signed_in()
    data = {
        "email": "not an address",
        "events": ["ticket_assigned"],
        "csrf_token": csrf_token(client, "/settings/notifications"),
    }
    answer = client.post("/settings/notifications", data=data)
    assert answer.status_code == 200
    assert "ten@example.org" in answer.get_data(as_text=True)
    assert db.session.scalar(select(NotificationSetting).where(NotificationSetting.user_id == user.id)) is None


def test_unsafe_webhook_urls_get_422_unless_private_targets_are_allowed(app, client, db, make_user, monkeypatch):
    """Through the API: http://127.0.0.1 and ftp:// are 422 problem documents naming `url`; with
    FIELDOPS_WEBHOOK_ALLOW_PRIVATE the loopback receiver is accepted (ftp never is)."""
    coordinator, headers = make_user("coordinator", jurisdiction_code="15")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    for url in ("http://127.0.0.1:9/hook", "ftp://93.184.216.34/x", "http://localhost/x", "http://[fd00::1]/x"):
        answer = client.post("/api/v1/webhooks", json={"url": url, "events": ["ticket_assigned"]}, headers=headers)
        assert "url" in assert_problem(answer, 422)["errors"], url
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    answer = client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["ticket_assigned"]}, headers=headers
    )
    assert answer.status_code == 201 and answer.get_json()["area_code"] == "15"
    refused = client.post(
        "/api/v1/webhooks", json={"url": "ftp://127.0.0.1/x", "events": ["ticket_assigned"]}, headers=headers
    )
    assert_problem(refused, 422)


def test_the_webhook_page_lists_every_attempt(client, db, signed_in):
    """Attempts with their status code or error appear on the webhook's page; a paused webhook can be resumed
    from there (audited)."""
    coordinator, _ = signed_in("coordinator", jurisdiction_code="15")
    hook = Webhook(
        owner_id=coordinator.id,
        area_code="15",
        url="https://93.184.216.34/h",
        secret="k" * 64,
        events=["ticket_assigned"],
        paused_at=datetime.now(UTC),
        failure_streak=10,
    )
    db.session.add(hook)
    event = NotificationEvent(kind="ticket_assigned", data={"title": "x"}, province_code="15")
    db.session.add(event)
    db.session.flush()
    delivery = Delivery(
        event_id=event.id, recipient=f"webhook:{hook.id}", channel="webhook", address=hook.url, webhook_id=hook.id
    )
    db.session.add(delivery)
    db.session.flush()
    for code, error in ((500, "HTTP 500"), (None, "ConnectTimeout: timed out"), (200, "")):
        db.session.add(WebhookAttempt(webhook_id=hook.id, delivery_id=delivery.id, status_code=code, error=error))
    db.session.flush()
    page = client.get(f"/settings/webhooks/{hook.id}").get_data(as_text=True)
    assert "HTTP 500" in page and "ConnectTimeout" in page and "HTTP 200" in page and "k" * 64 in page
    token = csrf_token(client, f"/settings/webhooks/{hook.id}")
    assert client.post(f"/settings/webhooks/{hook.id}/resume", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Webhook, hook.id).paused_at is None
    actions = db.session.scalars(
        select(NotificationSettingEvent.action).where(NotificationSettingEvent.webhook_id == hook.id)
    )
    assert list(actions) == ["webhook_resumed"]


def test_a_team_lead_sets_the_team_digest_and_another_team_cannot(client, db, make_team, make_user):
    """The lead switches the team to a daily digest through the API; a member of another team gets 403."""
    team = make_team(["15"])
    lead, headers = make_user("team_lead", team=team)
    _, other_headers = make_user("field_member", team=make_team(["15"]))
    url = f"/api/v1/teams/{team.id}/notification-settings"
    answer = client.put(url, json={"email": "team@example.vn", "team_email_mode": "digest"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["team_email_mode"] == "digest"
    assert_problem(client.put(url, json={"team_email_mode": "off"}, headers=other_headers), 403)
    assert_problem(client.put(url, json={"team_email_mode": "sometimes"}, headers=headers), 422)
    assert client.get(url, headers=headers).get_json()["team_email_mode"] == "digest"
    token = issue_token(db.session, lead, "x")[1]
    assert token
