"""The periodic jobs of notifications and tickets (registered in ``server.jobs.registry``), each ``f(session, now)``."""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, delete, or_, select
from sqlalchemy.orm import Session

from server.models import ApiToken, NotificationEvent, Ticket
from server.models.tickets import ACTIVE_STATUSES
from server.services.calendar import WorkingCalendar
from server.services.notifications.delivery import send_digests, send_due
from server.services.notifications.dispatch import dispatch_events
from server.services.notifications.events import record_ticket_event

TOKENS_KEPT_AFTER_EXPIRY = timedelta(days=30)
KEYS_PER_QUERY = 1000  # dedupe keys looked up per statement by the reminder sweep


def session_factory(session: Session):
    """Short sessions on the same database (or the same connection, inside a test's transaction)."""
    bind = session.get_bind()
    if isinstance(bind, Connection):
        return lambda: Session(bind=bind, join_transaction_mode="create_savepoint")
    return lambda: Session(bind=bind)


def process_outbox(session: Session, now: datetime, clock=None) -> str:
    """Fan out new events, then send the deliveries that are due."""
    created = dispatch_events(session, current_app.config, now)
    session.commit()
    sent = send_due(session_factory(session), current_app.config, now, clock)
    return f"{created} deliveries created, {sent} sent"


def send_team_digests(session: Session, now: datetime) -> str:
    return f"{send_digests(session_factory(session), current_app.config, now)} digests sent"


def escalate_overdue_tickets(session: Session, now: datetime) -> str:
    from server.services.tickets import escalate_overdue

    return f"{len(escalate_overdue(session, now))} tickets escalated"


def due_reminders(session: Session, now: datetime) -> str:
    """Once per ticket and due date: "due soon" within the configured working days, "overdue" past it."""
    days = current_app.config["DUE_SOON_WORKING_DAYS"]
    calendar = WorkingCalendar.load(session)
    horizon = calendar.add_working_days(now, days)
    tickets = session.scalars(
        select(Ticket).where(Ticket.status.in_(ACTIVE_STATUSES), Ticket.due_at <= horizon).order_by(Ticket.id)
    )
    due = []
    for ticket in tickets:
        stamp = ticket.due_at.astimezone(UTC).strftime("%Y%m%dT%H%M")
        kind = "ticket_overdue" if ticket.due_at <= now else "ticket_due_soon"
        due.append((ticket, kind, f"{kind}:{ticket.id}:{stamp}"))
    # The keys already recorded, read in a few statements: an hourly sweep over thousands of overdue tickets
    # otherwise asked once per ticket, to find nearly every notice already sent.
    keys = [key for _, _, key in due]
    recorded_keys = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        recorded_keys.update(
            session.scalars(select(NotificationEvent.dedupe_key).where(NotificationEvent.dedupe_key.in_(chunk)))
        )
    soon = overdue = 0
    for ticket, kind, key in due:
        if key in recorded_keys:
            continue
        recorded = record_ticket_event(session, kind, ticket, dedupe_key=key)
        if recorded is not None:
            overdue += kind == "ticket_overdue"
            soon += kind == "ticket_due_soon"
    session.flush()
    return f"{soon} due-soon and {overdue} overdue notices"


def purge_expired_tokens(session: Session, now: datetime) -> str:
    cutoff = now - TOKENS_KEPT_AFTER_EXPIRY
    result = session.execute(delete(ApiToken).where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff)))
    return f"{result.rowcount} expired tokens purged"
