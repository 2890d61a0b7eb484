"""Plain HTML work queues per team and per commune (or province): tickets and the visits plans ask for, overdue
first, highlighted."""

from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from server.auth import MANAGER_ROLES, current_scope, current_user
from server.errors import NotFound
from server.extensions import db
from server.models import AdminUnit, PlannedVisit, Team
from server.models.records import CATEGORIES
from server.models.tickets import STATUS_GROUPS, STATUSES, Ticket, expand_statuses
from server.services import visit_plans
from server.services.teams import visible_teams
from server.services.tickets import overdue_condition, queue_query, status_counts
from server.web.session import page_login_required

blp = Blueprint("queues", __name__, url_prefix="/queues")
PAGE_SIZE = 200


def _filters() -> dict:
    filters: dict = {}
    # The API's status vocabulary and groups; anything else (an old "all" link included) is the default.
    try:
        filters["status"] = expand_statuses([request.args.get("status") or "active"])
    except ValueError:
        filters["status"] = list(STATUS_GROUPS["active"])
    if request.args.get("category") in CATEGORIES:
        filters["category"] = request.args["category"]
    if request.args.get("overdue") == "1":
        filters["overdue"] = True
    return filters


def _render(heading: str, filters: dict, with_queues: bool = False):
    now = datetime.now(UTC)
    scope = current_scope()
    query = queue_query(db.session, scope, filters, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    tickets = list(db.session.scalars(query.limit(PAGE_SIZE)))
    ids = [t.id for t in tickets]
    overdue_ids = set(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), overdue_condition(now))))
    codes = {t.admin_unit_code for t in tickets}
    unit_names = dict(db.session.execute(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes))).all())
    shown = {
        "status": request.args.get("status", ""),
        "category": request.args.get("category", ""),
        "overdue": filters.get("overdue", False),
    }
    teams, units = _queue_links() if with_queues else ([], [])
    planned_query = visit_plans.queue_query(scope, now, filters.get("team"), filters.get("admin_unit"))
    planned = list(db.session.scalars(planned_query.limit(PAGE_SIZE)))
    planned_overdue = set(
        db.session.scalars(
            select(PlannedVisit.id).where(
                PlannedVisit.id.in_([row.id for row in planned]), visit_plans.overdue_condition(now)
            )
        )
    )
    unit_names.update(
        db.session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_({row.admin_unit_code for row in planned}))
        ).all()
    )
    return render_template(
        "queue.html",
        planned=planned,
        planned_overdue=planned_overdue,
        teams=teams,
        units=units,
        heading=heading,
        tickets=tickets,
        total=total,
        counts=status_counts(db.session, scope, {k: v for k, v in filters.items() if k != "status"}, now),
        overdue_ids=overdue_ids,
        unit_names=unit_names,
        statuses=STATUSES,
        categories=CATEGORIES,
        filters=shown,
        now=now,
    )


@blp.get("/teams/<int:team_id>")
@page_login_required
def team_queue(team_id: int):
    user = current_user()
    team = db.session.scalars(
        visible_teams(current_scope(), user.team_id, user.role in MANAGER_ROLES).where(Team.id == team_id)
    ).first()
    if team is None:
        raise NotFound(_("No team %(id)s that you can see.", id=team_id))
    return _render(_("Tickets of %(team)s", team=team.name), {**_filters(), "team": team.id})


@blp.get("/admin-units/<code>")
@page_login_required
def unit_queue(code: str):
    unit = db.session.get(AdminUnit, code)
    if unit is None or not current_scope().covers(unit):
        raise NotFound(_("No admin unit %(code)s in your jurisdiction.", code=code))
    return _render(_("Tickets in %(place)s", place=unit.name), {**_filters(), "admin_unit": unit.code})


@blp.get("/")
@page_login_required
def area_queue():
    """Every ticket of the person's area, with links to the queues of their teams and places."""
    return _render(_("Tickets in your area"), _filters(), with_queues=True)


def _queue_links() -> tuple[list, list]:
    user = current_user()
    scope = current_scope()
    teams = list(db.session.scalars(visible_teams(scope, user.team_id, user.role in MANAGER_ROLES).order_by(Team.name)))
    if scope.everywhere:
        units_query = select(AdminUnit).where(AdminUnit.level == "province")
    else:
        units_query = select(AdminUnit).where(AdminUnit.code.in_(sorted(scope.provinces | scope.communes)))
    return teams, list(db.session.scalars(units_query.order_by(AdminUnit.code)))
