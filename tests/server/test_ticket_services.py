"""The two rules the design names, tested on the services directly (no HTTP)."""

import uuid
from datetime import UTC, datetime

import pytest

from server.auth import scope_for
from server.models import Ticket
from server.services.calendar import WorkingCalendar
from server.services.ticket_rules import RuleSettings, equipment_signal
from server.services.tickets import NotPermitted, escalate_overdue, open_or_join_many, transition
from server.services.tickets.permissions import PERMISSIONS
from server.services.tickets.routing import Router, dead_spot_title

SETTINGS = RuleSettings(dead_spot_cluster_count=5, dead_spot_cluster_days=14, reopen_within_days=30)


def broken_printer(site, team, label="Canon LBP2900 #2") -> dict:
    """The row a stored equipment check hands to the rules."""
    return {
        "id": uuid.uuid4(),
        "condition": "broken",
        "asset_kind": "printer",
        "asset_label": label,
        "site_id": site.id,
        "admin_unit_code": site.admin_unit_code,
        "province_code": site.province_code,
        "team_id": team.id,
        "lon": 104.92,
        "lat": 21.72,
        "h3_cell": "88415d6527fffff",
        "notes": "",
    }


def open_tickets(db, session_rows, team):
    router = Router(db.session, {"04603", "15"}, {row["site_id"] for row in session_rows})
    signals = [equipment_signal(row, SETTINGS, router) for row in session_rows]
    return open_or_join_many(db.session, signals, WorkingCalendar.load(db.session), datetime.now(UTC), router)


def test_one_ticket_per_broken_asset_across_visits(db, make_team, make_site):
    """The same printer reported broken on three visits (one batch holding two reports of it, as a resent
    batch would) is one ticket, created once and joined twice; a second printer gets its own ticket."""
    site, team = make_site(commune="04603", name="Trạm y tế"), make_team(["15"])
    first = open_tickets(db, [broken_printer(site, team)], team)
    again = open_tickets(db, [broken_printer(site, team, " canon  LBP2900 #2"), broken_printer(site, team)], team)
    other = open_tickets(db, [broken_printer(site, team, "HP 1020")], team)
    assert first == again and other != first
    ticket = db.session.get(Ticket, next(iter(first.values())))
    assert ticket.signal_count == 3 and [e.action for e in ticket.events] == ["created", "joined", "joined"]
    assert ticket.title == "Máy in hỏng: Canon LBP2900 #2 tại Trạm y tế" and ticket.reported_by_team_id == team.id


def test_a_resolvers_team_cannot_verify(db, make_team, make_user, make_site):
    """The resolver and their teammates are refused (403 naming the verify rule); the reporting team verifies."""
    site = make_site(commune="04603")
    owner, reporters = make_team(["04603"], kind="commune_staff"), make_team(["15"])
    resolver, _ = make_user("field_member", team=owner)
    teammate, _ = make_user("team_lead", team=owner)
    reporter, _ = make_user("field_member", team=reporters)
    [ticket_id] = open_tickets(db, [broken_printer(site, reporters)], reporters).values()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.team_id == owner.id
    transition(db.session, resolver, ticket, "start", scope=scope_for(resolver))
    transition(db.session, resolver, ticket, "resolve", comment="Thay trục cuốn giấy", scope=scope_for(resolver))
    for person in (resolver, teammate):
        with pytest.raises(NotPermitted) as refused:
            transition(db.session, person, ticket, "verify", scope=scope_for(person))
        assert refused.value.extra["rule"] == "ticket.verify"
    transition(db.session, reporter, ticket, "verify", scope=scope_for(reporter))
    assert ticket.status == "verified" and ticket.verified_by_id == reporter.id


def test_stored_texts_are_vietnamese_whatever_the_request_language(app, db, make_team, make_site):
    """A ticket opened while an English API request runs still gets its title in Vietnamese, and the overdue
    escalation writes its comment in Vietnamese; outside the app the stored language cannot be chosen."""
    site, team = make_site(commune="04603", name="Trạm y tế"), make_team(["15"])
    with app.test_request_context("/api/v1/sync", headers={"Accept-Language": "en"}):
        [ticket_id] = open_tickets(db, [broken_printer(site, team)], team).values()
        assert str(NotPermitted("verify").detail).startswith("You may not do this")
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.title == "Máy in hỏng: Canon LBP2900 #2 tại Trạm y tế"
    ticket.due_at = datetime(2026, 11, 20, 3, tzinfo=UTC)
    assert escalate_overdue(db.session, now=datetime(2026, 11, 23, 4, tzinfo=UTC)) == [ticket]
    assert ticket.events[-1].comment == "Quá hạn từ 20/11/2026 (3 ngày): đã chuyển lên tỉnh."
    assert dead_spot_title(1, "Xã Châu Quế") == "Không có sóng di động: 1 lần đo tại Xã Châu Quế"


def test_a_refusal_speaks_the_readers_language_and_keeps_the_rule_in_english(app, db):
    """``detail`` is translated; ``rule`` and ``rule_says`` stay the stable texts programs read."""
    with app.test_request_context("/api/v1/tickets/1", headers={"Accept-Language": "vi"}):
        refused = NotPermitted("close")
        assert "Bạn không được làm việc này" in refused.detail
    assert refused.extra == {"rule": "ticket.close", "rule_says": PERMISSIONS["close"].says}


def test_stored_texts_need_the_app():
    """Outside the app's context titles would silently stay English: refused instead."""
    with pytest.raises(RuntimeError):
        dead_spot_title(1, "Xã Châu Quế")
