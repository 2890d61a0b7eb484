"""The one way to say that something happened which people should hear about: ``record_event`` adds a row to the
outbox in the caller's transaction. It commits with the change that caused it, or not at all; once committed, the
job runner is woken (``server.jobs.kick``) and the worker fans it out. Nothing is sent here.

The calls other features make (``data["title"]`` names the thing in messages, ``data["path"]`` is the page they
link to when there is no ticket, ``data["due_at"]`` an ISO date-time)::

    # a review marked has_issues: the author's team (and the author) hear about it
    record_event(session, "review_has_issues", team_id=author.team_id, user_id=author.id, actor=reviewer,
                 admin_unit_code=commune_code, province_code=province_code,
                 data={"title": survey_title, "path": f"/surveys/responses/{response_id}"})
    # a planned visit missed: the plan's team, once per plan and due date
    record_event(session, "visit_plan_missed", team_id=plan.team_id, admin_unit_code=commune_code,
                 province_code=province_code, data={"title": place_name, "due_at": due_at.isoformat()},
                 dedupe_key=f"visit_plan_missed:{plan.id}:{due_at:%Y%m%d}")
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import NotificationEvent, Ticket, User
from server.models.notifications import EVENT_KINDS

# The session's info key saying an event waits for the commit (read by server.jobs after the commit).
PENDING_FLAG = "fieldops_notification_events"


def record_event(
    session: Session,
    kind: str,
    *,
    ticket: Ticket | None = None,
    team_id: int | None = None,
    user_id: int | None = None,
    actor: User | None = None,
    admin_unit_code: str | None = None,
    province_code: str | None = None,
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> NotificationEvent | None:
    """Record ``kind`` (one of ``EVENT_KINDS``) for a ticket, a team (``team_id``) and/or a person (``user_id``).

    The place defaults to the ticket's; ``data`` is shown in messages and sent to webhooks (plain JSON values).
    With ``dedupe_key``, the event is recorded once per key (scheduled checks run often): returns None when the
    key was already recorded."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown notification event kind {kind!r}")
    if dedupe_key is not None:
        exists = session.scalar(select(NotificationEvent.id).where(NotificationEvent.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    event = NotificationEvent(
        kind=kind,
        ticket_id=ticket.id if ticket is not None else None,
        team_id=team_id,
        user_id=user_id,
        actor_id=actor.id if actor is not None else None,
        admin_unit_code=admin_unit_code or (ticket.admin_unit_code if ticket is not None else None),
        province_code=province_code or (ticket.province_code if ticket is not None else None),
        data=data or {},
        dedupe_key=dedupe_key,
    )
    session.add(event)
    session.info[PENDING_FLAG] = True
    return event


# Who hears about each ticket event: the owner team and the assignee, or the reporting team.
TICKET_AUDIENCE = {
    "ticket_assigned": "owner",
    "ticket_due_soon": "owner",
    "ticket_overdue": "owner",
    "ticket_escalated": "owner",
    "ticket_resolved": "reporter",
    "ticket_verified": "owner",
    "ticket_reopened": "owner",
}


def record_ticket_event(
    session: Session, kind: str, ticket: Ticket, actor: User | None = None, *, comment: str = "", dedupe_key=None
) -> NotificationEvent | None:
    """A ticket event addressed by the table above: the owner team (and assignee) or the reporting team."""
    if TICKET_AUDIENCE[kind] == "reporter":
        team_id, user_id = ticket.reported_by_team_id, None
    else:
        team_id, user_id = ticket.team_id, ticket.assignee_id
    data = {
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
        "comment": comment,
    }
    return record_event(
        session, kind, ticket=ticket, team_id=team_id, user_id=user_id, actor=actor, data=data, dedupe_key=dedupe_key
    )


def record_opened_tickets(session: Session, rows: list[dict]) -> None:
    """``ticket_assigned`` for tickets opened in bulk by the rules (``rows``: their columns and ``id``) that went
    straight to a team; one insert whatever their number."""
    from sqlalchemy import insert

    events = [
        {
            "kind": "ticket_assigned",
            "ticket_id": row["id"],
            "team_id": row["team_id"],
            "admin_unit_code": row["admin_unit_code"],
            "province_code": row["province_code"],
            "data": {
                "title": row["title"],
                "status": row["status"],
                "priority": row["priority"],
                "category": row["category"],
                "due_at": row["due_at"].isoformat(),
                "comment": "",
            },
            "created_at": row["created_at"],
        }
        for row in rows
        if row.get("team_id") is not None
    ]
    if events:
        session.execute(insert(NotificationEvent), events)
        session.info[PENDING_FLAG] = True
