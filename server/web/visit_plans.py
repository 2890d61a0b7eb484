"""Pages for recurring visit plans: everyone sees the plans of their area (and their team's); coordinators and
admins create, change, pause and resume them. The rules are the service's (``server.services.visit_plans``), the
same as the API's; every change leaves an event in the plan's history."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from wtforms import SelectChoice

from server import cursors
from server.auth import MANAGER_ROLES, current_scope, current_user
from server.errors import Conflict, Forbidden, InvalidInput
from server.extensions import db
from server.models import AdminUnit, PlannedVisit, Site, Team, VisitPlan
from server.services import visit_plans
from server.services.teams import visible_teams
from server.web.forms import ConfirmForm, VisitPlanForm
from server.web.paging import keyset_rows
from server.web.session import page_login_required

blp = Blueprint("visit_plan_pages", __name__)
CHOICES_MAX = 2000
WINDOWS_SHOWN = 30


def _require_manager() -> None:
    if current_user().role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only coordinators and administrators plan visits."))


def _prepare(form: VisitPlanForm) -> None:
    """Teams, communes and sites of the manager's area, by name."""
    user, scope = current_user(), current_scope()
    teams = db.session.scalars(visible_teams(scope, user.team_id, whole_scope=True).order_by(Team.name))
    form.team_id.choices = [SelectChoice(str(team.id), team.name) for team in teams]
    communes = db.session.execute(
        select(AdminUnit.code, AdminUnit.name)
        .where(AdminUnit.level == "commune", scope.unit_filter())
        .order_by(AdminUnit.parent_code, AdminUnit.name)
        .limit(CHOICES_MAX)
    )
    form.communes.choices = [SelectChoice(code, name) for code, name in communes]
    sites = db.session.scalars(
        select(Site)
        .where(scope.filter(Site.admin_unit_code, Site.province_code))
        .order_by(Site.admin_unit_code, Site.name)
        .limit(CHOICES_MAX)
    )
    form.site_ids.choices = [SelectChoice(site.id, site.name) for site in sites]


def _data(form: VisitPlanForm) -> dict:
    return {
        "team_id": form.team_id.data,
        "title": form.title.data or "",
        "every": form.every.data,
        "unit": form.unit.data,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "communes": list(form.communes.data or []),
        "site_ids": list(form.site_ids.data or []),
    }


def _show_errors(form: VisitPlanForm, problem: InvalidInput) -> None:
    for name, messages in (problem.errors or {}).items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(messages)


@blp.get("/visit-plans")
@page_login_required
def plans_page():
    """The plans of the person's area, with how many visits each has waiting and overdue."""
    user, scope = current_user(), current_scope()
    page = keyset_rows(visit_plans.visible_plans(user, scope), (VisitPlan.id,), (cursors.ROW_ID,), descending=True)
    plans = page.rows
    now = datetime.now(UTC)
    counts: dict[int, int] = {}
    for (plan_id,) in db.session.execute(
        select(PlannedVisit.plan_id).where(
            PlannedVisit.plan_id.in_([plan.id for plan in plans]), visit_plans.overdue_condition(now)
        )
    ):
        counts[plan_id] = counts.get(plan_id, 0) + 1
    return render_template(
        "visit_plans.html", plans=plans, page=page, overdue=counts, manager=user.role in MANAGER_ROLES
    )


@blp.route("/visit-plans/new", methods=["GET", "POST"])
@page_login_required
def new_plan_page():
    _require_manager()
    form = VisitPlanForm()
    _prepare(form)
    if form.validate_on_submit():
        try:
            plan = visit_plans.create_plan(db.session, current_user(), current_scope(), **_data(form))
        except InvalidInput as problem:
            db.session.rollback()
            _show_errors(form, problem)
        else:
            db.session.commit()
            flash(gettext("Visit plan created."))
            return redirect(url_for("visit_plan_pages.plan_page", plan_id=plan.id))
    return render_template("visit_plan_form.html", form=form, plan=None)


@blp.route("/visit-plans/<int:plan_id>", methods=["GET", "POST"])
@page_login_required
def plan_page(plan_id: int):
    """One plan: its places and rhythm, the recent windows and their state, its history; managers edit it."""
    user, scope = current_user(), current_scope()
    plan = visit_plans.get_plan(db.session, user, scope, plan_id)
    manager = visit_plans.may_manage_plan(user, scope, plan)
    if request.method == "POST" and not manager:
        raise Forbidden(gettext("Only a coordinator of every place of this plan may change it."))
    form = VisitPlanForm()
    if manager:
        _prepare(form)
        if form.validate_on_submit():
            data = {**_data(form), "version": form.version.data}
            try:
                visit_plans.update_plan(db.session, user, scope, plan, data)
            except InvalidInput as problem:
                db.session.rollback()
                _show_errors(form, problem)
            except Conflict as problem:
                db.session.rollback()
                form.form_errors.append(problem.detail)
            else:
                db.session.commit()
                flash(gettext("Visit plan saved."))
                return redirect(url_for("visit_plan_pages.plan_page", plan_id=plan.id))
        elif not form.is_submitted():
            form.process(
                data={
                    "version": plan.version,
                    "title": plan.title,
                    "team_id": plan.team_id,
                    "every": plan.every,
                    "unit": plan.unit,
                    "starts_on": plan.starts_on,
                    "ends_on": plan.ends_on,
                    "communes": [t.admin_unit_code for t in plan.targets if t.site_id is None],
                    "site_ids": [t.site_id for t in plan.targets if t.site_id is not None],
                }
            )
            _prepare(form)
    now = datetime.now(UTC)
    page = keyset_rows(
        select(PlannedVisit).where(PlannedVisit.plan_id == plan.id),
        visit_plans.WINDOW_KEYS,
        visit_plans.WINDOW_CURSOR,
        descending=visit_plans.WINDOW_DESCENDING,
        size=WINDOWS_SHOWN,
    )
    windows = page.rows
    overdue_ids = {row.id for row in windows if row.status == "missed" or (row.status == "due" and row.ends_at <= now)}
    names = dict(
        db.session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_({t.admin_unit_code for t in plan.targets}))
        ).all()
    )
    return render_template(
        "visit_plan.html",
        plan=plan,
        form=form,
        manager=manager,
        confirm=ConfirmForm(),
        windows=windows,
        page=page,
        overdue_ids=overdue_ids,
        unit_names=names,
        sites=visit_plans.sites_of(db.session, plan),
        events=visit_plans.plan_events(db.session, plan),
    )


def _set_paused(plan_id: int, paused: bool):
    form = ConfirmForm()
    user, scope = current_user(), current_scope()
    plan = visit_plans.get_plan(db.session, user, scope, plan_id)
    if form.validate_on_submit():
        visit_plans.set_paused(db.session, user, scope, plan, paused)
        db.session.commit()
        flash(gettext("Visit plan paused.") if paused else gettext("Visit plan resumed."))
    return redirect(url_for("visit_plan_pages.plan_page", plan_id=plan.id))


@blp.post("/visit-plans/<int:plan_id>/pause")
@page_login_required
def pause_page(plan_id: int):
    return _set_paused(plan_id, True)


@blp.post("/visit-plans/<int:plan_id>/resume")
@page_login_required
def resume_page(plan_id: int):
    return _set_paused(plan_id, False)
