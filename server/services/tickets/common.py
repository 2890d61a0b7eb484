"""What the ticket modules share: the rules per category, the audit event, and handing a ticket to the
province (escalation changes the owner, never the place)."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Ticket, TicketEvent, TicketRule, User
from server.models.tickets import DEFAULT_RULES, PRIORITY_RANK
from server.services.notifications.events import record_ticket_event
from server.services.tickets.routing import Router


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


OWNER_FIELDS = ("status", "owner_level", "owner_unit_code", "team_id", "assignee_id")


def escalate_to_province(
    session: Session, ticket: Ticket, actor: User | None, comment: str, router: Router | None = None
) -> None:
    """The province becomes the owner (its department, else nobody but its coordinators); the place stays."""
    before = {name: getattr(ticket, name) for name in OWNER_FIELDS}
    router = router or Router(session, {ticket.admin_unit_code, ticket.province_code})
    ticket.status = "escalated"
    ticket.owner_level = "province"
    ticket.owner_unit_code = ticket.province_code
    ticket.team_id = router.province_team.get(ticket.province_code)
    ticket.assignee_id = None
    ticket.escalated_at = datetime.now(UTC)
    after = {name: getattr(ticket, name) for name in OWNER_FIELDS}
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
    record_ticket_event(session, "ticket_escalated", ticket, actor, comment=comment)
