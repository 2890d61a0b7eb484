"""Recurring visit plans: coordinators and admins plan which team visits which communes or sites and how often;
everyone reads the plans of their area and the visits waiting to be made (overdue first)."""

from datetime import UTC, datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from field_app_api.common import PageArgsSchema, keyset_page, page
from field_app_api.visit_plans import examples
from field_app_api.visit_plans.schemas import (
    PlannedVisitListSchema,
    PlannedVisitQueryArgsSchema,
    VersionSchema,
    VisitPlanCreateSchema,
    VisitPlanDetailSchema,
    VisitPlanListSchema,
    VisitPlanPatchSchema,
    VisitPlanQueryArgsSchema,
    VisitPlanSchema,
)
from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user, login_required, require_role
from server.extensions import db
from server.models import PlannedVisit, VisitPlan
from server.services import visit_plans

blp = Blueprint(
    "visit_plans", __name__, url_prefix="/visit-plans", description="Recurring visit plans and the visits they ask for"
)
SECURITY = [{"bearerAuth": []}]


def _plan(plan_id: int) -> VisitPlan:
    return visit_plans.get_plan(db.session, current_user(), current_scope(), plan_id)


def _detail(plan: VisitPlan):
    plan.events = visit_plans.plan_events(db.session, plan)
    return plan


@blp.route("")
class VisitPlans(MethodView):
    decorators = [login_required()]

    @blp.arguments(VisitPlanQueryArgsSchema, location="query")
    @blp.response(200, VisitPlanListSchema, example=examples.PLANS)
    @blp.doc(security=SECURITY)
    def get(self, args):
        """The plans of your area (and your team's)."""
        query = visit_plans.visible_plans(current_user(), current_scope())
        if "team_id" in args:
            query = query.where(VisitPlan.team_id == args["team_id"])
        if "status" in args:
            query = query.where(VisitPlan.status == args["status"])
        return keyset_page(query, (VisitPlan.id,), (cursors.ROW_ID,), args)

    @require_role(*MANAGER_ROLES)
    @blp.arguments(VisitPlanCreateSchema, example=examples.CREATE)
    @blp.response(201, VisitPlanDetailSchema, example=examples.DETAIL)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Plan recurring visits (coordinators within their area, admins): the windows from `starts_on` to today
        are made at once, so a plan that starts in the past shows its missed visits."""
        plan = visit_plans.create_plan(db.session, current_user(), current_scope(), **data)
        db.session.commit()
        return _detail(plan)


@blp.route("/<int:plan_id>")
class VisitPlanDetail(MethodView):
    decorators = [login_required()]

    @blp.response(200, VisitPlanDetailSchema, example=examples.DETAIL)
    @blp.doc(security=SECURITY)
    def get(self, plan_id):
        """One plan with its audit trail."""
        return _detail(_plan(plan_id))

    @require_role(*MANAGER_ROLES)
    @blp.arguments(VisitPlanPatchSchema, example=examples.PATCH)
    @blp.response(200, VisitPlanDetailSchema, example=examples.PATCHED)
    @blp.doc(security=SECURITY)
    def patch(self, data, plan_id):
        """Change title, team, rhythm or places, naming the version (409 when stale). A new team or rhythm applies
        from today; past visits keep their state."""
        plan = visit_plans.update_plan(db.session, current_user(), current_scope(), _plan(plan_id), data)
        db.session.commit()
        return _detail(plan)


def _set_paused(plan_id: int, version: int, paused: bool) -> VisitPlan:
    plan = _plan(plan_id)
    visit_plans.set_paused(db.session, current_user(), current_scope(), plan, paused, version)
    db.session.commit()
    return plan


@blp.route("/<int:plan_id>/pause", methods=["POST"])
@login_required(MANAGER_ROLES)
@blp.arguments(VersionSchema, example=examples.PAUSE)
@blp.response(200, VisitPlanSchema, example=examples.PAUSED)
@blp.doc(security=SECURITY)
def pause(data, plan_id):
    """Pause a plan: the open visit is withdrawn and none is asked for until it resumes (idempotent)."""
    return _set_paused(plan_id, data["version"], True)


@blp.route("/<int:plan_id>/resume", methods=["POST"])
@login_required(MANAGER_ROLES)
@blp.arguments(VersionSchema, example=examples.RESUME)
@blp.response(200, VisitPlanSchema, example=examples.RESUMED)
@blp.doc(security=SECURITY)
def resume(data, plan_id):
    """Resume a paused plan from today's window (idempotent)."""
    return _set_paused(plan_id, data["version"], False)


@blp.route("/<int:plan_id>/visits")
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, PlannedVisitListSchema, example=examples.PLAN_VISITS)
@blp.doc(security=SECURITY)
def plan_visits(args, plan_id):
    """Every window of one plan so far, newest first (then by place): due, fulfilled (with the visit), missed or
    cancelled; `total` and `overdue` count all pages."""
    plan = _plan(plan_id)
    now = datetime.now(UTC)
    query = select(PlannedVisit).where(PlannedVisit.plan_id == plan.id)
    counted = select(func.count()).select_from(PlannedVisit).where(PlannedVisit.plan_id == plan.id)
    counts = {
        "total": db.session.scalar(counted),
        "overdue": db.session.scalar(counted.where(visit_plans.overdue_condition(now))),
    }
    keys, shape, descending = visit_plans.WINDOW_KEYS, visit_plans.WINDOW_CURSOR, visit_plans.WINDOW_DESCENDING
    return {**keyset_page(query, keys, shape, args, descending), **counts}


@blp.route("/queue")
@login_required()
@blp.arguments(PlannedVisitQueryArgsSchema, location="query")
@blp.response(200, PlannedVisitListSchema, example=examples.PLANNED_VISITS)
@blp.doc(security=SECURITY)
def queue(args):
    """Visits waiting to be made in your area (or one team's, one commune's or province's): overdue first, then by
    due date. A visit recorded there by that team within the window takes it off the queue."""
    now = datetime.now(UTC)
    query = visit_plans.queue_query(current_scope(), now, args.get("team_id"), args.get("admin_unit"))
    counted = query.order_by(None).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted))
    overdue = db.session.scalar(
        select(func.count()).select_from(query.where(visit_plans.overdue_condition(now)).order_by(None).subquery())
    )
    limit, counts = args["limit"], {"total": total, "overdue": overdue}
    if "page" in args:  # deprecated offset pages: a cursor given with them is ignored
        items = db.session.scalars(query.limit(limit).offset((args["page"] - 1) * limit))
        return {"items": list(items), **counts, "page": args["page"]}
    query = visit_plans.queue_query(
        current_scope(), now, args.get("team_id"), args.get("admin_unit"), after=args.get("after")
    )
    rows = list(db.session.scalars(query.limit(limit + 1)))
    return {**page(rows, limit, lambda row: visit_plans.queue_cursor(row, now)), **counts}
