"""Ticket queues and workflow. Every change names the ticket version (body ``version`` or ``If-Match``);
a stale one gets 409/412 with the current ticket, never a silent overwrite."""

import re
from datetime import UTC, datetime

from flask import current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import func, select

from field_app_api.attachments import examples as attachment_examples
from field_app_api.attachments.routes import ATTACHMENT_CURSOR, ATTACHMENT_ORDER
from field_app_api.attachments.schemas import AttachmentListSchema, AttachmentSchema, AttachmentUploadSchema
from field_app_api.common import PageArgsSchema, keyset_page, page
from field_app_api.tickets import examples
from field_app_api.tickets.schemas import (
    CommentSchema,
    DayOffListSchema,
    DayOffSchema,
    StaleTicketProblemSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketEventSchema,
    TicketPatchSchema,
    TicketQueryArgsSchema,
    TicketQueueSchema,
    TicketRuleListSchema,
    TicketRulePatchSchema,
    TicketRuleSchema,
    TicketSchema,
    TransitionSchema,
)
from server import cursors
from server.auth import current_scope, current_user, login_required, require_role
from server.errors import Conflict, InvalidInput, NotFound
from server.extensions import PROBLEM_CONTENT_TYPE, db
from server.models import Attachment, DayOff, Ticket, TicketRule
from server.services import tickets
from server.services.calendar import WorkingCalendar
from server.storage import get_storage

blp = Blueprint("tickets", __name__, description="Follow-up tickets: queues, workflow, audit trail, rules")
SECURITY = [{"bearerAuth": []}]
ticket_schema = TicketSchema()


ETAG = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')  # ASCII digits only, within a 32-bit version


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    match = ETAG.fullmatch(raw.strip())
    if match is None:
        raise InvalidInput({"If-Match": ['Must be the ETag of the ticket, e.g. "3".']})
    return int(match.group(1))


def _etag(ticket: Ticket) -> dict:
    return {"ETag": f'"{ticket.version}"'}


def stale_responses(view):
    """Document the answers of a stale version: 409 (body ``version``) and 412 (``If-Match``)."""
    for status, description in ((409, "The version is stale"), (412, "The If-Match version is stale")):
        view = blp.alt_response(
            status, schema=StaleTicketProblemSchema, content_type=PROBLEM_CONTENT_TYPE, description=description
        )(view)
    return view


def _locked(ticket: Ticket, version: int | None) -> None:
    try:
        tickets.check_version(ticket, version, _if_match())
    except tickets.StaleVersion as stale:
        stale.extra = {"current": ticket_schema.dump(stale.ticket)}
        stale.headers = _etag(stale.ticket)
        raise


@blp.route("/tickets")
class TicketQueue(MethodView):
    decorators = [login_required()]

    @blp.arguments(TicketQueryArgsSchema, location="query")
    @blp.response(200, TicketQueueSchema, example=examples.QUEUE)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The queue: overdue first, then priority, then age; with counts per status."""
        now = datetime.now(UTC)
        scope = current_scope()
        if "page" in args:  # deprecated offset pages: a cursor given with them is ignored
            args.pop("after", None)
        query = tickets.queue_query(db.session, scope, args, now)
        total = db.session.scalar(
            select(func.count()).select_from(
                tickets.queue_query(db.session, scope, {**args, "after": None}, now).order_by(None).subquery()
            )
        )
        counts = tickets.status_counts(db.session, scope, args, now)
        limit = args["limit"]
        if "page" in args:  # deprecated: offset pages
            items = db.session.scalars(query.limit(limit).offset((args["page"] - 1) * limit))
            return {"items": list(items), "counts": counts, "page": args["page"], "total": total}
        result = page(list(db.session.scalars(query.limit(limit + 1))), limit, lambda t: tickets.queue_cursor(t, now))
        return {**result, "counts": counts, "total": total}

    @require_role("team_lead", "coordinator", "admin")
    @blp.arguments(TicketCreateSchema, example=examples.CREATE)
    @blp.response(201, TicketSchema, example=examples.TICKET)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Open a ticket by hand (most tickets come from field records through the rules)."""
        ticket = tickets.create_ticket(
            db.session, current_user(), current_scope(), calendar=WorkingCalendar.load(db.session), **data
        )
        db.session.commit()
        return ticket, 201, _etag(ticket)


@blp.route("/tickets/<int:ticket_id>")
class TicketDetail(MethodView):
    decorators = [login_required()]

    @blp.response(200, TicketDetailSchema, example=examples.DETAIL)
    @blp.doc(security=SECURITY)
    def get(self, ticket_id):
        """One ticket with its audit trail; the ETag is its version."""
        ticket = tickets.get_ticket(db.session, current_scope(), ticket_id)
        return ticket, 200, _etag(ticket)

    @blp.arguments(TicketPatchSchema, example=examples.PATCH)
    @blp.response(200, TicketSchema, example={**examples.TICKET, "priority": "critical", "version": 3})
    @stale_responses
    @blp.doc(security=SECURITY)
    def patch(self, data, ticket_id):
        """Edit title, description, priority or due date, naming the version."""
        ticket = tickets.get_ticket(db.session, current_scope(), ticket_id)
        _locked(ticket, data.pop("version", None))
        tickets.update_ticket(db.session, current_user(), ticket, data)
        db.session.commit()
        return ticket, 200, _etag(ticket)


@blp.route("/tickets/<int:ticket_id>/transitions", methods=["POST"])
@login_required()
@blp.arguments(TransitionSchema, example=examples.TRANSITION)
@blp.response(200, TicketSchema, example=examples.STARTED)
@stale_responses
@blp.doc(security=SECURITY)
def transition(data, ticket_id):
    """assign, start, resolve, verify, close, reopen or escalate, naming the version."""
    ticket = tickets.get_ticket(db.session, current_scope(), ticket_id)
    _locked(ticket, data.get("version"))
    tickets.transition(
        db.session,
        current_user(),
        ticket,
        data["action"],
        comment=data["comment"],
        team_id=data.get("team_id"),
        assignee_id=data.get("assignee_id"),
        evidence=data.get("evidence"),
        scope=current_scope(),
    )
    db.session.commit()
    return ticket, 200, _etag(ticket)


@blp.route("/tickets/<int:ticket_id>/comments", methods=["POST"])
@login_required()
@blp.arguments(CommentSchema, example=examples.COMMENT)
@blp.response(201, TicketEventSchema, example=examples.COMMENT_EVENT)
@blp.doc(security=SECURITY)
def comment(data, ticket_id):
    """Add a comment (recorded in the audit trail)."""
    ticket = tickets.get_ticket(db.session, current_scope(), ticket_id)
    event = tickets.comment_on(db.session, current_user(), ticket, data["comment"])
    db.session.commit()
    return event


@blp.route("/tickets/<int:ticket_id>/attachments")
class TicketAttachments(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AttachmentListSchema, example=attachment_examples.attachments("ticket"))
    @blp.doc(security=SECURITY)
    def get(self, args, ticket_id):
        """Photos and files on a ticket, oldest first."""
        tickets.get_ticket(db.session, current_scope(), ticket_id)
        query = select(Attachment).where(Attachment.ticket_id == ticket_id)
        return keyset_page(query, ATTACHMENT_ORDER, ATTACHMENT_CURSOR, args)

    @blp.arguments(AttachmentUploadSchema, location="files")
    @blp.response(201, AttachmentSchema, example=attachment_examples.attachment("ticket"))
    @blp.alt_response(
        200,
        schema=AttachmentSchema,
        description="The same file was already attached",
        example=attachment_examples.attachment("ticket"),
    )
    @blp.doc(security=SECURITY)
    def post(self, files, ticket_id):
        """Attach a photo or PDF to a ticket (e.g. proof of repair)."""
        ticket = tickets.get_ticket(db.session, current_scope(), ticket_id)
        upload = files["file"]
        attachment, created = tickets.attach_file(
            db.session,
            current_user(),
            ticket,
            storage=get_storage(),
            stream=upload.stream,
            filename=upload.filename,
            max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
        )
        db.session.commit()
        return attachment, 201 if created else 200


@blp.route("/ticket-rules")
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, TicketRuleListSchema, example=examples.RULES)
@blp.doc(security=SECURITY)
def list_rules(args):
    """Per category (by its code): SLA in working days, priority and the level that owns new tickets."""
    return keyset_page(select(TicketRule), (TicketRule.category,), (cursors.CODE,), args)


@blp.route("/ticket-rules/<category>", methods=["PATCH"])
@login_required(("admin",))
@blp.arguments(TicketRulePatchSchema, example=examples.RULE_PATCH)
@blp.response(200, TicketRuleSchema, example={**examples.RULE, **examples.RULE_PATCH})
@blp.doc(security=SECURITY)
def update_rule(data, category):
    """Change a category's rule (admins). Applies to tickets opened from now on."""
    rule = db.session.get(TicketRule, category)
    if rule is None:
        raise NotFound(_("No rule for category %(category)s.", category=repr(category)))
    for name, value in data.items():
        setattr(rule, name, value)
    db.session.commit()
    return rule


@blp.route("/days-off")
class DaysOff(MethodView):
    decorators = [login_required()]

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, DayOffListSchema, example=examples.DAYS_OFF)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Days off added by administrators (public holidays come from the national calendar), by day."""
        return keyset_page(select(DayOff), (DayOff.day,), (cursors.DAY,), args)

    @require_role("admin")
    @blp.arguments(DayOffSchema, example=examples.DAY_OFF)
    @blp.response(201, DayOffSchema, example=examples.DAY_OFF)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Add a day off; deadlines computed afterwards skip it."""
        if db.session.get(DayOff, data["day"]) is not None:
            raise Conflict(_("%(day)s is already a day off.", day=data["day"]))
        day_off = DayOff(created_by_id=current_user().id, **data)
        db.session.add(day_off)
        db.session.commit()
        return day_off


@blp.route("/days-off/<day>", methods=["DELETE"])
@login_required(("admin",))
@blp.response(204)
@blp.doc(security=SECURITY)
def delete_day_off(day):
    """Remove a day off."""
    try:
        parsed = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError as exc:
        raise InvalidInput({"day": ["Must be a date YYYY-MM-DD."]}) from exc
    day_off = db.session.get(DayOff, parsed)
    if day_off is None:
        raise NotFound(_("%(day)s is not a day off.", day=day))
    db.session.delete(day_off)
    db.session.commit()
