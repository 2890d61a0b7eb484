"""Plain HTML ticket queues per team and per commune (or province): overdue first, highlighted."""

from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from server.auth import current_scope, current_user
from server.errors import NotFound
from server.extensions import db
from server.models import AdminUnit, Team
from server.models.records import CATEGORIES
from server.models.tickets import ACTIVE_STATUSES, STATUSES, Ticket
from server.services.calendar import VIETNAM
from server.services.teams import visible_teams
from server.services.tickets import overdue_condition, queue_query, status_counts
from server.web.session import page_login_required

blp = Blueprint("queues", __name__, url_prefix="/queues")
PAGE_SIZE = 200


def _filters() -> dict:
    filters: dict = {}
    status = request.args.get("status", "")
    if status in STATUSES:
        filters["status"] = [status]
    elif status != "all":
        filters["status"] = list(ACTIVE_STATUSES)
    if request.args.get("category") in CATEGORIES:
        filters["category"] = request.args["category"]
    if request.args.get("overdue") == "1":
        filters["overdue"] = True
    return filters


def _render(heading: str, filters: dict):
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
    return render_template(
        "queue.html",
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
        tz=VIETNAM,
    )


@blp.get("/teams/<int:team_id>")
@page_login_required
def team_queue(team_id: int):
    user = current_user()
    team = db.session.scalars(
        visible_teams(current_scope(), user.team_id, user.role in ("coordinator", "admin")).where(Team.id == team_id)
    ).first()
    if team is None:
        raise NotFound(f"No team {team_id} that you can see.")
    return _render(f"Tickets of {team.name}", {**_filters(), "team": team.id})


@blp.get("/admin-units/<code>")
@page_login_required
def unit_queue(code: str):
    unit = db.session.get(AdminUnit, code)
    if unit is None or not current_scope().covers(unit):
        raise NotFound(f"No admin unit {code} in your jurisdiction.")
    return _render(f"Tickets in {unit.name}", {**_filters(), "admin_unit": unit.code})


home_blp = Blueprint("home", __name__)


@home_blp.get("/")
@page_login_required
def home():
    """Links to the queues the user can open, and to the API documentation."""
    user = current_user()
    teams = list(
        db.session.scalars(
            visible_teams(current_scope(), user.team_id, user.role in ("coordinator", "admin")).order_by(Team.name)
        )
    )
    scope = current_scope()
    units = (
        []
        if scope.everywhere
        else list(
            db.session.scalars(
                select(AdminUnit)
                .where(AdminUnit.code.in_(sorted(scope.provinces | scope.communes)))
                .order_by(AdminUnit.code)
            )
        )
    )
    if scope.everywhere:
        units = list(
            db.session.scalars(select(AdminUnit).where(AdminUnit.level == "province").order_by(AdminUnit.code))
        )
    return render_template("home.html", teams=teams, units=units)
