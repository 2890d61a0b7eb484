"""``/api/v1/reports/...``: thin views over the report computations, scoped by the caller's jurisdiction.
``format=csv|xlsx|geojson`` turns any table into a download; JSON is the default."""

from dataclasses import replace
from datetime import UTC, datetime

from flask import Response
from flask_smorest import Blueprint

from reports import examples, exports, tables
from reports.columns import cell_label, column_label
from reports.indicators import indicator_rows
from reports.parameters import PARTS, Area, Period, RankingOptions
from reports.places import geometry_of_rows
from reports.plan import make_plan
from reports.priorities import Ranking, rank
from reports.schemas import (
    AssistanceArgsSchema,
    AssistanceReportSchema,
    EquipmentArgsSchema,
    EquipmentReportSchema,
    IndicatorArgsSchema,
    IndicatorReportSchema,
    OnTimeArgsSchema,
    OnTimeReportSchema,
    OperatorReportSchema,
    PeriodArgsSchema,
    PlanArgsSchema,
    PlanReportSchema,
    PrioritiesReportSchema,
    PriorityArgsSchema,
    UnvisitedArgsSchema,
    UnvisitedReportSchema,
    VisitPlanArgsSchema,
    VisitPlanReportSchema,
)
from server.auth import current_scope, login_required
from server.extensions import db
from server.indicators.areas import resolve_area
from server.indicators.assistance import assistance_table
from server.indicators.connectivity import OPERATOR_FIELDS, connectivity_by_operator
from server.indicators.equipment import asset_list
from server.indicators.tickets import on_time_rows
from server.indicators.visit_plans import plan_completion
from server.indicators.visits import unvisited

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    description="Indicators, investment priorities and budgeted plans, per commune and province",
)
SECURITY = [{"bearerAuth": []}]
_FILE = {"schema": {"type": "string", "format": "binary"}}


def downloads(name: str) -> dict:
    """The other formats of a report's answer: CSV, XLSX and, for reports whose rows are places, GeoJSON (with
    its example)."""
    content = {"text/csv": _FILE, exports.MIMETYPES["xlsx"]: _FILE}
    if name in examples.GEOJSON:
        content["application/geo+json"] = {
            "schema": {"type": "object", "description": "A GeoJSON FeatureCollection"},
            "example": examples.GEOJSON[name],
        }
    return {200: {"content": content}}


SCORE_METHOD = (
    "score = sum over parts of weight x normalised; normalised = min(raw / cap, 1); "
    "a part without data counts 0 (see each part's note)"
)


def _area(args: dict) -> Area:
    area = resolve_area(db.session, current_scope(), args.get("province"), args.get("commune"))
    return replace(area, reviewed_only=args.get("reviewed_only", False))


def _download(table: exports.Table, args: dict, area: Area, period: Period | None = None) -> Response:
    """The table as a file named after the report, the area and the period."""
    fmt = args["format"]
    if fmt == "geojson" and table.geometry is None:
        table.geometry = geometry_of_rows(db.session, table.rows)
    place = area.commune or area.province or "all"
    dates = f"-{period.since:%Y%m%d}-{period.until:%Y%m%d}" if period else ""
    filename = f"fieldops-{table.name}-{place}{dates}.{fmt}"
    return Response(
        exports.render(table, fmt),
        content_type=exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _envelope(area: Area, period: Period) -> dict:
    return {"area": area.as_dict(), "period": {"since": period.since, "until": period.until}}


def build_indicators(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period = args["period"]
    rows = indicator_rows(db.session, current_scope(), area, period, args["level"], datetime.now(UTC))
    return {**_envelope(area, period), "level": args["level"], "items": rows}, tables.indicators_table(
        rows, args["level"]
    )


def _ranking(args: dict, area: Area) -> Ranking:
    options = RankingOptions(args["weights"], args["include_cells"], args["cell_resolution"])
    return rank(db.session, current_scope(), area, args["period"], datetime.now(UTC), options)


def build_priorities(args: dict, area: Area) -> tuple[dict, exports.Table]:
    ranking = _ranking(args, area)
    rows = ranking.rows(0, args["limit"])
    weights = args["weights"].as_dict()
    parts = [
        {"name": p.name, "description": p.description, "cap": p.cap, "unit": p.unit, "weight": weights[p.name]}
        for p in PARTS
    ]
    payload = {
        **_envelope(area, args["period"]),
        "method": SCORE_METHOD,
        "parts": parts,
        "total": len(ranking),
        "items": rows,
    }
    return payload, tables.priorities_table(rows)


def build_plan(args: dict, area: Area) -> tuple[dict, exports.Table]:
    result = make_plan(_ranking(args, area), args["costs"], args["budget"])
    payload = {**_envelope(area, args["period"]), "weights": args["weights"].as_dict(), **result}
    return payload, tables.plan_table(result)


def build_on_time(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period, group = args["period"], args["group_by"]
    rows = on_time_rows(db.session, current_scope(), area, period, group, datetime.now(UTC))
    return {**_envelope(area, period), "group_by": group, "items": rows}, tables.on_time_table(rows, group)


def build_assistance(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period, groups = args["period"], args["group_by"]
    rows = assistance_table(db.session, current_scope(), area, period, groups)
    payload = {**_envelope(area, period), "group_by": list(groups), "items": rows}
    return payload, tables.assistance_rows_table(rows, groups)


def build_unvisited(args: dict, area: Area) -> tuple[dict, exports.Table]:
    result = unvisited(db.session, current_scope(), area, args.get("until") or datetime.now(UTC), args["days"])
    return {"area": area.as_dict(), **result}, tables.unvisited_table(result, args["level"])


def build_operators(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period = args["period"]
    rows = connectivity_by_operator(db.session, current_scope(), area, period)
    return {**_envelope(area, period), "items": rows}, exports.Table("operators", list(OPERATOR_FIELDS), rows)


def build_equipment(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period = args["period"]
    rows = asset_list(db.session, current_scope(), area, period, args["limit"])
    return {**_envelope(area, period), "items": rows}, tables.equipment_table(rows)


def build_visit_plans(args: dict, area: Area) -> tuple[dict, exports.Table]:
    period, group = args["period"], args["group_by"]
    rows = plan_completion(db.session, current_scope(), area, period, group, datetime.now(UTC))
    return {**_envelope(area, period), "group_by": group, "items": rows}, tables.visit_plans_table(rows, group)


# name: (query schema, builder); the API and the report pages' download links share them.
REPORTS = {
    "indicators": (IndicatorArgsSchema, build_indicators),
    "investment-priorities": (PriorityArgsSchema, build_priorities),
    "plan": (PlanArgsSchema, build_plan),
    "on-time": (OnTimeArgsSchema, build_on_time),
    "assistance": (AssistanceArgsSchema, build_assistance),
    "unvisited": (UnvisitedArgsSchema, build_unvisited),
    "equipment": (EquipmentArgsSchema, build_equipment),
    "operators": (PeriodArgsSchema, build_operators),
    "visit-plans": (VisitPlanArgsSchema, build_visit_plans),
}


def respond(name: str, args: dict, for_people: bool = False):
    """The report as JSON (a dict for the response schema) or as the file ``format`` asks for; ``for_people``
    (the report pages' downloads) puts translated headers and labels instead of codes in CSV and XLSX."""
    area = _area(args)
    payload, table = REPORTS[name][1](args, area)
    if args["format"] == "json":
        return payload
    if for_people:
        table.header, table.cell = column_label, cell_label
    return _download(table, args, area, args.get("period"))


@blp.route("/operators")
@login_required()
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, OperatorReportSchema, example=examples.JSON["operators"])
@blp.doc(security=SECURITY, responses=downloads("operators"))
def operators(args):
    """Connectivity per mobile operator: readings and dead-spot share by MCC-MNC in the area and period."""
    return respond("operators", args)


@blp.route("/indicators")
@login_required()
@blp.arguments(IndicatorArgsSchema, location="query")
@blp.response(200, IndicatorReportSchema, example=examples.JSON["indicators"])
@blp.doc(security=SECURITY, responses=downloads("indicators"))
def indicators(args):
    """Connectivity, equipment, tickets, assistance and visits: one row per commune (or province)."""
    return respond("indicators", args)


@blp.route("/investment-priorities")
@login_required()
@blp.arguments(PriorityArgsSchema, location="query")
@blp.response(200, PrioritiesReportSchema, example=examples.JSON["investment-priorities"])
@blp.doc(security=SECURITY, responses=downloads("investment-priorities"))
def investment_priorities(args):
    """Communes (and H3 cells where no commune is known) ranked by gap score, each with its parts and weights."""
    return respond("investment-priorities", args)


@blp.route("/plan")
@login_required()
@blp.arguments(PlanArgsSchema, location="query")
@blp.response(200, PlanReportSchema, example=examples.JSON["plan"])
@blp.doc(security=SECURITY, responses=downloads("plan"))
def plan(args):
    """The interventions (tower, fibre extension, equipment replacement) that close the most weighted gap within
    the budget, never exceeding it; with the plain rank-by-score pick for comparison."""
    return respond("plan", args)


@blp.route("/on-time")
@login_required()
@blp.arguments(OnTimeArgsSchema, location="query")
@blp.response(200, OnTimeReportSchema, example=examples.JSON["on-time"])
@blp.doc(security=SECURITY, responses=downloads("on-time"))
def on_time(args):
    """On-time resolution rate (resolved by the due date / resolved), overdue now, median time to resolve and
    escalations, per commune, province or team."""
    return respond("on-time", args)


@blp.route("/assistance")
@login_required()
@blp.arguments(AssistanceArgsSchema, location="query")
@blp.response(200, AssistanceReportSchema, example=examples.JSON["assistance"])
@blp.doc(security=SECURITY, responses=downloads("assistance"))
def assistance(args):
    """Citizens helped by week, team and service (or commune, province), and the share needing language support."""
    return respond("assistance", args)


@blp.route("/unvisited")
@login_required()
@blp.arguments(UnvisitedArgsSchema, location="query")
@blp.response(200, UnvisitedReportSchema, example=examples.JSON["unvisited"])
@blp.doc(security=SECURITY, responses=downloads("unvisited"))
def unvisited_communes(args):
    """Communes with no visit in the last `days` days, and how many per province."""
    return respond("unvisited", args)


@blp.route("/equipment")
@login_required()
@blp.arguments(EquipmentArgsSchema, location="query")
@blp.response(200, EquipmentReportSchema, example=examples.JSON["equipment"])
@blp.doc(security=SECURITY, responses=downloads("equipment"))
def equipment(args):
    """Assets with their latest condition, oldest first, flagging repeat failures: the replacement list."""
    return respond("equipment", args)


@blp.route("/visit-plans")
@login_required()
@blp.arguments(VisitPlanArgsSchema, location="query")
@blp.response(200, VisitPlanReportSchema, example=examples.JSON["visit-plans"])
@blp.doc(security=SECURITY, responses=downloads("visit-plans"))
def visit_plan_completion(args):
    """Visit plan completion per team or commune: of the planned visits whose window ended in the period, how many
    a visit by the team made in time (`completion_rate`), how many were missed, and how many wait or are overdue
    now."""
    return respond("visit-plans", args)
