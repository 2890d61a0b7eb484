"""The ticket workflow: opening or joining tickets from signals, transitions with who may do what,
optimistic locking, queues, and escalation of overdue tickets. Every change leaves a ``TicketEvent``."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, insert, select, text, update
from sqlalchemy.orm import Session

from server.auth import Scope
from server.database import insert_new_rows
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, ProblemError
from server.labels import label
from server.models import RECORD_MODELS, AdminUnit, Ticket, TicketEvent, TicketRule, User
from server.models.common import in_admin_unit
from server.models.tickets import ACTIVE_SQL, ACTIVE_STATUSES, DEFAULT_RULES, DONE_STATUSES, PRIORITY_RANK
from server.services.calendar import WorkingCalendar
from server.spatial import point

TRANSITIONS = {
    # action: (statuses it starts from, status it leads to)
    "assign": (("open", "assigned", "in_progress", "escalated", "reopened"), "assigned"),
    "start": (("open", "assigned", "escalated", "reopened"), "in_progress"),
    "resolve": (ACTIVE_STATUSES, "resolved"),
    "verify": (("resolved",), "verified"),
    "close": (("verified",), "closed"),
    "reopen": (DONE_STATUSES, "reopened"),
    "escalate": (("open", "assigned", "in_progress", "reopened"), "escalated"),
}
NEEDS_COMMENT = ("resolve", "reopen", "escalate")
MANAGERS = ("coordinator", "admin")


class StaleVersion(ProblemError):
    http_status = 409
    title = _l("Stale version")

    def __init__(self, ticket: Ticket, given: int, precondition: bool = False):
        super().__init__(f"Ticket {ticket.id} is at version {ticket.version}, not {given}: reload and retry.")
        self.ticket = ticket
        if precondition:
            self.http_status = 412
            self.title = _l("Precondition failed")


class VersionRequired(ProblemError):
    http_status = 428
    title = _l("Precondition required")


def all_rules(session: Session) -> dict[str, TicketRule]:
    """Every category's rule, read in one query."""
    stored = {rule.category: rule for rule in session.scalars(select(TicketRule))}
    return {category: rule_for(session, category, stored) for category in DEFAULT_RULES}


def rule_for(session: Session, category: str, stored: dict[str, TicketRule] | None = None) -> TicketRule:
    rule = stored.get(category) if stored is not None else session.get(TicketRule, category)
    if rule is None:  # a database without the seeded rules still behaves sensibly
        days, priority, level = DEFAULT_RULES[category]
        rule = TicketRule(category=category, sla_working_days=days, priority=priority, owning_level=level)
    return rule


def higher_priority(*priorities: str | None) -> str:
    return max((p for p in priorities if p), key=PRIORITY_RANK.__getitem__)


def add_event(
    session: Session,
    ticket: Ticket,
    actor: User | None,
    action: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: dict | None = None,
    comment: str = "",
    source: tuple[str, str] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        at=at or datetime.now(UTC),
        ticket=ticket,
        actor_id=actor.id if actor else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
        comment=comment,
        source_kind=source[0] if source else None,
        source_id=source[1] if source else None,
    )
    session.add(event)
    return event


def check_version(ticket: Ticket, version: int | None, if_match: int | None) -> None:
    """Every update names the version it was based on (body ``version`` or ``If-Match``)."""
    if if_match is not None and if_match != ticket.version:
        raise StaleVersion(ticket, if_match, precondition=True)
    if version is not None and version != ticket.version:
        raise StaleVersion(ticket, version)
    if version is None and if_match is None:
        raise VersionRequired("Send the ticket's `version` in the body or its ETag in If-Match.")


# --- Signals from the field ---------------------------------------------------------------------------


@dataclass
class Signal:
    """Something seen in the field that needs follow-up; ``key`` says which ticket it belongs to."""

    key: str
    category: str
    title: str
    description: str
    admin_unit_code: str
    province_code: str
    lon: float
    lat: float
    source: tuple[str, str]
    team_id: int | None = None
    site_id: int | None = None
    h3_cell: str | None = None
    priority: str | None = None
    owning_level: str | None = None
    escalate_now: bool = False
    reopen_within: timedelta | None = None
    extra_signals: int = 0
    notes: list[str] = field(default_factory=list)


def open_or_join_many(
    session: Session, signals: list[Signal], calendar: WorkingCalendar, now: datetime | None = None
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
        created = _create_many(session, to_create, calendar, now)
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
    _join_many(session, {ticket_id: group for ticket_id, group in joins.items() if group}, priorities, now)
    return ticket_ids


def _active_rows(session: Session, keys: list[str]) -> dict[str, tuple[int, str, str]]:
    """(id, status, priority) of the active ticket of each key."""
    if not keys:
        return {}
    rows = session.execute(
        select(Ticket.dedupe_key, Ticket.id, Ticket.status, Ticket.priority).where(
            Ticket.dedupe_key.in_(keys), Ticket.status.in_(ACTIVE_STATUSES)
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
    session: Session, signals: list[Signal], calendar: WorkingCalendar, now: datetime
) -> dict[str, tuple[int, str]]:
    """Open one ticket per signal in one statement. A key that got an active ticket from a concurrent
    request in the meantime is skipped by the partial unique index (the caller joins it instead).
    Returns (id, priority) per key created."""
    session.flush()
    rules = all_rules(session)
    rows = []
    for signal in signals:
        rule = rules[signal.category]
        level = signal.owning_level or rule.owning_level
        escalated = signal.escalate_now
        rows.append(
            {
                "title": signal.title[:300],
                "description": signal.description,
                "category": signal.category,
                "priority": higher_priority(rule.priority, signal.priority),
                "status": "escalated" if escalated else "open",
                "owning_level": "province" if escalated else level,
                "admin_unit_code": signal.province_code
                if (escalated or level == "province")
                else signal.admin_unit_code,
                "province_code": signal.province_code,
                "team_id": signal.team_id,
                "assignee_id": None,
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


def _join_many(session: Session, joins: dict[int, list[Signal]], priorities: dict[int, str], now: datetime) -> None:
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
        _escalate(session, ticket, None, "Reported as beyond the commune's authority.")
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
        comment="Failed again soon after it was resolved.",
        at=now,
    )
    session.flush()
    return ticket


def _escalate(session: Session, ticket: Ticket, actor: User | None, comment: str) -> None:
    before = {"status": ticket.status, "owning_level": ticket.owning_level, "admin_unit_code": ticket.admin_unit_code}
    ticket.status = "escalated"
    ticket.owning_level = "province"
    ticket.admin_unit_code = ticket.province_code
    ticket.escalated_at = datetime.now(UTC)
    after = {"status": ticket.status, "owning_level": "province", "admin_unit_code": ticket.province_code}
    add_event(
        session,
        ticket,
        actor,
        "escalated",
        from_status=before["status"],
        to_status="escalated",
        changes={"before": before, "after": after},
        comment=comment,
    )


# --- People acting on tickets --------------------------------------------------------------------------


def visible_tickets(scope: Scope):
    return select(Ticket).where(scope.filter(Ticket.admin_unit_code, Ticket.province_code))


def get_ticket(session: Session, scope: Scope, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not scope.covers_unit_codes(ticket.admin_unit_code, ticket.province_code):
        raise NotFound(_("No ticket %(id)s in your jurisdiction.", id=ticket_id))
    return ticket


def _works_on(user: User, ticket: Ticket) -> bool:
    return (
        user.role in MANAGERS
        or ticket.assignee_id == user.id
        or (user.team_id is not None and user.team_id == ticket.team_id)
    )


def transition(
    session: Session,
    user: User,
    ticket: Ticket,
    action: str,
    *,
    comment: str = "",
    team_id: int | None = None,
    assignee_id: int | None = None,
    evidence: dict | None = None,
    scope: Scope | None = None,
) -> Ticket:
    """Apply one workflow step; the caller has checked the version."""
    sources, target = TRANSITIONS[action]
    if ticket.status not in sources:
        raise Conflict(
            _(
                "Cannot %(action)s a ticket that is %(status)s.",
                action=action,
                status=label(ticket.status, "ticket_status").lower(),
            )
        )
    if action in NEEDS_COMMENT and not comment.strip():
        raise InvalidInput({"comment": [f"Say why or what was done: a comment is required to {action}."]})
    before_status = ticket.status
    if action == "escalate":
        _escalate(session, ticket, user, comment)
        session.flush()
        return ticket
    changes: dict = {}
    if action == "assign":
        _assign(session, user, ticket, team_id, assignee_id, changes)
    elif action in ("start", "resolve"):
        if not _works_on(user, ticket):
            raise Forbidden(_("Only the assigned team, its members or a coordinator may work on this ticket."))
        if action == "resolve":
            ticket.resolved_at = datetime.now(UTC)
            ticket.resolved_by_id = user.id
            ticket.resolution = comment
    elif action == "verify":
        _check_verifier(session, user, ticket)
        ticket.verified_at = datetime.now(UTC)
        ticket.verified_by_id = user.id
        if evidence:
            ticket.verification_evidence = _check_evidence(session, scope, evidence)
            changes["evidence"] = ticket.verification_evidence
    elif action == "close":
        if user.role not in ("team_lead", *MANAGERS):
            raise Forbidden(_("Only a team lead or a coordinator may close a ticket."))
        ticket.closed_at = datetime.now(UTC)
    ticket.status = target
    add_event(
        session, ticket, user, action, from_status=before_status, to_status=target, changes=changes, comment=comment
    )
    session.flush()
    return ticket


def _assign(
    session: Session, user: User, ticket: Ticket, team_id: int | None, assignee_id: int | None, changes: dict
) -> None:
    if user.role not in ("team_lead", *MANAGERS):
        raise Forbidden(_("Only a team lead or a coordinator may assign tickets."))
    if user.role == "team_lead" and ticket.team_id not in (None, user.team_id):
        raise Forbidden(_("A team lead assigns only their own team's tickets."))
    if team_id is None and assignee_id is None:
        raise InvalidInput({"team_id": ["Give a team_id, an assignee_id, or both."]})
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active:
            raise InvalidInput({"assignee_id": [f"No active user {assignee_id}."]})
        team_id = team_id if team_id is not None else assignee.team_id
        if assignee.team_id != team_id:
            raise InvalidInput({"assignee_id": ["The assignee must belong to the assigned team."]})
    if user.role == "team_lead" and team_id != user.team_id:
        raise Forbidden(_("A team lead assigns within their own team."))
    changes["before"] = {"team_id": ticket.team_id, "assignee_id": ticket.assignee_id}
    ticket.team_id, ticket.assignee_id = team_id, assignee_id
    changes["after"] = {"team_id": team_id, "assignee_id": assignee_id}


def _check_verifier(session: Session, user: User, ticket: Ticket) -> None:
    """Someone other than the resolver, and not of the resolver's team, confirms the fix."""
    if ticket.resolved_by_id == user.id:
        raise Forbidden(_("The person who resolved a ticket cannot verify it."))
    resolver = session.get(User, ticket.resolved_by_id) if ticket.resolved_by_id else None
    if resolver is not None and resolver.team_id is not None and resolver.team_id == user.team_id:
        raise Forbidden(_("A member of the team that resolved the ticket cannot verify it."))


def _check_evidence(session: Session, scope: Scope | None, evidence: dict) -> dict:
    kind, record_id = evidence.get("kind"), evidence.get("id")
    model = RECORD_MODELS.get(kind)
    record = session.get(model, record_id) if model else None
    if record is None or (scope and not scope.covers_unit_codes(record.admin_unit_code, record.province_code)):
        raise InvalidInput({"evidence": [f"No {kind} {record_id} that you can see."]})
    return {"kind": kind, "id": str(record_id)}


def update_ticket(session: Session, user: User, ticket: Ticket, changes: dict) -> Ticket:
    """Edit title, description, priority or due date (team leads and coordinators)."""
    if user.role not in ("team_lead", *MANAGERS):
        raise Forbidden(_("Only a team lead or a coordinator may edit tickets."))
    before, after = {}, {}
    for name in ("title", "description", "priority", "due_at"):
        if name in changes and getattr(ticket, name) != changes[name]:
            before[name] = _plain(getattr(ticket, name))
            after[name] = _plain(changes[name])
            setattr(ticket, name, changes[name])
    if after:
        add_event(session, ticket, user, "updated", changes={"before": before, "after": after})
        session.flush()
    return ticket


def comment_on(session: Session, user: User, ticket: Ticket, comment: str) -> TicketEvent:
    event = add_event(session, ticket, user, "commented", comment=comment)
    ticket.updated_at = datetime.now(UTC)
    session.flush()
    return event


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
    if user.role not in ("team_lead", *MANAGERS):
        raise Forbidden(_("Only a team lead or a coordinator may open tickets by hand."))
    unit = session.get(AdminUnit, admin_unit_code)
    if unit is None:
        raise InvalidInput({"admin_unit_code": [f"Unknown admin unit code {admin_unit_code!r}."]})
    if not scope.covers(unit):
        raise Forbidden(_("%(place)s (%(code)s) is outside your jurisdiction.", place=unit.name, code=unit.code))
    rule = rule_for(session, category)
    now = datetime.now(UTC)
    ticket = Ticket(
        title=title,
        description=description,
        category=category,
        priority=priority or rule.priority,
        status="open",
        owning_level=unit.level,
        admin_unit_code=unit.code,
        province_code=unit.province_code,
        team_id=user.team_id,
        site_id=site_id,
        geom=point(lon, lat) if lat is not None and lon is not None else None,
        due_at=calendar.add_working_days(now, rule.sla_working_days),
    )
    session.add(ticket)
    add_event(session, ticket, user, "created", to_status="open")
    session.flush()
    return ticket


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


# --- Queues --------------------------------------------------------------------------------------------


def overdue_condition(now: datetime):
    return (Ticket.due_at < now) & Ticket.status.in_(ACTIVE_STATUSES)


def queue_query(session: Session, scope: Scope, filters: dict, now: datetime):
    """Tickets matching the filters, overdue first, then by priority (highest first), then oldest first."""
    query = _filtered(visible_tickets(scope), filters, now)
    if "status" in filters:
        query = query.where(Ticket.status.in_(filters["status"]))
    overdue_first = case((overdue_condition(now), 0), else_=1)
    priority_order = case({name: -rank for name, rank in PRIORITY_RANK.items()}, value=Ticket.priority)
    return query.order_by(overdue_first, priority_order, Ticket.created_at, Ticket.id)


def status_counts(session: Session, scope: Scope, filters: dict, now: datetime) -> dict[str, int]:
    """How many tickets per status under the same filters (status filter aside), plus how many overdue."""
    base = _filtered(visible_tickets(scope), filters, now).subquery()
    counts = dict(session.execute(select(base.c.status, func.count()).group_by(base.c.status)).all())
    overdue = session.scalar(
        select(func.count()).select_from(base).where(base.c.due_at < now, base.c.status.in_(ACTIVE_STATUSES))
    )
    return {**{status: counts.get(status, 0) for status in TICKET_STATUS_ORDER}, "overdue": overdue}


TICKET_STATUS_ORDER = ("open", "assigned", "in_progress", "escalated", "reopened", "resolved", "verified", "closed")


def _filtered(query, filters: dict, now: datetime):
    if "team" in filters:
        query = query.where(Ticket.team_id == filters["team"])
    if "assignee" in filters:
        query = query.where(Ticket.assignee_id == filters["assignee"])
    if "admin_unit" in filters:
        code = filters["admin_unit"]
        query = query.where(in_admin_unit(Ticket, code))
    if "category" in filters:
        query = query.where(Ticket.category == filters["category"])
    if "priority" in filters:
        query = query.where(Ticket.priority == filters["priority"])
    if filters.get("overdue") is True:
        query = query.where(overdue_condition(now))
    elif filters.get("overdue") is False:
        query = query.where(~overdue_condition(now))
    return query


def escalate_overdue(session: Session, now: datetime | None = None) -> list[Ticket]:
    """Escalate to the province every commune-level ticket past its due date. Running it again escalates
    nothing new: escalated tickets belong to the province and are no longer candidates."""
    now = now or datetime.now(UTC)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(overdue_condition(now), Ticket.owning_level == "commune", Ticket.status != "escalated")
            .order_by(Ticket.id)
        )
    )
    for ticket in tickets:
        days = (now - ticket.due_at).days
        _escalate(session, ticket, None, f"Overdue since {ticket.due_at:%Y-%m-%d} ({days} days): escalated.")
    session.flush()
    return tickets
