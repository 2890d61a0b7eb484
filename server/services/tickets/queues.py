"""Which tickets a person sees and in what order: queues by team, commune (tickets located there, whatever
their owner) or province (located in it or owned by it), overdue first, then priority, then age."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server import cursors
from server.auth import Scope
from server.errors import NotFound
from server.models import Ticket
from server.models.common import in_admin_unit
from server.models.tickets import ACTIVE_STATUSES, PRIORITY_RANK

REPORTER_HEARS_CLOSE_FOR = timedelta(days=30)  # a closed ticket stays in the reporting team's feed this long


def visible_tickets(scope: Scope):
    return select(Ticket).where(scope.filter(Ticket.admin_unit_code, Ticket.province_code))


def get_ticket(session: Session, scope: Scope, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not scope.covers_unit_codes(ticket.admin_unit_code, ticket.province_code):
        raise NotFound(_("No ticket %(id)s in your jurisdiction.", id=ticket_id))
    return ticket


def overdue_condition(now: datetime):
    return (Ticket.due_at < now) & Ticket.status.in_(ACTIVE_STATUSES)


# The queue's order as a keyset: (overdue first: 0, else 1), (highest priority first: rank from the top), the
# time it was opened, the id. ``after`` is the cursor of the last ticket of the previous page.
QUEUE_CURSOR = (cursors.ROW_ID, cursors.ROW_ID, cursors.MOMENT, cursors.ROW_ID)
TOP_RANK = max(PRIORITY_RANK.values())


def _queue_keys(now: datetime):
    overdue_first = case((overdue_condition(now), 0), else_=1)
    priority_order = case({name: TOP_RANK - rank for name, rank in PRIORITY_RANK.items()}, value=Ticket.priority)
    return overdue_first, priority_order, Ticket.created_at, Ticket.id


def queue_cursor(ticket: Ticket, now: datetime) -> str:
    overdue = ticket.status in ACTIVE_STATUSES and ticket.due_at < now
    position = (0 if overdue else 1, TOP_RANK - PRIORITY_RANK[ticket.priority], ticket.created_at, ticket.id)
    return cursors.encode(position, QUEUE_CURSOR)


def queue_query(session: Session, scope: Scope, filters: dict, now: datetime):
    """Tickets matching the filters, overdue first, then by priority (highest first), then oldest first; from
    the position of the cursor ``filters["after"]`` when given."""
    query = _filtered(visible_tickets(scope), filters, now)
    if "status" in filters:
        query = query.where(Ticket.status.in_(filters["status"]))
    keys = _queue_keys(now)
    if filters.get("after"):
        position = cursors.decode(filters["after"], QUEUE_CURSOR)
        query = query.where(cursors.after(keys, position))
    return query.order_by(*keys)


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
    if "reported_by_team" in filters:
        query = query.where(Ticket.reported_by_team_id == filters["reported_by_team"])
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
