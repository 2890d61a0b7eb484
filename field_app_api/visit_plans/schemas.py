from datetime import UTC, datetime

import marshmallow as ma
from flask_babel import gettext
from marshmallow import validate

from field_app_api.common import ChangeSchema, PageArgsSchema, cursor_field, id_field, next_cursor_field
from server.models.visit_plans import EVERY_MAX, INTERVAL_UNITS, PLAN_STATUSES, PLANNED_VISIT_STATUSES
from server.services.visit_plans import TARGETS_MAX


def commune_code() -> ma.fields.String:
    return ma.fields.String(
        validate=[validate.Length(max=5), validate.Regexp(r"^[0-9]{5}$", error="A commune code is five digits.")]
    )


class VisitPlanTargetSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "`commune:CODE` or `site:ID`"})
    site_id = ma.fields.Integer(allow_none=True, metadata={"description": "The site; null for a whole commune"})
    admin_unit_code = ma.fields.String(metadata={"description": "The commune (of the site)"})
    province_code = ma.fields.String()


class VisitPlanSchema(ma.Schema):
    id = ma.fields.Integer()
    team_id = ma.fields.Integer(metadata={"description": "The team that visits"})
    title = ma.fields.String()
    every = ma.fields.Integer(metadata={"description": "How many units between visits"})
    unit = ma.fields.String(metadata={"description": "day, week or month"})
    starts_on = ma.fields.Date(metadata={"description": "First day of the first window (Viet Nam date)"})
    ends_on = ma.fields.Date(allow_none=True, metadata={"description": "No window starts after this day"})
    status = ma.fields.String(metadata={"description": "active or paused"})
    version = ma.fields.Integer(metadata={"description": "Send it back with every change"})
    targets = ma.fields.List(ma.fields.Nested(VisitPlanTargetSchema))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class VisitPlanEventSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String(metadata={"description": "created, changed, paused or resumed"})
    changes = ma.fields.Dict(metadata={"description": "Field: [before, after]"})


class VisitPlanDetailSchema(VisitPlanSchema):
    events = ma.fields.List(
        ma.fields.Nested(VisitPlanEventSchema), metadata={"description": "Audit trail, newest first"}
    )


class VisitPlanListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VisitPlanSchema))
    next_cursor = next_cursor_field()


class VisitPlanQueryArgsSchema(PageArgsSchema):
    team_id = id_field()
    status = ma.fields.String(validate=validate.OneOf(PLAN_STATUSES))


def _targets_fields():
    return {
        "communes": ma.fields.List(
            commune_code(), validate=validate.Length(max=TARGETS_MAX), metadata={"description": "Commune codes"}
        ),
        "site_ids": ma.fields.List(id_field(), validate=validate.Length(max=TARGETS_MAX)),
    }


class VisitPlanCreateSchema(ma.Schema):
    team_id = id_field(required=True)
    title = ma.fields.String(load_default="", validate=validate.Length(max=200))
    every = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=EVERY_MAX))
    unit = ma.fields.String(required=True, validate=validate.OneOf(INTERVAL_UNITS))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(load_default=None, allow_none=True)
    communes = _targets_fields()["communes"]
    site_ids = _targets_fields()["site_ids"]

    @ma.validates_schema
    def somewhere(self, data, **kwargs):
        if not data.get("communes") and not data.get("site_ids"):
            raise ma.ValidationError(gettext("Name at least one commune or site to visit."), "communes")
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError(gettext("Must not be before the first day."), "ends_on")


class VisitPlanPatchSchema(ChangeSchema):
    version = ma.fields.Integer(required=True, metadata={"description": "The version you saw; a stale one gets 409"})
    team_id = id_field()
    title = ma.fields.String(validate=validate.Length(max=200))
    every = ma.fields.Integer(validate=validate.Range(min=1, max=EVERY_MAX))
    unit = ma.fields.String(validate=validate.OneOf(INTERVAL_UNITS))
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date(allow_none=True)
    communes = _targets_fields()["communes"]
    site_ids = _targets_fields()["site_ids"]


class VersionSchema(ma.Schema):
    version = ma.fields.Integer(required=True, metadata={"description": "The version you saw; a stale one gets 409"})


class PlannedVisitSchema(ma.Schema):
    """One visit a plan asks for (the `planned_visits` of `/sync/changes`; apply by `id`)."""

    id = ma.fields.Integer()
    plan_id = ma.fields.Integer()
    title = ma.fields.Function(lambda row: row.plan.title, metadata={"description": "The plan's title"})
    team_id = ma.fields.Integer()
    target_key = ma.fields.String(metadata={"description": "`commune:CODE` or `site:ID`"})
    site_id = ma.fields.Integer(allow_none=True)
    admin_unit_code = ma.fields.String()
    province_code = ma.fields.String()
    window_start = ma.fields.Date(metadata={"description": "First day a visit counts (Viet Nam date)"})
    due_on = ma.fields.Date(metadata={"description": "Last day a visit counts: the due date"})
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    status = ma.fields.String(
        metadata={"description": f"One of {', '.join(PLANNED_VISIT_STATUSES)}; cancelled: no longer asked for"}
    )
    overdue = ma.fields.Method("_overdue", metadata={"description": "The window ended without a visit"})
    visit_id = ma.fields.UUID(allow_none=True, metadata={"description": "The visit that fulfilled it"})
    fulfilled_at = ma.fields.AwareDateTime(allow_none=True)
    missed_at = ma.fields.AwareDateTime(allow_none=True)
    updated_at = ma.fields.AwareDateTime()

    def _overdue(self, row) -> bool:
        return row.status == "missed" or (row.status == "due" and row.ends_at <= datetime.now(UTC))


class PlannedVisitListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PlannedVisitSchema))
    total = ma.fields.Integer()
    overdue = ma.fields.Integer(metadata={"description": "How many of them are overdue"})
    next_cursor = next_cursor_field()
    page = ma.fields.Integer(metadata={"deprecated": True, "description": "Only with the deprecated `page`"})


class PlannedVisitQueryArgsSchema(ma.Schema):
    team_id = id_field()
    admin_unit = ma.fields.String(
        validate=[
            validate.Length(max=5),
            validate.Regexp(r"^[0-9]{2}([0-9]{3})?$", error="A province (2 digits) or commune (5 digits) code."),
        ]
    )
    after = cursor_field("Cursor: the `next_cursor` of the previous page, as it came")
    page = ma.fields.Integer(
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "deprecated": True,
            "description": "Deprecated: use `after` with `next_cursor`. A page number, still accepted for a "
            "deprecation period; with it `after` is ignored and the answer has `page` and no `next_cursor`.",
        },
    )
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
