"""People acting on tickets: transitions checked against the permission table, optimistic locking,
edits, comments, and the escalation of overdue tickets. Every change leaves a ``TicketEvent``."""

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from server.auth import Scope, scope_for
from server.errors import Conflict, InvalidInput, ProblemError
from server.i18n import DEFAULT_LOCALE, in_language, local_date
from server.labels import label
from server.models import Attachment, Ticket, TicketEvent, User
from server.models.tickets import DONE_STATUSES
from server.services import access
from server.services.attachments import store_attachment
from server.services.notifications.events import record_ticket_event
from server.services.tickets.common import add_event, escalate_to_province
from server.services.tickets.permissions import PERMISSIONS, NotPermitted, permits, relations, require
from server.services.tickets.queues import overdue_condition
from server.services.tickets.routing import Router
from server.storage import Storage

TRANSITIONS = {
    # action: (statuses it starts from, status it leads to)
    "assign": (("open", "assigned", "in_progress", "escalated", "reopened"), "assigned"),
    "start": (("open", "assigned", "escalated", "reopened"), "in_progress"),
    "resolve": (("assigned", "in_progress"), "resolved"),  # work is started (or at least assigned) first
    "verify": (("resolved",), "verified"),
    "close": (("verified",), "closed"),
    "reopen": (DONE_STATUSES, "reopened"),
    "escalate": (("open", "assigned", "in_progress", "reopened"), "escalated"),
}
COMMENT_REQUIRED = {
    "resolve": lazy_gettext("Say what was done: a comment is required to resolve a ticket."),
    "reopen": lazy_gettext("Say why: a comment is required to reopen a ticket."),
    "escalate": lazy_gettext("Say why: a comment is required to escalate a ticket."),
}
NEEDS_COMMENT = tuple(COMMENT_REQUIRED)
# The workflow steps people hear about (escalation is told by ``escalate_to_province``).
NOTIFIED_ACTIONS = {
    "assign": "ticket_assigned",
    "resolve": "ticket_resolved",
    "verify": "ticket_verified",
    "reopen": "ticket_reopened",
}


class StaleVersion(ProblemError):
    http_status = 409

    def __init__(self, ticket: Ticket, given: int, precondition: bool = False):
        super().__init__(
            _(
                "Ticket %(id)s is at version %(version)s, not %(given)s: reload and retry.",
                id=ticket.id,
                version=ticket.version,
                given=given,
            )
        )
        self.ticket = ticket
        if precondition:
            self.http_status = 412


class VersionRequired(ProblemError):
    http_status = 428


def check_version(ticket: Ticket, version: int | None, if_match: int | None) -> None:
    """Every update names the version it was based on (body ``version`` or ``If-Match``)."""
    if if_match is not None and if_match != ticket.version:
        raise StaleVersion(ticket, if_match, precondition=True)
    if version is not None and version != ticket.version:
        raise StaleVersion(ticket, version)
    if version is None and if_match is None:
        raise VersionRequired(_("Send the ticket's `version` in the body or its ETag in If-Match."))


def allowed_actions(user: User, ticket: Ticket) -> list[str]:
    """The actions ``user`` may take on ``ticket`` now (its status, the permission table and the workflow's
    own conditions), for pages to show only the buttons that will work."""
    related = relations(user, ticket)
    allowed = []
    for action in PERMISSIONS:
        if not permits(user, ticket, action, related):
            continue
        if action in TRANSITIONS and ticket.status not in TRANSITIONS[action][0]:
            continue
        if action == "escalate" and ticket.owner_level == "province":
            continue
        if action == "verify" and not may_verify(object_session(ticket), user, ticket):
            continue
        allowed.append(action)
    return allowed


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
    """Apply one workflow step; the caller has checked the version. ``evidence`` (a field record, e.g. the visit
    that fixed it) may back a resolution or a verification; a record that does not exist or that ``user`` cannot
    read is refused (422 on ``evidence``)."""
    sources, target = TRANSITIONS[action]
    if ticket.status not in sources:
        raise Conflict(
            _(
                "“%(action)s” is not possible on a ticket whose status is “%(status)s”.",
                action=label(action, "ticket_action"),
                status=label(ticket.status, "ticket_status"),
            )
        )
    require(user, ticket, action)
    if action in NEEDS_COMMENT and not comment.strip():
        raise InvalidInput({"comment": [str(COMMENT_REQUIRED[action])]})
    before_status = ticket.status
    scope = scope or scope_for(user)
    if action == "escalate":
        if ticket.owner_level == "province":
            raise Conflict(_("The province already owns this ticket: there is no one above it to escalate to."))
        escalate_to_province(session, ticket, user, comment)
        session.flush()
        return ticket
    changes: dict = {}
    if action == "assign":
        _assign(session, user, scope, ticket, team_id, assignee_id, changes)
    elif action == "resolve":
        if evidence:
            changes["evidence"] = _check_evidence(session, scope, evidence)
        ticket.resolved_at = datetime.now(UTC)
        ticket.resolved_by_id = user.id
        ticket.resolution = comment
    elif action == "verify":
        _check_verifier(session, user, ticket)
        checked = _check_evidence(session, scope, evidence) if evidence else None
        ticket.verified_at = datetime.now(UTC)
        ticket.verified_by_id = user.id
        if checked:
            ticket.verification_evidence = changes["evidence"] = checked
    elif action == "close":
        ticket.closed_at = datetime.now(UTC)
    ticket.status = target
    add_event(
        session, ticket, user, action, from_status=before_status, to_status=target, changes=changes, comment=comment
    )
    if action in NOTIFIED_ACTIONS:
        record_ticket_event(session, NOTIFIED_ACTIONS[action], ticket, user, comment=comment)
    session.flush()
    return ticket


def _assign(
    session: Session,
    user: User,
    scope: Scope,
    ticket: Ticket,
    team_id: int | None,
    assignee_id: int | None,
    changes: dict,
) -> None:
    if team_id is None and assignee_id is None:
        raise InvalidInput({"team_id": [_("Give a team_id, an assignee_id, or both.")]})
    if team_id is not None:
        access.referencable_team(session, user, scope, team_id)
    if assignee_id is not None:
        assignee = access.referencable_user(session, user, scope, assignee_id)
        team_id = team_id if team_id is not None else assignee.team_id
        if assignee.team_id != team_id:
            raise InvalidInput({"assignee_id": [_("The assignee must belong to the assigned team.")]})
    if user.role == "team_lead" and team_id != user.team_id:
        raise NotPermitted("assign", _("A team lead assigns within their own team."))
    changes["before"] = {"team_id": ticket.team_id, "assignee_id": ticket.assignee_id}
    ticket.team_id, ticket.assignee_id = team_id, assignee_id
    changes["after"] = {"team_id": team_id, "assignee_id": assignee_id}


def _check_verifier(session: Session, user: User, ticket: Ticket) -> None:
    """Someone other than the resolver, and not of the resolver's team, confirms the fix."""
    if not may_verify(session, user, ticket):
        raise NotPermitted("verify", _("Neither the resolver nor a member of the resolver's team may verify the fix."))


def may_verify(session: Session, user: User, ticket: Ticket) -> bool:
    if ticket.resolved_by_id == user.id:
        return False
    resolver = session.get(User, ticket.resolved_by_id) if ticket.resolved_by_id else None
    return resolver is None or resolver.team_id is None or resolver.team_id != user.team_id


def _check_evidence(session: Session, scope: Scope, evidence: dict) -> dict:
    kind, record_id = evidence.get("kind"), evidence.get("id")
    access.referencable_record(session, scope, kind, record_id)
    return {"kind": kind, "id": str(record_id)}


def update_ticket(session: Session, user: User, ticket: Ticket, changes: dict) -> Ticket:
    """Edit title, description, priority or due date (the owner team's lead and coordinators)."""
    require(user, ticket, "edit")
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
    require(user, ticket, "comment")
    event = add_event(session, ticket, user, "commented", comment=comment)
    ticket.updated_at = datetime.now(UTC)
    session.flush()
    return event


def attach_file(
    session: Session,
    user: User,
    ticket: Ticket,
    *,
    storage: Storage,
    stream,
    filename: str | None,
    max_bytes: int,
    evidence_for: str | None = None,
) -> tuple[Attachment, bool]:
    """Attach a photo or PDF to ``ticket`` (anyone who may comment on it); a new file leaves an event, the same
    bytes again return the first attachment. ``evidence_for`` names the action the file backs (e.g. resolve)."""
    require(user, ticket, "comment")
    attachment, created = store_attachment(
        session,
        storage,
        record_kind="ticket",
        ticket_id=ticket.id,
        stream=stream,
        filename=filename,
        max_bytes=max_bytes,
        uploaded_by=user,
    )
    if created or evidence_for:
        changes = {"attachment_id": str(attachment.id), "filename": attachment.filename}
        if evidence_for:
            changes["evidence_for"] = evidence_for
        add_event(session, ticket, user, "attachment_added", changes=changes)
        session.flush()
    return attachment, created


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def overdue_comment(due_at: datetime, days: int) -> str:
    """Stored on the ticket's trail, so written in Vietnamese like titles (see ``routing``)."""
    with in_language(DEFAULT_LOCALE):
        return ngettext(
            "Overdue since %(due)s (%(num)s day): escalated to the province.",
            "Overdue since %(due)s (%(num)s days): escalated to the province.",
            days,
            due=local_date(due_at),
        )


def escalate_overdue(session: Session, now: datetime | None = None) -> list[Ticket]:
    """Escalate to the province every commune-level ticket past its due date. Running it again escalates
    nothing new: escalated tickets belong to the province and are no longer candidates."""
    now = now or datetime.now(UTC)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(overdue_condition(now), Ticket.owner_level == "commune", Ticket.status != "escalated")
            .order_by(Ticket.id)
        )
    )
    codes = {code for ticket in tickets for code in (ticket.admin_unit_code, ticket.province_code)}
    router = Router(session, codes) if tickets else None
    for ticket in tickets:
        escalate_to_province(session, ticket, None, overdue_comment(ticket.due_at, (now - ticket.due_at).days), router)
    session.flush()
    return tickets
