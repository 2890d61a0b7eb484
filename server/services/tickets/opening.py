"""Opening and joining tickets from field signals by rules (one ticket per broken asset or dead-spot cell,
however many visits and retries report it), and opening one by hand."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from server.auth import Scope
from server.database import insert_new_rows, one_of
from server.errors import Forbidden, InvalidInput
from server.i18n import DEFAULT_LOCALE, in_language
from server.indicators import rollups
from server.models import AdminUnit, Ticket, TicketEvent, User
from server.models.tickets import ACTIVE_SQL, ACTIVE_STATUSES, DONE_STATUSES
from server.services import access
from server.services.calendar import WorkingCalendar
from server.services.notifications.events import record_opened_tickets, record_ticket_event
from server.services.tickets.common import add_event, all_rules, escalate_to_province, higher_priority, rule_for
from server.services.tickets.permissions import COORDINATORS
from server.services.tickets.routing import Router
from server.spatial import point


@dataclass
class Signal:
    """Something seen in the field that needs follow-up; ``key`` says which ticket it belongs to."""

    key: str
    category: str
    title: str | Callable[[], str]  # a callable where writing it costs queries: only a new ticket needs one
    description: str
    admin_unit_code: str
    province_code: str
    lon: float
    lat: float
    source: tuple[str, str]
    reported_by_team_id: int | None = None
    site_id: int | None = None
    h3_cell: str | None = None
    priority: str | None = None
    owning_level: str | None = None
    escalate_now: bool = False
    reopen_within: timedelta | None = None
    extra_signals: int = 0
    notes: list[str] = field(default_factory=list)


def open_or_join_many(
    session: Session,
    signals: list[Signal],
    calendar: WorkingCalendar,
    now: datetime | None = None,
    router: Router | None = None,
) -> dict[str, int]:
    """Join the active ticket of each signal's key, reopen a recently resolved one, or open a new one, for a
    whole batch of signals with set-based statements whatever their count: one
    lookup of active tickets, one of reopenable ones, one insert of new tickets, one of events, one update
    of the tickets that were joined. Returns the ticket id per signal key."""
    now = now or datetime.now(UTC)
    by_key: dict[str, list[Signal]] = {}
    for signal in signals:
        by_key.setdefault(signal.key, []).append(signal)
    active = _active_rows(session, list(by_key))
    reopenable = _reopenable(
        session,
        [key for key, group in by_key.items() if key not in active and group[0].reopen_within is not None],
        by_key,
        now,
    )
    ticket_ids: dict[str, int] = {}
    joins: dict[int, list[Signal]] = {}
    priorities: dict[int, str] = {ticket_id: priority for ticket_id, _, priority in active.values()}
    to_create = []
    for key, group in by_key.items():
        if key in active:
            ticket_ids[key] = active[key][0]
            joins.setdefault(active[key][0], []).extend(group)
        elif key in reopenable:
            ticket = _reopen_by_rule(session, reopenable[key], group[0], calendar, now)
            ticket_ids[key], priorities[ticket.id] = ticket.id, ticket.priority
            joins.setdefault(ticket.id, []).extend(group[1:])
        else:
            to_create.append(group[0])
    if to_create:
        # Concurrent syncs take row locks in the same order (keys, then ticket ids): no deadlocks under load.
        to_create.sort(key=lambda signal: signal.key)
        router = router or Router(
            session, {s.admin_unit_code for s in to_create} | {s.province_code for s in to_create}
        )
        created = _create_many(session, to_create, calendar, now, router)
        lost = [signal.key for signal in to_create if signal.key not in created]
        now_active = _active_rows(session, lost) if lost else {}  # opened meanwhile by a concurrent request
        for signal in to_create:
            key = signal.key
            if key in created:
                ticket_ids[key], priorities[created[key][0]] = created[key]
                joins.setdefault(created[key][0], []).extend(by_key[key][1:])
            else:
                ticket_ids[key], priorities[now_active[key][0]] = now_active[key][0], now_active[key][2]
                joins.setdefault(now_active[key][0], []).extend(by_key[key])
    _join_many(session, {ticket_id: group for ticket_id, group in joins.items() if group}, priorities, now, router)
    return ticket_ids


def _active_rows(session: Session, keys: list[str]) -> dict[str, tuple[int, str, str]]:
    """(id, status, priority) of the active ticket of each key."""
    if not keys:
        return {}
    rows = session.execute(
        select(Ticket.dedupe_key, Ticket.id, Ticket.status, Ticket.priority).where(
            one_of(session, Ticket.dedupe_key, keys), Ticket.status.in_(ACTIVE_STATUSES)
        )
    )
    return {key: (ticket_id, status, priority) for key, ticket_id, status, priority in rows}


def _reopenable(session: Session, keys: list[str], by_key: dict[str, list[Signal]], now: datetime) -> dict:
    """The latest ticket resolved within its reopen window, per key."""
    if not keys:
        return {}
    window = max(by_key[key][0].reopen_within for key in keys)
    found: dict[str, Ticket] = {}
    for ticket in session.scalars(
        select(Ticket)
        .where(Ticket.dedupe_key.in_(keys), Ticket.status.in_(DONE_STATUSES), Ticket.resolved_at >= now - window)
        .order_by(Ticket.resolved_at)
    ):
        if ticket.resolved_at >= now - by_key[ticket.dedupe_key][0].reopen_within:
            found[ticket.dedupe_key] = ticket
    return found


def _create_many(
    session: Session, signals: list[Signal], calendar: WorkingCalendar, now: datetime, router: Router
) -> dict[str, tuple[int, str]]:
    """Open one ticket per signal in one statement. A key that got an active ticket from a concurrent
    request in the meantime is skipped by the partial unique index (the caller joins it instead).
    Returns (id, priority) per key created."""
    session.flush()
    rules = all_rules(session)
    rows = []
    for signal in signals:
        rule = rules[signal.category]
        escalated = signal.escalate_now
        level = "province" if escalated else (signal.owning_level or rule.owning_level)
        rows.append(
            {
                "title": (signal.title() if callable(signal.title) else signal.title)[:300],
                "description": signal.description,
                "category": signal.category,
                "priority": higher_priority(rule.priority, signal.priority),
                "status": "escalated" if escalated else "open",
                "admin_unit_code": signal.admin_unit_code,
                "province_code": signal.province_code,
                "owning_level": level,  # the owner level's column
                "owner_unit_code": signal.province_code if level == "province" else signal.admin_unit_code,
                "team_id": router.province_team.get(signal.province_code)
                if escalated
                else router.owner_team(level, signal.admin_unit_code, signal.province_code),
                "assignee_id": None,
                "reported_by_team_id": signal.reported_by_team_id,
                "site_id": signal.site_id,
                "geom": f"SRID=4326;POINT({signal.lon!r} {signal.lat!r})",
                "h3_cell": signal.h3_cell,
                "dedupe_key": signal.key,
                "signal_count": 1 + signal.extra_signals,
                "due_at": calendar.add_working_days(now, rule.sla_working_days),
                "created_at": now,
                "updated_at": now,
                "escalated_at": now if escalated else None,
                "resolution": "",
                "version": 1,
            }
        )
    table = Ticket.__table__
    inserted = insert_new_rows(
        session, table, rows, "dedupe_key", text(ACTIVE_SQL), ("id", "dedupe_key", "priority", "status")
    )
    created = {key: (ticket_id, priority) for ticket_id, key, priority, _ in inserted}
    by_key = {signal.key: signal for signal in signals}
    row_by_key = {row["dedupe_key"]: row for row in rows}
    opened = [row_by_key[key] | {"id": ticket_id} for ticket_id, key, _, _ in inserted]
    rollups.tickets_inserted(session, opened)
    record_opened_tickets(session, opened)
    _insert_events(
        session,
        [
            {
                "ticket_id": ticket_id,
                "action": "created",
                "to_status": status,
                "source_kind": by_key[key].source[0],
                "source_id": by_key[key].source[1],
                "comment": "; ".join(by_key[key].notes),
            }
            for ticket_id, key, _, status in inserted
        ],
        now,
    )
    return created


def _join_many(
    session: Session, joins: dict[int, list[Signal]], priorities: dict[int, str], now: datetime, router: Router | None
) -> None:
    """New reports about things that already have a ticket: one event each, and one update per ticket
    (more signals, priority raised if a report is more severe, version bumped)."""
    if not joins:
        return
    _insert_events(
        session,
        [
            {
                "ticket_id": ticket_id,
                "action": "joined",
                "source_kind": signal.source[0],
                "source_id": signal.source[1],
                "comment": "; ".join(signal.notes),
            }
            for ticket_id, group in joins.items()
            for signal in group
        ],
        now,
    )
    to_escalate = [ticket_id for ticket_id, group in joins.items() if any(s.escalate_now for s in group)]
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(to_escalate), Ticket.status != "escalated")):
        escalate_to_province(session, ticket, None, "Reported as beyond the commune's authority.", router)
    session.flush()
    table = Ticket.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("ticket_id"))
        .values(
            signal_count=table.c.signal_count + bindparam("more"),
            priority=bindparam("new_priority"),
            version=table.c.version + 1,
            updated_at=now,
        ),
        [
            {
                "ticket_id": ticket_id,
                "more": sum(1 + signal.extra_signals for signal in group),
                "new_priority": higher_priority(priorities[ticket_id], *(signal.priority for signal in group)),
            }
            for ticket_id, group in sorted(joins.items())
        ],
    )
    for ticket in [obj for obj in session.identity_map.values() if isinstance(obj, Ticket) and obj.id in joins]:
        session.expire(ticket)  # the update above went around the ORM


def _insert_events(session: Session, events: list[dict], now: datetime) -> None:
    if events:
        session.execute(
            insert(TicketEvent),
            [
                {"at": now, "actor_id": None, "from_status": None, "to_status": None, "changes": {}, **event}
                for event in events
            ],
        )


def _reopen_by_rule(
    session: Session, ticket: Ticket, signal: Signal, calendar: WorkingCalendar, now: datetime
) -> Ticket:
    before = ticket.status
    ticket.status = "reopened"
    ticket.signal_count += 1
    ticket.due_at = calendar.add_working_days(now, rule_for(session, ticket.category).sla_working_days)
    add_event(
        session,
        ticket,
        None,
        "reopened",
        from_status=before,
        to_status="reopened",
        source=signal.source,
        comment=failed_again_comment(),
        at=now,
    )
    record_ticket_event(session, "ticket_reopened", ticket, comment=failed_again_comment())
    session.flush()
    return ticket


def failed_again_comment() -> str:
    """Stored on the ticket's trail, so written in Vietnamese like titles (see ``routing``)."""
    with in_language(DEFAULT_LOCALE):
        return _("Failed again soon after it was resolved.")


def create_ticket(
    session: Session,
    user: User,
    scope: Scope,
    *,
    title: str,
    category: str,
    admin_unit_code: str,
    description: str = "",
    priority: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    site_id: int | None = None,
    calendar: WorkingCalendar,
) -> Ticket:
    """A ticket opened by hand (not from a field signal)."""
    if user.role not in ("team_lead", *COORDINATORS):
        raise Forbidden(_("Only a team lead or a coordinator may open tickets by hand."))
    unit = session.get(AdminUnit, admin_unit_code)
    if unit is None:
        raise InvalidInput({"admin_unit_code": [_("Unknown admin unit code %(code)s.", code=admin_unit_code)]})
    if not scope.covers(unit):
        raise Forbidden(_("%(name)s (%(code)s) is outside your jurisdiction.", name=unit.name, code=unit.code))
    if site_id is not None:
        access.referencable_site(session, scope, site_id)
    rule = rule_for(session, category)
    now = datetime.now(UTC)
    owner_team = user.team_id or Router(session, {unit.code, unit.province_code}).owner_team(
        unit.level, unit.code, unit.province_code
    )
    ticket = Ticket(
        title=title,
        description=description,
        category=category,
        priority=priority or rule.priority,
        status="open",
        owner_level=unit.level,
        owner_unit_code=unit.code,
        admin_unit_code=unit.code,
        province_code=unit.province_code,
        team_id=owner_team,
        reported_by_team_id=user.team_id,
        site_id=site_id,
        geom=point(lon, lat) if lat is not None and lon is not None else None,
        due_at=calendar.add_working_days(now, rule.sla_working_days),
    )
    session.add(ticket)
    add_event(session, ticket, user, "created", to_status="open")
    session.flush()
    if owner_team is not None and owner_team != user.team_id:
        record_ticket_event(session, "ticket_assigned", ticket, user)
    return ticket
