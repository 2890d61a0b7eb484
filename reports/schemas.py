"""Query and response schemas of ``/api/v1/reports/...``: they validate the query (422 naming the field) and
document the answers in the OpenAPI document."""

from datetime import UTC, datetime

import marshmallow as ma
from flask_babel import gettext
from marshmallow import validate
from webargs.fields import DelimitedList

from field_app_api.common import AwareDateTime
from reports import indicators
from reports.exports import FORMATS
from reports.parameters import DEFAULT_PERIOD_DAYS, PARTS, Costs, Period, Weights
from reports.priorities import FACT_FIELDS
from server.indicators import assistance, tickets

WEIGHT_FIELDS = tuple(f"weight_{part.name}" for part in PARTS)
_DEFAULT_WEIGHTS = Weights()
_DEFAULT_COSTS = Costs()


class AreaArgsSchema(ma.Schema):
    province = ma.fields.String(
        validate=validate.Regexp(r"^[0-9]{2}$", error="A province code is two digits, e.g. 15."),
        metadata={"description": "Official province code; default: your whole jurisdiction", "example": "15"},
    )
    commune = ma.fields.String(
        validate=validate.Regexp(r"^[0-9]{5}$", error="A commune code is five digits, e.g. 04603."),
        metadata={"description": "Official commune/ward code", "example": "04603"},
    )
    format = ma.fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json (default), or a download: csv (UTF-8 with BOM), xlsx, geojson"},
    )
    reviewed_only = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Count only field records a reviewer approved (rejected ones never count)"},
    )


class PeriodArgsSchema(AreaArgsSchema):
    since = AwareDateTime(
        metadata={
            "description": f"Start of the period, inclusive, moved back to the start of its day (Viet Nam time); "
            f"default: the {DEFAULT_PERIOD_DAYS} days up to the day of until"
        }
    )
    until = AwareDateTime(
        metadata={"description": "End of the period, exclusive, moved on to the end of its day; default: now"}
    )

    @ma.post_load
    def make_period(self, data, **kwargs):
        until = data.pop("until", None) or datetime.now(UTC)
        since = data.pop("since", None)
        if since is None:
            data["period"] = Period.ending(until)
            return data
        if since >= until:
            raise ma.ValidationError(gettext("Must be before until (default: now)."), "since")
        data["period"] = Period(since, until)
        return data


class IndicatorArgsSchema(PeriodArgsSchema):
    level = ma.fields.String(
        load_default="commune",
        validate=validate.OneOf(indicators.LEVELS),
        metadata={"description": "One row per commune (default) or per province"},
    )


def _weight_field(name: str) -> ma.fields.Float:
    part = next(p for p in PARTS if p.name == name)
    default = getattr(_DEFAULT_WEIGHTS, name)
    return ma.fields.Float(
        load_default=default,
        validate=validate.Range(min=0, max=100),
        allow_nan=False,
        metadata={"description": f"Weight of {name} ({part.description}); default {default}"},
    )


class PriorityArgsSchema(PeriodArgsSchema):
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=10_000))
    include_cells = ma.fields.Boolean(
        load_default=True, metadata={"description": "Also rank H3 cells for records placed in no commune"}
    )
    cell_resolution = ma.fields.Integer(
        load_default=6, validate=validate.Range(min=3, max=8), metadata={"description": "H3 resolution of ranked cells"}
    )
    weight_dead_spot_share = _weight_field("dead_spot_share")
    weight_people_affected = _weight_field("people_affected")
    weight_broken_equipment = _weight_field("broken_equipment")
    weight_open_tickets = _weight_field("open_tickets")
    weight_overdue_tickets = _weight_field("overdue_tickets")
    weight_assistance_demand = _weight_field("assistance_demand")

    @ma.validates_schema
    def some_weight(self, data, **kwargs):
        if all(data.get(name, 1) == 0 for name in WEIGHT_FIELDS):
            message = "All weights are 0: at least one must be above 0."
            raise ma.ValidationError({name: [message] for name in WEIGHT_FIELDS})

    @ma.post_load
    def make_weights(self, data, **kwargs):
        data["weights"] = Weights(**{part.name: data.pop(f"weight_{part.name}") for part in PARTS})
        return data


def _cost_field(name: str, description: str) -> ma.fields.Integer:
    default = getattr(_DEFAULT_COSTS, name)
    return ma.fields.Integer(
        load_default=default,
        validate=validate.Range(min=1, max=10**13),
        metadata={"description": f"{description}, VND; default {default:,}"},
    )


def _share_field(name: str, description: str) -> ma.fields.Float:
    default = getattr(_DEFAULT_COSTS, name)
    return ma.fields.Float(
        load_default=default,
        validate=validate.Range(min=0, max=1),
        allow_nan=False,
        metadata={"description": f"{description}; default {default}"},
    )


class PlanArgsSchema(PriorityArgsSchema):
    budget = ma.fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=10**15, error="Must be a positive amount of VND."),
        metadata={"description": "Money available, VND (> 0)", "example": 20_000_000_000},
    )
    cost_tower = _cost_field("tower", "A new 4G base station with mast, power and backhaul")
    cost_fibre = _cost_field("fibre", "Extending fibre from existing fixed broadband (about 5 km)")
    cost_equipment = _cost_field("equipment", "Replacing one broken or missing asset")
    tower_min_dead_spot_share = _share_field(
        "tower_min_dead_spot_share", "Dead-spot share from which a tower is proposed"
    )
    fibre_min_dead_spot_share = _share_field(
        "fibre_min_dead_spot_share", "Dead-spot share from which a fibre extension is proposed"
    )

    @ma.post_load
    def make_costs(self, data, **kwargs):
        data["costs"] = Costs(
            tower=data.pop("cost_tower"),
            fibre=data.pop("cost_fibre"),
            equipment=data.pop("cost_equipment"),
            tower_min_dead_spot_share=data.pop("tower_min_dead_spot_share"),
            fibre_min_dead_spot_share=data.pop("fibre_min_dead_spot_share"),
        )
        return data


class OnTimeArgsSchema(PeriodArgsSchema):
    group_by = ma.fields.String(load_default="commune", validate=validate.OneOf(tickets.GROUPS))

    @ma.validates_schema
    def geojson_needs_a_place(self, data, **kwargs):
        if data.get("format") == "geojson" and data.get("group_by") == "team":
            raise ma.ValidationError(
                gettext("GeoJSON needs rows that are places: group by commune or province."), "format"
            )


class AssistanceArgsSchema(PeriodArgsSchema):
    group_by = DelimitedList(
        ma.fields.String(validate=validate.OneOf(assistance.GROUPS)),
        metadata={"description": "Comma-separated: week, team, service, province, commune; default week,team,service"},
    )

    @ma.validates_schema
    def geojson_not_offered(self, data, **kwargs):
        if data.get("format") == "geojson":
            raise ma.ValidationError(gettext("Assistance rows are not places: use json, csv or xlsx."), "format")

    @ma.post_load
    def default_groups(self, data, **kwargs):
        data["group_by"] = tuple(dict.fromkeys(data.get("group_by") or assistance.DEFAULT_GROUPS))
        return data


class UnvisitedArgsSchema(AreaArgsSchema):
    days = ma.fields.Integer(
        load_default=90,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "A commune with no visit in this many days before `until` is listed"},
    )
    until = AwareDateTime(metadata={"description": "Count back from this time; default: now"})
    level = ma.fields.String(
        load_default="commune",
        validate=validate.OneOf(indicators.LEVELS),
        metadata={"description": "Table for downloads: unvisited communes (default) or counts per province"},
    )


class EquipmentArgsSchema(PeriodArgsSchema):
    limit = ma.fields.Integer(load_default=500, validate=validate.Range(min=1, max=10_000))


# --- Responses ----------------------------------------------------------------------------------------------


class PeriodSchema(ma.Schema):
    since = AwareDateTime()
    until = AwareDateTime()


class AreaSchema(ma.Schema):
    province = ma.fields.String(allow_none=True)
    commune = ma.fields.String(allow_none=True)
    reviewed_only = ma.fields.Boolean()


def _figure_field(name: str) -> ma.fields.Field:
    if name == "last_visit_at":
        return AwareDateTime(allow_none=True)
    if name in indicators.NULLABLE:
        return ma.fields.Float(allow_none=True)
    return ma.fields.Integer()


def _place_fields() -> dict:
    return {
        "province_code": ma.fields.String(),
        "province_name": ma.fields.String(),
        "commune_code": ma.fields.String(allow_none=True),
        "commune_name": ma.fields.String(allow_none=True),
    }


IndicatorRowSchema = ma.Schema.from_dict(
    {
        **_place_fields(),
        "population": ma.fields.Integer(allow_none=True, metadata={"description": "null: unknown"}),
        **{name: _figure_field(name) for name in indicators.FIELDS},
    },
    name="IndicatorRow",
)


class IndicatorReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    level = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(IndicatorRowSchema))


class OperatorRowSchema(ma.Schema):
    operator_code = ma.fields.String(allow_none=True, metadata={"description": "MCC-MNC; null: not given"})
    operator_name = ma.fields.String(allow_none=True, metadata={"description": "From the operator table"})
    readings = ma.fields.Integer()
    dead_spot_readings = ma.fields.Integer()
    dead_spot_share = ma.fields.Float(allow_none=True)


class OperatorReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    items = ma.fields.List(ma.fields.Nested(OperatorRowSchema))


class ScorePartSchema(ma.Schema):
    name = ma.fields.String()
    raw = ma.fields.Raw(allow_none=True, metadata={"type": "number", "description": "null: no data (counts 0)"})
    normalised = ma.fields.Float(metadata={"description": "min(raw / cap, 1)"})
    weight = ma.fields.Float()
    contribution = ma.fields.Float(metadata={"description": "weight x normalised"})
    note = ma.fields.String()


class PartDefinitionSchema(ma.Schema):
    name = ma.fields.String()
    description = ma.fields.String()
    cap = ma.fields.Float(metadata={"description": "raw value at which the part counts fully"})
    unit = ma.fields.String()
    weight = ma.fields.Float()


PriorityRowSchema = ma.Schema.from_dict(
    {
        "rank": ma.fields.Integer(),
        "place_kind": ma.fields.String(metadata={"description": "commune, or h3_cell where no commune is known"}),
        "code": ma.fields.String(metadata={"description": "commune code or H3 cell index"}),
        "name": ma.fields.String(),
        "province_code": ma.fields.String(),
        "province_name": ma.fields.String(allow_none=True),
        "population": ma.fields.Integer(allow_none=True, metadata={"description": "null: unknown"}),
        "score": ma.fields.Float(metadata={"description": "sum of the parts' contributions"}),
        "parts": ma.fields.List(ma.fields.Nested(ScorePartSchema)),
        "dead_spot_share": ma.fields.Float(allow_none=True),
        **{name: ma.fields.Integer() for name in FACT_FIELDS},
    },
    name="PriorityRow",
)


class PrioritiesReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    method = ma.fields.String()
    parts = ma.fields.List(ma.fields.Nested(PartDefinitionSchema))
    total = ma.fields.Integer(metadata={"description": "Places ranked (items holds the first `limit`)"})
    items = ma.fields.List(ma.fields.Nested(PriorityRowSchema))


class ClosedPartSchema(ma.Schema):
    part = ma.fields.String()
    gap_closed = ma.fields.Float()
    assets = ma.fields.Integer()


class PlanItemSchema(ma.Schema):
    rank = ma.fields.Integer()
    place_kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    province_code = ma.fields.String()
    province_name = ma.fields.String(allow_none=True)
    score = ma.fields.Float()
    intervention = ma.fields.String(metadata={"description": "tower, fibre or equipment"})
    quantity = ma.fields.Integer()
    unit_cost = ma.fields.Integer(metadata={"description": "VND"})
    cost = ma.fields.Integer(metadata={"description": "VND"})
    gap_closed = ma.fields.Float(metadata={"description": "Score closed: the value of the item"})
    gap_closed_per_billion_vnd = ma.fields.Float()
    closes = ma.fields.List(ma.fields.Nested(ClosedPartSchema))


class RankByScoreSchema(ma.Schema):
    total_cost = ma.fields.Integer()
    gap_closed = ma.fields.Float()
    places = ma.fields.List(ma.fields.String())


class PlanReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    budget = ma.fields.Integer()
    costs = ma.fields.Dict(metadata={"description": "The costs (VND) and thresholds used"})
    weights = ma.fields.Dict()
    total_cost = ma.fields.Integer(metadata={"description": "Never more than budget"})
    unspent = ma.fields.Integer()
    gap_closed = ma.fields.Float()
    budget_unit = ma.fields.Integer(metadata={"description": "VND per unit of the dynamic programme"})
    exact = ma.fields.Boolean()
    candidates = ma.fields.Integer()
    method = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(PlanItemSchema))
    rank_by_score = ma.fields.Nested(
        RankByScoreSchema, metadata={"description": "The plain pick for comparison: places in score order"}
    )


OnTimeRowSchema = ma.Schema.from_dict(
    {
        "team_id": ma.fields.Integer(allow_none=True),
        "team_name": ma.fields.String(),
        "team_kind": ma.fields.String(allow_none=True),
        **_place_fields(),
        **{name: _figure_field(name) for name in tickets.FIELDS},
    },
    name="OnTimeRow",
)


class OnTimeReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    group_by = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(OnTimeRowSchema))


AssistanceRowSchema = ma.Schema.from_dict(
    {
        "week": ma.fields.String(metadata={"description": "Monday of the week (Viet Nam time), YYYY-MM-DD"}),
        "team_id": ma.fields.Integer(allow_none=True),
        "team_name": ma.fields.String(),
        "service": ma.fields.String(),
        **_place_fields(),
        **{name: _figure_field(name) for name in assistance.FIELDS},
    },
    name="AssistanceRow",
)


class AssistanceReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    group_by = ma.fields.List(ma.fields.String())
    items = ma.fields.List(ma.fields.Nested(AssistanceRowSchema))


class UnvisitedCommuneSchema(ma.Schema):
    province_code = ma.fields.String()
    province_name = ma.fields.String()
    commune_code = ma.fields.String()
    commune_name = ma.fields.String()
    last_visit_at = AwareDateTime(allow_none=True, metadata={"description": "null: never visited"})
    days_since_visit = ma.fields.Integer(allow_none=True)


class UnvisitedProvinceSchema(ma.Schema):
    province_code = ma.fields.String()
    province_name = ma.fields.String()
    communes = ma.fields.Integer()
    unvisited = ma.fields.Integer()
    unvisited_share = ma.fields.Float(allow_none=True)


class UnvisitedReportSchema(ma.Schema):
    area = ma.fields.Nested(AreaSchema)
    as_of = AwareDateTime()
    days = ma.fields.Integer()
    provinces = ma.fields.List(ma.fields.Nested(UnvisitedProvinceSchema))
    communes = ma.fields.List(ma.fields.Nested(UnvisitedCommuneSchema))


class AssetSchema(ma.Schema):
    province_code = ma.fields.String()
    commune_code = ma.fields.String()
    site_id = ma.fields.Integer(allow_none=True)
    site_name = ma.fields.String(allow_none=True)
    asset_kind = ma.fields.String()
    asset_label = ma.fields.String()
    condition = ma.fields.String(metadata={"description": "At the latest check before the end of the period"})
    age_years = ma.fields.Float(allow_none=True)
    failures_in_period = ma.fields.Integer()
    repeat_failure = ma.fields.Boolean(metadata={"description": "Failed twice or more in the period"})
    last_checked_at = AwareDateTime()


class EquipmentReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    items = ma.fields.List(ma.fields.Nested(AssetSchema))


class VisitPlanArgsSchema(PeriodArgsSchema):
    group_by = ma.fields.String(load_default="commune", validate=validate.OneOf(("commune", "team")))

    @ma.validates_schema
    def geojson_needs_a_place(self, data, **kwargs):
        if data.get("format") == "geojson" and data.get("group_by") == "team":
            raise ma.ValidationError(
                gettext("GeoJSON needs rows that are places: group by commune or province."), "format"
            )


class VisitPlanRowSchema(ma.Schema):
    team_id = ma.fields.Integer()
    team_name = ma.fields.String()
    province_code = ma.fields.String(allow_none=True)
    commune_code = ma.fields.String()
    commune_name = ma.fields.String()
    windows_ended = ma.fields.Integer(metadata={"description": "Planned visits whose window ended in the period"})
    fulfilled = ma.fields.Integer(metadata={"description": "Of those, made by the team within the window"})
    missed = ma.fields.Integer()
    completion_rate = ma.fields.Float(allow_none=True, metadata={"description": "fulfilled / windows_ended"})
    waiting_now = ma.fields.Integer(metadata={"description": "Windows running now without a visit yet"})
    overdue_now = ma.fields.Integer(metadata={"description": "Windows ended without a visit, as of now"})


class VisitPlanReportSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    area = ma.fields.Nested(AreaSchema)
    group_by = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(VisitPlanRowSchema))
