from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from field_app_api.common import (
    AwareDateTime,
    ChangeSchema,
    LatLonMixin,
    cursor_field,
    id_field,
    lat_field,
    lon_field,
    next_cursor_field,
)
from server.auth import current_user
from server.errors import ProblemSchema
from server.models.records import CATEGORIES
from server.models.tickets import (
    ACTIONS,
    ACTIVE_STATUSES,
    LEVELS,
    PRIORITIES,
    STATUS_GROUPS,
    STATUSES,
    expand_statuses,
)
from server.services.tickets import allowed_actions

RECORD_KINDS = ("visit", "equipment_check", "connectivity_reading", "assistance_log", "finding")


class TicketSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    category = ma.fields.String()
    priority = ma.fields.String()
    status = ma.fields.String()
    overdue = ma.fields.Method("_overdue", metadata={"description": "Past due and still waiting for action"})
    admin_unit_code = ma.fields.String(
        metadata={
            "description": "Where the problem is: its commune (a province only for a whole-province ticket); "
            "never changes, escalation included"
        }
    )
    province_code = ma.fields.String(metadata={"description": "The province of the place"})
    site_id = ma.fields.Integer(allow_none=True, metadata={"description": "The site where the problem is"})
    owner_level = ma.fields.String(metadata={"description": "Who must act: commune or province"})
    owning_level = ma.fields.String(metadata={"description": "Former name of owner_level, kept for older clients"})
    owner_unit_code = ma.fields.String(
        allow_none=True, metadata={"description": "The commune or province that must act (the province once escalated)"}
    )
    team_id = ma.fields.Integer(allow_none=True, metadata={"description": "The owner team: who must act"})
    assignee_id = ma.fields.Integer(allow_none=True, metadata={"description": "The person of the owner team on it"})
    reported_by_team_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The team whose field records opened the ticket: it hears back through sync"},
    )
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    h3_cell = ma.fields.String(allow_none=True)
    signal_count = ma.fields.Integer(metadata={"description": "Field reports joined into this ticket"})
    due_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    escalated_at = ma.fields.AwareDateTime(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    resolved_by_id = ma.fields.Integer(allow_none=True)
    resolution = ma.fields.String()
    verified_at = ma.fields.AwareDateTime(allow_none=True)
    verified_by_id = ma.fields.Integer(allow_none=True)
    verification_evidence = ma.fields.Dict(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    version = ma.fields.Integer(metadata={"description": "Send it back with every change (or use If-Match)"})

    def _overdue(self, ticket) -> bool:
        return ticket.status in ACTIVE_STATUSES and ticket.due_at < datetime.now(UTC)


class TicketEventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: opened or changed by a rule"})
    action = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict()
    comment = ma.fields.String()
    source_kind = ma.fields.String(allow_none=True)
    source_id = ma.fields.String(allow_none=True)


class StaleTicketProblemSchema(ProblemSchema):
    """409 (body ``version``) or 412 (``If-Match``): the problem document with the ticket as it is now."""

    current = ma.fields.Nested(TicketSchema, metadata={"description": "The ticket at its current version"})


class TicketDetailSchema(TicketSchema):
    events = ma.fields.List(ma.fields.Nested(TicketEventSchema))
    allowed_actions = ma.fields.Method(
        "_allowed_actions",
        metadata={"description": "The actions the caller may take now (the workflow's permission table)"},
    )

    def _allowed_actions(self, ticket) -> list[str]:
        return allowed_actions(current_user(), ticket)


class TicketQueryArgsSchema(ma.Schema):
    team = id_field(metadata={"description": "The owner team"})
    reported_by_team = id_field(metadata={"description": "The team whose field records opened the tickets"})
    assignee = id_field()
    admin_unit = ma.fields.String(
        validate=validate.Length(min=2, max=5), metadata={"description": "A commune, or a province for all of it"}
    )
    status = DelimitedList(
        ma.fields.String(validate=validate.OneOf((*STATUSES, *STATUS_GROUPS))),
        metadata={
            "description": "Comma-separated statuses, or the groups "
            + ", ".join(f"`{name}` ({', '.join(statuses)})" for name, statuses in STATUS_GROUPS.items())
            + "; absent: every status"
        },
    )
    category = ma.fields.String(validate=validate.OneOf(CATEGORIES))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    overdue = ma.fields.Boolean()
    after = cursor_field("Cursor: the `next_cursor` of the previous page, as it came")
    page = ma.fields.Integer(
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "deprecated": True,
            "description": "Deprecated: use `after` with `next_cursor`. A page number, still accepted for a "
            "deprecation period; with it `after` is ignored and the answer has `page` and no `next_cursor`.",
        },
    )
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))

    @ma.post_load
    def expand_status_groups(self, data, **kwargs):
        if "status" in data:
            data["status"] = expand_statuses(data["status"])
        return data


class TicketQueueSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TicketSchema))
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Tickets per status under the same filters, and overdue"},
    )
    next_cursor = ma.fields.String(allow_none=True, metadata={"description": "Send as `after`; null on the last page"})
    page = ma.fields.Integer(metadata={"deprecated": True, "description": "Only with the deprecated `page`"})
    total = ma.fields.Integer(metadata={"description": "Tickets matching the filters, all pages"})


class EvidenceSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(RECORD_KINDS))
    id = ma.fields.UUID(required=True)


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(ACTIONS))
    version = ma.fields.Integer(validate=validate.Range(min=1))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    team_id = id_field(allow_none=True)
    assignee_id = id_field(allow_none=True)
    evidence = ma.fields.Nested(
        EvidenceSchema, metadata={"description": "A field record (e.g. a visit) backing a resolution or verification"}
    )


class TicketPatchSchema(ChangeSchema):
    version = ma.fields.Integer(validate=validate.Range(min=1))
    title = ma.fields.String(validate=validate.Length(min=1, max=300))
    description = ma.fields.String(validate=validate.Length(max=5000))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    due_at = AwareDateTime()


class TicketCreateSchema(LatLonMixin, ma.Schema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    admin_unit_code = ma.fields.String(required=True, validate=validate.Length(min=2, max=5))
    description = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    lat = lat_field()
    lon = lon_field()
    site_id = id_field(allow_none=True)


class CommentSchema(ma.Schema):
    comment = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000))


class TicketRuleSchema(ma.Schema):
    category = ma.fields.String(dump_only=True)
    sla_working_days = ma.fields.Integer(validate=validate.Range(min=1, max=365))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    owning_level = ma.fields.String(validate=validate.OneOf(LEVELS))
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class TicketRulePatchSchema(ChangeSchema):
    sla_working_days = ma.fields.Integer(validate=validate.Range(min=1, max=365))
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    owning_level = ma.fields.String(validate=validate.OneOf(LEVELS))


class TicketRuleListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TicketRuleSchema))
    next_cursor = next_cursor_field()


class DayOffSchema(ma.Schema):
    day = ma.fields.Date(required=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class DayOffListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DayOffSchema))
    next_cursor = next_cursor_field()
