"""Notifications end to end inside one rolled-back transaction, on both backends: ticket events fan out to the
people, team mailboxes and webhooks that asked for them, e-mails go through a local SMTP server (aiosmtpd) in the
recipient's language, webhooks to a local receiver, signed; retries, quiet hours, digests and pausing run on an
injected clock."""

import socket
import types
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from server.auth import scope_for
from server.models import Delivery, NotificationEvent, NotificationSettingEvent, Webhook, WebhookAttempt
from server.services import tickets
from server.services.calendar import VIETNAM, WorkingCalendar
from server.services.notifications import record_event
from server.services.notifications.delivery import claim, send_digests, send_due, send_one
from server.services.notifications.dispatch import Schedule, dispatch_events
from server.services.notifications.jobs import due_reminders, process_outbox, session_factory
from server.services.notifications.settings import setting_for, update_setting
from server.services.notifications.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    create_webhook,
    verify,
)
from tests.notify_servers import Receiver, SmtpServer

# A working morning in Viet Nam, outside the quiet hours.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=VIETNAM).astimezone(UTC)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def receiver():
    with Receiver() as found:
        yield found


@pytest.fixture
def notify_config(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp.url)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "BASE_URL", "https://fieldops.example.vn")
    monkeypatch.setitem(app.config, "MAIL_FROM", "fieldops@example.vn")
    return app.config


def subscribe(db, actor, *, user=None, team=None, email, locale=None, mode="each", events=None):
    setting = setting_for(db.session, user=user, team=team)
    changes = {"email": email, "team_email_mode": mode}
    if locale:
        if user is not None:
            user.locale = locale
        else:
            changes["locale"] = locale
    if events is not None:
        changes["events"] = events
    return update_setting(db.session, actor, setting, changes)


@pytest.fixture
def world(db, make_team, make_user, notify_config):
    """A reporting team R (lead, member), an owner team A (lead in English, member in Vietnamese, a mailbox),
    Lào Cai's province department P, a coordinator of Lào Cai; a webhook for Lào Cai and one for Hà Nội."""
    r = make_team(["15"], name="R reporting")
    a = make_team(["15"], name="A owner")
    p = make_team(["15"], kind="province_department", name="P province")
    r_lead, _ = make_user("team_lead", team=r)
    r_member, _ = make_user("field_member", team=r)
    a_lead, _ = make_user("team_lead", team=a)
    a_member, _ = make_user("field_member", team=a)
    p_member, _ = make_user("field_member", team=p)
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    admin, _ = make_user("admin")
    subscribe(db, r_member, user=r_member, email="r.member@example.vn", locale="vi")
    subscribe(db, a_lead, user=a_lead, email="a.lead@example.vn", locale="en")
    subscribe(db, a_member, user=a_member, email="a.member@example.vn", locale="vi")
    subscribe(db, p_member, user=p_member, email="p.member@example.vn", locale="vi")
    subscribe(db, a_lead, team=a, email="team.a@example.vn", locale="vi")
    db.session.flush()
    return types.SimpleNamespace(**locals())


def open_ticket(db, world):
    return tickets.create_ticket(
        db.session,
        world.r_lead,
        scope_for(world.r_lead),
        title="Máy in hỏng ở xã",
        category="equipment",
        admin_unit_code="04603",
        calendar=WorkingCalendar.load(db.session),
    )


def hooks(db, world, receiver, events):
    home = create_webhook(
        db.session, world.coordinator, url=receiver.url, events=events, area_code="15", allow_private=True
    )
    away = create_webhook(
        db.session, world.admin, url=receiver.url + "?away", events=events, area_code="01", allow_private=True
    )
    db.session.flush()
    return home, away


def run(db, now):
    return process_outbox(db.session, now)


def by_recipient(messages):
    return {message["To"]: message for message in messages}


def test_each_event_reaches_each_subscriber_once_in_their_language(db, world, smtp, receiver):
    """Assign, resolve, verify, reopen, escalate, a review with issues and a missed visit plan: one e-mail per
    subscriber and event in their language with a link to the ticket, one signed delivery per event to the
    province's webhook and none to another province's; running the job again sends nothing more."""
    from server.models.notifications import SUBSCRIBABLE_KINDS

    home, away = hooks(db, world, receiver, list(SUBSCRIBABLE_KINDS))
    ticket = open_ticket(db, world)
    s = db.session
    tickets.transition(s, world.coordinator, ticket, "assign", team_id=world.a.id, assignee_id=world.a_member.id)
    tickets.transition(s, world.a_member, ticket, "start")
    tickets.transition(s, world.a_member, ticket, "resolve", comment="Đã thay máy in")
    tickets.transition(s, world.r_member, ticket, "verify")
    tickets.transition(s, world.r_lead, ticket, "reopen", comment="Lại hỏng")
    tickets.transition(s, world.coordinator, ticket, "escalate", comment="Cần tỉnh hỗ trợ")
    record_event(
        s,
        "review_has_issues",
        team_id=world.a.id,
        admin_unit_code="04603",
        province_code="15",
        data={"title": "Phiếu khảo sát 12", "path": "/surveys/"},
    )
    record_event(
        s,
        "visit_plan_missed",
        team_id=world.a.id,
        admin_unit_code="04603",
        province_code="15",
        data={"title": "Thôn 1", "due_at": MORNING.isoformat()},
    )
    s.flush()

    run(db, MORNING)

    kinds = [e.kind for e in s.scalars(select(NotificationEvent).order_by(NotificationEvent.id))]
    assert kinds == [
        "ticket_assigned",
        "ticket_resolved",
        "ticket_verified",
        "ticket_reopened",
        "ticket_escalated",
        "review_has_issues",
        "visit_plan_missed",
    ]
    expected = {
        "ticket_assigned": {"team.a@example.vn", "a.lead@example.vn", "a.member@example.vn"},
        "ticket_resolved": {"r.member@example.vn"},
        "ticket_verified": {"team.a@example.vn", "a.lead@example.vn", "a.member@example.vn"},
        "ticket_reopened": {"team.a@example.vn", "a.lead@example.vn", "a.member@example.vn"},
        "ticket_escalated": {"p.member@example.vn"},
        "review_has_issues": {"team.a@example.vn", "a.lead@example.vn", "a.member@example.vn"},
        "visit_plan_missed": {"team.a@example.vn", "a.lead@example.vn", "a.member@example.vn"},
    }
    messages = smtp.box.messages
    assert len(messages) == sum(len(v) for v in expected.values())
    assert len({m["Message-ID"] for m in messages}) == len(messages)
    rows = list(s.scalars(select(Delivery).where(Delivery.channel == "email")))
    assert {(r.event.kind, r.address) for r in rows} == {(k, a) for k, v in expected.items() for a in v}
    assert all(r.status == "sent" for r in rows)
    assigned_en = next(m for m in messages if m["To"] == "a.lead@example.vn" and "assigned" in m["Subject"])
    assert assigned_en["Subject"] == "[fieldops] Ticket assigned: Máy in hỏng ở xã"
    text = assigned_en.get_body(("plain",)).get_content()
    html = assigned_en.get_body(("html",)).get_content()
    assert f"https://fieldops.example.vn/tickets/{ticket.id}" in text
    assert f'href="https://fieldops.example.vn/tickets/{ticket.id}"' in html
    assigned_vi = [m for m in messages if m["To"] == "a.member@example.vn" and "assigned" not in m["Subject"]]
    assert any(m["Subject"] == "[fieldops] Phiếu việc đã được giao: Máy in hỏng ở xã" for m in assigned_vi)
    resolved = next(m for m in messages if m["To"] == "r.member@example.vn")
    assert "xác nhận" in resolved.get_body(("plain",)).get_content()

    deliveries = receiver.acknowledged()
    assert [d["event"] for d in deliveries] == kinds  # Hà Nội's webhook heard nothing
    assert all(r["headers"]["Host"].startswith("127.0.0.1") for r in receiver.requests)
    for request in receiver.requests:
        headers = request["headers"]
        assert verify(
            home.secret, headers[TIMESTAMP_HEADER], request["body"], headers[SIGNATURE_HEADER], now=MORNING.timestamp()
        )
        assert not verify(
            away.secret, headers[TIMESTAMP_HEADER], request["body"], headers[SIGNATURE_HEADER], now=MORNING.timestamp()
        )
    assert deliveries[0]["ticket_id"] == ticket.id and deliveries[0]["url"].endswith(f"/tickets/{ticket.id}")

    run(db, MORNING + timedelta(hours=1))
    assert len(smtp.box.messages) == len(messages) and len(receiver.requests) == len(kinds)


def test_a_receiver_failing_twice_gets_the_delivery_once_with_three_attempts(db, world, smtp):
    """500, 500, then 200: retried after 30 s and 2 min (the clock is moved, not waited for); one delivery with
    three attempts logged, the same delivery id each time."""
    with Receiver(statuses=[500, 500]) as receiver:
        hook, _ = hooks(db, world, receiver, ["ticket_assigned"])
        ticket = open_ticket(db, world)
        tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
        run(db, MORNING)
        factory, config = session_factory(db.session), current_app.config
        assert send_due(factory, config, MORNING + timedelta(seconds=29)) == 0
        assert len(receiver.requests) == 1
        assert send_due(factory, config, MORNING + timedelta(seconds=31)) == 0
        assert send_due(factory, config, MORNING + timedelta(seconds=31 + 119)) == 0
        assert send_due(factory, config, MORNING + timedelta(seconds=31 + 121)) == 1
        assert send_due(factory, config, MORNING + timedelta(days=1)) == 0
    assert [r["status"] for r in receiver.requests] == [500, 500, 200]
    assert len({r["headers"][DELIVERY_HEADER] for r in receiver.requests}) == 1
    db.session.expire_all()
    delivery = db.session.scalar(select(Delivery).where(Delivery.webhook_id == hook.id))
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    attempts = list(db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)))
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert db.session.get(Webhook, hook.id).failure_streak == 0


def test_quiet_hours_hold_emails_until_morning(db, world, smtp, receiver):
    """An event at 22:00 (Viet Nam time): the webhook is called at once, the e-mails wait until 07:00."""
    hooks(db, world, receiver, ["ticket_assigned"])
    evening = datetime(2026, 12, 1, 22, 0, tzinfo=VIETNAM).astimezone(UTC)
    ticket = open_ticket(db, world)
    tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
    run(db, evening)
    assert len(receiver.requests) == 1 and smtp.box.messages == []
    factory, config = session_factory(db.session), current_app.config
    send_due(factory, config, datetime(2026, 12, 2, 6, 59, tzinfo=VIETNAM).astimezone(UTC))
    assert smtp.box.messages == []
    send_due(factory, config, datetime(2026, 12, 2, 7, 0, tzinfo=VIETNAM).astimezone(UTC))
    assert sorted(m["To"] for m in smtp.box.messages) == [
        "a.lead@example.vn",
        "a.member@example.vn",
        "team.a@example.vn",
    ]


def test_a_team_digest_is_one_email_a_day(db, world, smtp):
    """A team in digest mode gets nothing per event, then one e-mail at the digest hour listing every event."""
    subscribe(db, world.a_lead, team=world.a, email="team.a@example.vn", mode="digest")
    first, second = open_ticket(db, world), open_ticket(db, world)
    for ticket in (first, second):
        tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
    run(db, MORNING)
    assert "team.a@example.vn" not in {m["To"] for m in smtp.box.messages}
    factory, config = session_factory(db.session), current_app.config
    assert send_digests(factory, config, MORNING + timedelta(hours=12)) == 0
    next_morning = datetime(2026, 12, 2, 7, 30, tzinfo=VIETNAM).astimezone(UTC)
    assert send_digests(factory, config, next_morning) == 1
    assert send_digests(factory, config, next_morning + timedelta(hours=1)) == 0
    digest = [m for m in smtp.box.messages if m["To"] == "team.a@example.vn"]
    assert len(digest) == 1 and digest[0]["Subject"] == "[fieldops] Bản tin hằng ngày của A owner"
    assert digest[0].get_body(("plain",)).get_content().count("/tickets/") == 2


def test_a_broken_smtp_server_is_retried_and_the_ticket_change_succeeds(db, world, client, monkeypatch, smtp):
    """The SMTP server refuses (451): the transition still answers 200, the e-mail is retried and sent later."""
    from server.auth import issue_token

    ticket = open_ticket(db, world)
    _, token = issue_token(db.session, world.coordinator, "test")
    smtp.box.fail = 3
    answer = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"action": "assign", "version": ticket.version, "team_id": world.a.id},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.get_json()
    run(db, MORNING)
    rows = list(db.session.scalars(select(Delivery).where(Delivery.channel == "email")))
    assert {r.status for r in rows} == {"pending"} and all("451" in r.last_error for r in rows)
    send_due(session_factory(db.session), current_app.config, MORNING + timedelta(minutes=1))
    assert sorted(m["To"] for m in smtp.box.messages) == [
        "a.lead@example.vn",
        "a.member@example.vn",
        "team.a@example.vn",
    ]
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(select(Delivery).where(Delivery.channel == "email"))} == {"sent"}


def test_a_receiver_that_keeps_failing_is_paused_and_its_owner_told(db, world, smtp, monkeypatch):
    """After FIELDOPS_WEBHOOK_PAUSE_AFTER failed attempts in a row the webhook is paused (audited), its owner gets
    an e-mail, and nothing more is posted to it."""
    monkeypatch.setitem(current_app.config, "WEBHOOK_PAUSE_AFTER", 3)
    subscribe(db, world.coordinator, user=world.coordinator, email="coord@example.vn", events=[])
    with Receiver(statuses=[500] * 10) as receiver:
        hook, _ = hooks(db, world, receiver, ["ticket_assigned"])
        ticket = open_ticket(db, world)
        tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
        factory, config = session_factory(db.session), current_app.config
        at = MORNING
        run(db, at)
        for wait in (30, 120, 600):
            at += timedelta(seconds=wait + 1)
            process_outbox(db.session, at)
        assert len(receiver.requests) == 3
        db.session.expire_all()
        assert db.session.get(Webhook, hook.id).paused_at is not None
        assert send_due(factory, config, at + timedelta(days=1)) == 0
        assert len(receiver.requests) == 3
    notice = [m for m in smtp.box.messages if m["To"] == "coord@example.vn"]
    assert len(notice) == 1 and receiver.url in notice[0].get_body(("plain",)).get_content()
    audit = db.session.scalars(
        select(NotificationSettingEvent.action).where(NotificationSettingEvent.webhook_id == hook.id)
    )
    assert list(audit) == ["webhook_created", "webhook_paused"]


def test_due_soon_and_overdue_notices_are_recorded_once(db, world, notify_config):
    """The hourly reminder job records "due soon" within the working-day horizon and "overdue" past the due date,
    once per ticket and due date however often it runs."""
    ticket = open_ticket(db, world)
    ticket.due_at = MORNING + timedelta(hours=5)
    db.session.flush()
    assert due_reminders(db.session, MORNING) == "1 due-soon and 0 overdue notices"
    assert due_reminders(db.session, MORNING + timedelta(minutes=30)) == "0 due-soon and 0 overdue notices"
    assert due_reminders(db.session, MORNING + timedelta(hours=6)) == "0 due-soon and 1 overdue notices"
    assert due_reminders(db.session, MORNING + timedelta(hours=7)) == "0 due-soon and 0 overdue notices"
    kinds = db.session.scalars(
        select(NotificationEvent.kind).where(NotificationEvent.ticket_id == ticket.id).order_by(NotificationEvent.id)
    )
    assert list(kinds) == ["ticket_due_soon", "ticket_overdue"]


def test_setting_changes_are_audited(db, world):
    """Each change of a setting leaves who, before and after; saving the same values again leaves nothing."""
    count = (
        select(func.count())
        .select_from(NotificationSettingEvent)
        .where(NotificationSettingEvent.user_id == world.a_member.id)
    )
    before = db.session.scalar(count)
    setting = setting_for(db.session, user=world.a_member)
    update_setting(db.session, world.a_member, setting, {"events": ["ticket_assigned"]})
    update_setting(db.session, world.a_member, setting, {"events": ["ticket_assigned"]})
    assert db.session.scalar(count) == before + 1
    last = db.session.scalars(
        select(NotificationSettingEvent)
        .where(NotificationSettingEvent.user_id == world.a_member.id)
        .order_by(NotificationSettingEvent.id.desc())
    ).first()
    assert last.actor_id == world.a_member.id and last.changes["after"] == {"events": ["ticket_assigned"]}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/x",
        "javascript:alert(1)",
        "http://localhost:8080/x",
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://user:pw@hooks.example.org/x",
        "http://intranet.example.org/x",  # resolves to a private address (see the fake resolver)
        "http://fieldops.example.vn/api",  # this server
    ],
)
def test_unsafe_webhook_urls_are_refused(db, world, monkeypatch, url):
    """Not http(s), credentials in the URL, this server, localhost, private and link-local ranges, and names that
    resolve to them: 422 on `url`."""
    from server.errors import InvalidInput

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "intranet.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.8.7", 80))]
        if host in ("hooks.example.org", "fieldops.example.vn"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.5", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(InvalidInput) as refused:
        create_webhook(
            db.session,
            world.coordinator,
            url=url,
            events=["ticket_assigned"],
            area_code="15",
            own_hosts=("fieldops.example.vn",),
        )
    assert list(refused.value.errors) == ["url"]


def test_expired_and_revoked_tokens_are_purged_after_a_month(db, make_user):
    """The daily job deletes tokens that expired or were revoked more than 30 days ago, and keeps the others."""
    from server.models import ApiToken
    from server.services.notifications.jobs import purge_expired_tokens

    user, _ = make_user()
    kept = select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
    assert db.session.scalar(kept) == 1
    for label, expires, revoked in (
        ("old", MORNING - timedelta(days=40), None),
        ("recent", MORNING - timedelta(days=10), None),
        ("revoked", None, MORNING - timedelta(days=31)),
    ):
        db.session.add(
            ApiToken(
                user_id=user.id,
                token_hash=label * 8,
                prefix="fo_x",
                label=label,
                expires_at=expires,
                revoked_at=revoked,
            )
        )
    db.session.flush()
    assert purge_expired_tokens(db.session, MORNING) == "2 expired tokens purged"
    assert sorted(db.session.scalars(select(ApiToken.label).where(ApiToken.user_id == user.id))) == ["recent", "test"]


# DNS rebinding: the name is resolved once, every address checked, and the POST goes to a checked address.

PUBLIC = "93.184.215.14"  # a global address; the tests never let a connection to it leave the machine


class Resolver:
    """Stands in for ``socket.getaddrinfo``: ``name`` resolves to the next of ``answers`` on each lookup (the last
    one repeats); every other host goes to the real resolver. ``lookups`` counts the lookups of ``name``."""

    def __init__(self, name: str, *answers: str):
        self.name, self.answers, self.lookups = name, list(answers), 0
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        address = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def dialled(monkeypatch):
    """Every address a socket connects to; a connection to PUBLIC is refused here instead of leaving the machine."""
    found = []
    real = socket.socket.connect

    def connect(sock, address):
        found.append(address[:2])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused (test)")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return found


def webhook_attempts(db, hook):
    db.session.expire_all()
    query = select(WebhookAttempt).where(WebhookAttempt.webhook_id == hook.id).order_by(WebhookAttempt.id)
    return list(db.session.scalars(query))


def test_a_name_rebinding_to_loopback_after_the_check_never_reaches_it(db, world, receiver, monkeypatch, dialled):
    """With private addresses refused (the default), a name answering a public address to the check and 127.0.0.1
    to any later lookup is resolved once: the POST goes to the checked public address, never to the loopback
    receiver, and the failed attempt is logged for a retry."""
    monkeypatch.setitem(current_app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    url = f"http://rebind.example.org:{receiver.port}/hook"
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("rebind.example.org", PUBLIC))
    hook = create_webhook(db.session, world.coordinator, url=url, events=["ticket_assigned"], area_code="15")
    rebinding = Resolver("rebind.example.org", PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    ticket = open_ticket(db, world)
    tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
    run(db, MORNING)
    assert receiver.requests == []
    assert rebinding.lookups == 1
    assert (PUBLIC, receiver.port) in dialled and ("127.0.0.1", receiver.port) not in dialled
    [attempt] = webhook_attempts(db, hook)
    assert attempt.status_code is None and "ConnectionError" in attempt.error
    delivery = db.session.get(Delivery, attempt.delivery_id)
    assert delivery.status == "pending" and delivery.last_error == attempt.error


def test_a_name_resolving_to_loopback_at_delivery_is_refused_and_logged(db, world, receiver, monkeypatch, dialled):
    """A registered name that resolves to a loopback address when the delivery is sent is refused before any
    connection; the attempt and the delivery keep the reason."""
    monkeypatch.setitem(current_app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    url = f"http://moved.example.org:{receiver.port}/hook"
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("moved.example.org", PUBLIC))
    hook = create_webhook(db.session, world.coordinator, url=url, events=["ticket_assigned"], area_code="15")
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("moved.example.org", "127.0.0.1"))
    ticket = open_ticket(db, world)
    tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
    run(db, MORNING)
    assert receiver.requests == [] and all(port != receiver.port for _, port in dialled)
    [attempt] = webhook_attempts(db, hook)
    assert attempt.error.startswith("UnsafeUrl: ") and "127.0.0.1" in attempt.error
    assert db.session.get(Delivery, attempt.delivery_id).last_error == attempt.error


def test_a_redirect_is_not_followed(db, world, monkeypatch):
    """A receiver answering 302 towards another address is not followed; the attempt is logged as HTTP 302."""
    with Receiver() as target, Receiver(statuses=[302]) as first:
        first_hook, _ = hooks(db, world, first, ["ticket_assigned"])
        first.location = target.url
        ticket = open_ticket(db, world)
        tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
        run(db, MORNING)
        assert len(first.requests) == 1 and target.requests == []
    assert webhook_attempts(db, first_hook)[0].error == "HTTP 302"


def test_https_to_a_pinned_address_keeps_the_name_for_host_sni_and_certificate(tmp_path, monkeypatch):
    """The POST connects to the given address without resolving the name again, sends the name as Host and TLS
    SNI, and verifies the certificate against the name: a certificate for another name is refused."""
    from requests.exceptions import SSLError

    from server.services.notifications.webhooks import send_pinned
    from tests.notify_servers import HostCertificates

    def no_lookup(host, *args, **kwargs):
        if host.endswith(".example.test"):
            raise AssertionError(f"{host} was resolved again")
        return real(host, *args, **kwargs)

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    certificates = HostCertificates(tmp_path, "hooks.example.test")
    with Receiver(tls=certificates) as tls_receiver:
        url = f"https://hooks.example.test:{tls_receiver.port}/hook"
        answer = send_pinned(url, ["127.0.0.1"], b"{}", {}, 5, verify=certificates.ca_path)
        assert answer.status_code == 200
        assert tls_receiver.requests[0]["headers"]["Host"] == f"hooks.example.test:{tls_receiver.port}"
        assert tls_receiver.server_names == ["hooks.example.test"]
        with pytest.raises(SSLError):
            send_pinned(
                f"https://other.example.test:{tls_receiver.port}/hook",
                ["127.0.0.1"],
                b"{}",
                {},
                5,
                verify=certificates.ca_path,
            )
        assert len(tls_receiver.requests) == 1


def test_a_worker_whose_lease_ran_out_does_not_send_what_another_worker_took(db, world, smtp):
    """Worker A claims a delivery and stalls past its lease; worker B claims it and sends it. When A resumes, its
    claim no longer holds and it sends nothing, even before B has sent: one e-mail, one attempt each."""
    ticket = open_ticket(db, world)
    tickets.transition(db.session, world.coordinator, ticket, "assign", team_id=world.a.id)
    assert dispatch_events(db.session, current_app.config, MORNING)
    db.session.commit()
    factory, config = session_factory(db.session), current_app.config
    lease = timedelta(seconds=config.get("JOBS_LEASE_SECONDS", 300))
    schedule = Schedule.from_config(config)
    with factory() as session:
        held_by_a = claim(session, MORNING, lease, schedule)
        session.commit()
    assert held_by_a
    later = MORNING + lease + timedelta(seconds=1)
    with factory() as session:
        assert claim(session, later, lease, schedule) == held_by_a  # A's lease ran out: B takes the same rows
        session.commit()
    for delivery_id in held_by_a:  # A resumes while B holds the rows and has not sent yet
        assert send_one(factory, config, delivery_id, later, held=(MORNING + lease, lease)) == 0
    for delivery_id in held_by_a:
        assert send_one(factory, config, delivery_id, later, held=(later + lease, lease)) == 1  # B sends
    assert len(smtp.box.messages) == len(held_by_a)
    db.session.expire_all()
    attempts = db.session.scalars(select(Delivery.attempts).where(Delivery.id.in_(held_by_a)))
    assert set(attempts) == {1}
