"""Recurring visit plans and the visits they make due.

A coordinator plans that a team visits some communes or sites every N days, weeks or months from a day (and
optionally until one). Each window of the schedule and each target gets one ``PlannedVisit`` row, made when the
window begins (``materialize``). A visit recorded by that team at that site (or anywhere in that commune) within
the window fulfils it, at ingest (``fulfil_from_visits``) and whenever recomputed from the visits
(``rederive``); once the window is over without one, it is missed (``mark_missed_visits``, run periodically,
returns only the newly missed rows, for notifications). Windows are days in Viet Nam time.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext
from sqlalchemy import String, and_, case, cast, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import cursors
from server.auth import MANAGER_ROLES, Scope, scope_of_units
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.limits import SUPPORTED_YEARS
from server.models import AdminUnit, Site, Team, User, Visit
from server.models.visit_plans import (
    EVERY_MAX,
    INTERVAL_UNITS,
    WAITING_STATUSES,
    PlannedVisit,
    VisitPlan,
    VisitPlanEvent,
    VisitPlanTarget,
)
from server.services.access import in_area, referencable_site, referencable_team
from server.services.calendar import VIETNAM

# A plan started long ago is back-filled with at most this many rows (windows x places) before today's window.
MAX_BACKFILL_ROWS = 2000
TARGETS_MAX = 200
SCHEDULE_FIELDS = ("every", "unit", "starts_on", "ends_on")


def local_today(now: datetime) -> date:
    return now.astimezone(VIETNAM).date()


def local_midnight(day: date) -> datetime:
    """The start of a Viet Nam day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Schedule:
    """Every ``every`` ``unit`` from ``starts_on``; window k is ``[start(k), start(k + 1))``."""

    every: int
    unit: str
    starts_on: date

    @classmethod
    def of(cls, plan: VisitPlan) -> "Schedule":
        return cls(plan.every, plan.unit, plan.starts_on)

    def start(self, k: int) -> date:
        if self.unit == "month":
            return add_months(self.starts_on, k * self.every)
        step = self.every * (7 if self.unit == "week" else 1)
        return self.starts_on + timedelta(days=k * step)

    def index(self, day: date) -> int:
        """The window holding ``day`` (negative before the start)."""
        if self.unit == "month":
            months = (day.year - self.starts_on.year) * 12 + day.month - self.starts_on.month
            k = months // self.every
            while self.start(k) > day:
                k -= 1
            while self.start(k + 1) <= day:
                k += 1
            return k
        step = self.every * (7 if self.unit == "week" else 1)
        return (day - self.starts_on).days // step


# --- Reading -------------------------------------------------------------------------------------------


def visible_plans(user: User, scope: Scope):
    """Plans whose every target lies in the person's area, and their own team's plans."""
    outside = (
        select(VisitPlanTarget.id)
        .where(
            VisitPlanTarget.plan_id == VisitPlan.id,
            ~scope.filter(VisitPlanTarget.admin_unit_code, VisitPlanTarget.province_code),
        )
        .exists()
    )
    condition = ~outside
    if user.team_id is not None:
        condition = or_(condition, VisitPlan.team_id == user.team_id)
    return select(VisitPlan).where(condition)


def get_plan(session: Session, user: User, scope: Scope, plan_id: int) -> VisitPlan:
    plan = session.scalars(visible_plans(user, scope).where(VisitPlan.id == plan_id)).first()
    if plan is None:
        raise NotFound(gettext("No visit plan %(id)s in your area.", id=plan_id))
    return plan


def may_manage_plan(user: User, scope: Scope, plan: VisitPlan) -> bool:
    return user.role in MANAGER_ROLES and all(in_area(scope, target) for target in plan.targets)


def visible_planned_visits(scope: Scope):
    return select(PlannedVisit).where(scope.filter(PlannedVisit.admin_unit_code, PlannedVisit.province_code))


def overdue_condition(now: datetime):
    """Waiting for a visit after its window ended (marked missed, or not yet marked)."""
    return or_(PlannedVisit.status == "missed", and_(PlannedVisit.status == "due", PlannedVisit.ends_at <= now))


# The windows of one plan, newest first, then by place (unique within a plan): columns, cursor, directions.
WINDOW_KEYS = (PlannedVisit.window_start, PlannedVisit.target_key)
WINDOW_CURSOR = (cursors.DAY, cursors.CODE)
WINDOW_DESCENDING = (True, False)

# The queue's order as a keyset: (overdue first: 0, else 1), the due day, the id. ``after`` is the cursor of the
# last visit of the previous page.
QUEUE_CURSOR = (cursors.ROW_ID, cursors.DAY, cursors.ROW_ID)


def _queue_keys(now: datetime):
    return case((overdue_condition(now), 0), else_=1), PlannedVisit.due_on, PlannedVisit.id


def queue_cursor(row: PlannedVisit, now: datetime) -> str:
    overdue = row.status == "missed" or (row.status == "due" and row.ends_at <= now)
    return cursors.encode((0 if overdue else 1, row.due_on, row.id), QUEUE_CURSOR)


def queue_query(
    scope: Scope,
    now: datetime,
    team_id: int | None = None,
    admin_unit: str | None = None,
    after: str | None = None,
):
    """Visits waiting to be made, overdue first, then by due day; from the position of the cursor ``after``."""
    query = visible_planned_visits(scope).where(PlannedVisit.status.in_(WAITING_STATUSES))
    if team_id is not None:
        query = query.where(PlannedVisit.team_id == team_id)
    if admin_unit is not None:
        query = query.where(or_(PlannedVisit.admin_unit_code == admin_unit, PlannedVisit.province_code == admin_unit))
    keys = _queue_keys(now)
    if after:
        query = query.where(cursors.after(keys, cursors.decode(after, QUEUE_CURSOR)))
    return query.order_by(*keys)


# --- Changing plans ------------------------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only coordinators and administrators plan visits."))


def _targets(
    session: Session, scope: Scope, team: Team, communes: Iterable[str], site_ids: Iterable[int]
) -> list[VisitPlanTarget]:
    """The communes and sites, each inside the actor's area and the team's (whose visits fulfil the plan)."""
    team_area = scope_of_units(list(team.jurisdiction))
    targets, errors = [], {}
    communes, site_ids = sorted(set(communes)), sorted(set(site_ids))
    if not communes and not site_ids:
        raise InvalidInput({"communes": [gettext("Name at least one commune or site to visit.")]})
    if len(communes) + len(site_ids) > TARGETS_MAX:
        raise InvalidInput({"communes": [gettext("At most %(count)d places per plan.", count=TARGETS_MAX)]})
    for code in communes:
        unit = session.get(AdminUnit, code)
        if unit is None or unit.level != "commune" or not scope.covers(unit):
            errors.setdefault("communes", []).append(gettext("No commune %(code)s in your area.", code=code))
        elif not team_area.covers(unit):
            errors.setdefault("communes", []).append(gettext("Commune %(code)s is outside the team's area.", code=code))
        else:
            targets.append(
                VisitPlanTarget(key=f"commune:{code}", admin_unit_code=code, province_code=unit.province_code)
            )
    for site_id in site_ids:
        try:
            site = referencable_site(session, scope, site_id, "site_ids")
        except InvalidInput as problem:
            errors.setdefault("site_ids", []).extend(problem.errors["site_ids"])
            continue
        if not team_area.covers_unit_codes(site.admin_unit_code, site.province_code):
            errors.setdefault("site_ids", []).append(
                gettext("Site %(name)s is outside the team's area.", name=site.name)
            )
            continue
        targets.append(
            VisitPlanTarget(
                key=f"site:{site.id}",
                site_id=site.id,
                admin_unit_code=site.admin_unit_code,
                province_code=site.province_code,
            )
        )
    if errors:
        raise InvalidInput(errors)
    return targets


def _check_schedule(every: int, unit: str, starts_on: date, ends_on: date | None) -> None:
    errors = {}
    if not 1 <= every <= EVERY_MAX:
        errors["every"] = [gettext("Must be between 1 and %(max)d.", max=EVERY_MAX)]
    if unit not in INTERVAL_UNITS:
        errors["unit"] = [gettext("Must be one of: %(units)s.", units=", ".join(INTERVAL_UNITS))]
    first_year, last_year = SUPPORTED_YEARS
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day is not None and not first_year <= day.year < last_year:
            errors[name] = [
                gettext("Must be between the years %(first)s and %(last)s.", first=first_year, last=last_year - 1)
            ]
    if ends_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(gettext("Must not be before the first day."))
    if errors:
        raise InvalidInput(errors)


def _event(session: Session, plan: VisitPlan, actor: User | None, action: str, changes: dict) -> None:
    session.add(VisitPlanEvent(plan_id=plan.id, actor_id=actor.id if actor else None, action=action, changes=changes))


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _describe(plan: VisitPlan) -> dict:
    return {
        "team_id": plan.team_id,
        "title": plan.title,
        "every": plan.every,
        "unit": plan.unit,
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": _plain(plan.ends_on),
        "targets": [target.key for target in plan.targets],
    }


def create_plan(
    session: Session,
    actor: User,
    scope: Scope,
    *,
    team_id: int,
    every: int,
    unit: str,
    starts_on: date,
    ends_on: date | None = None,
    title: str = "",
    communes: Iterable[str] = (),
    site_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> VisitPlan:
    """A new active plan; the windows from its first day to today are made at once (past ones overdue unless
    a visit fulfilled them)."""
    _require_manager(actor)
    now = now or datetime.now(UTC)
    team = referencable_team(session, actor, scope, team_id)
    _check_schedule(every, unit, starts_on, ends_on)
    plan = VisitPlan(
        team_id=team.id,
        title=title.strip(),
        every=every,
        unit=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        active_from=starts_on,
        status="active",
        created_by_id=actor.id,
        targets=_targets(session, scope, team, communes, site_ids),
    )
    session.add(plan)
    session.flush()
    _event(session, plan, actor, "created", _describe(plan))
    materialize(session, plan, now)
    return plan


def check_version(plan: VisitPlan, version: int | None) -> None:
    if version is not None and version != plan.version:
        problem = Conflict(gettext("This plan was changed meanwhile (version %(v)d); reload it.", v=plan.version))
        problem.extra = {"current_version": plan.version}
        raise problem


def _cancel_waiting(session: Session, plan: VisitPlan, now: datetime, keys: Iterable[str] | None = None) -> int:
    """Visits of the plan not yet made whose window is still open are no longer asked for."""
    query = (
        update(PlannedVisit)
        .where(PlannedVisit.plan_id == plan.id, PlannedVisit.status == "due", PlannedVisit.ends_at > now)
        .values(status="cancelled", updated_at=now)
    )
    if keys is not None:
        query = query.where(PlannedVisit.target_key.in_(list(keys)))
    return session.execute(query, execution_options={"synchronize_session": "fetch"}).rowcount


def update_plan(
    session: Session, actor: User, scope: Scope, plan: VisitPlan, data: dict, now: datetime | None = None
) -> VisitPlan:
    """Change title, team, schedule or places (``version`` names the plan the person saw). A new team or schedule
    applies from today: the open visit of the current window is replaced; what is past stays as it was."""
    now = now or datetime.now(UTC)
    if not may_manage_plan(actor, scope, plan):
        raise Forbidden(gettext("Only a coordinator of every place of this plan may change it."))
    check_version(plan, data.pop("version", None))
    before = _describe(plan)
    team = plan.team
    if "team_id" in data and data["team_id"] != plan.team_id:
        team = referencable_team(session, actor, scope, data["team_id"])
    schedule = {name: data.get(name, getattr(plan, name)) for name in SCHEDULE_FIELDS}
    _check_schedule(**schedule)
    new_targets = None
    if "communes" in data or "site_ids" in data or team.id != plan.team_id:
        current_communes = [t.admin_unit_code for t in plan.targets if t.site_id is None]
        current_sites = [t.site_id for t in plan.targets if t.site_id is not None]
        new_targets = _targets(
            session, scope, team, data.get("communes", current_communes), data.get("site_ids", current_sites)
        )
    rescheduled = any(schedule[name] != getattr(plan, name) for name in SCHEDULE_FIELDS) or team.id != plan.team_id
    if "title" in data:
        plan.title = (data["title"] or "").strip()
    if rescheduled:
        _cancel_waiting(session, plan, now)
        for name, value in schedule.items():
            setattr(plan, name, value)
        plan.team_id = team.id
        plan.team = team
        plan.active_from = max(plan.starts_on, local_today(now))
    if new_targets is not None:
        old_keys = {t.key for t in plan.targets}
        kept = {t.key: t for t in plan.targets}
        plan.targets = [kept.get(t.key, t) for t in new_targets]
        removed = old_keys - {t.key for t in new_targets}
        if removed:
            _cancel_waiting(session, plan, now, removed)
    after = _describe(plan)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        return plan
    plan.version += 1
    session.flush()
    _event(session, plan, actor, "changed", changes)
    if plan.status == "active":
        materialize(session, plan, now)
    return plan


def set_paused(
    session: Session, actor: User, scope: Scope, plan: VisitPlan, paused: bool, version: int | None = None, now=None
) -> bool:
    """Pause (no visit asked for while paused; the open one is withdrawn) or resume (from today's window).
    Returns whether anything changed."""
    now = now or datetime.now(UTC)
    if not may_manage_plan(actor, scope, plan):
        raise Forbidden(gettext("Only a coordinator of every place of this plan may change it."))
    check_version(plan, version)
    status = "paused" if paused else "active"
    if plan.status == status:
        return False
    plan.status = status
    plan.version += 1
    if paused:
        _cancel_waiting(session, plan, now)
    else:
        plan.active_from = max(plan.starts_on, local_today(now))
    session.flush()
    _event(session, plan, actor, "paused" if paused else "resumed", {"status": [_other(status), status]})
    if not paused:
        materialize(session, plan, now)
    return True


def _other(status: str) -> str:
    return "active" if status == "paused" else "paused"


def plan_events(session: Session, plan: VisitPlan, limit: int = 50) -> list[VisitPlanEvent]:
    query = select(VisitPlanEvent).where(VisitPlanEvent.plan_id == plan.id)
    return list(session.scalars(query.order_by(VisitPlanEvent.at.desc(), VisitPlanEvent.id.desc()).limit(limit)))


# --- Due visits ----------------------------------------------------------------------------------------


def materialize(session: Session, plan: VisitPlan, now: datetime) -> list[PlannedVisit]:
    """Make the plan's windows that have begun (up to today's), once each; returns the rows made or revived.
    Windows already settled are kept, so a schedule change never rewrites the past."""
    if plan.status != "active":
        return []
    schedule = Schedule.of(plan)
    today = local_today(now)
    first_day = max(plan.active_from, plan.starts_on)
    if today < first_day:
        return []
    last = schedule.index(today)
    first = max(schedule.index(first_day), last - MAX_BACKFILL_ROWS // max(len(plan.targets), 1), 0)
    existing = {
        (row.target_key, row.window_start): row
        for row in session.scalars(select(PlannedVisit).where(PlannedVisit.plan_id == plan.id))
    }
    settled_until: dict[str, date] = {}
    for (key, _start), row in existing.items():
        if row.status != "cancelled":
            end = row.due_on + timedelta(days=1)
            settled_until[key] = max(settled_until.get(key, end), end)
    made = []
    for k in range(first, last + 1):
        start, end = schedule.start(k), schedule.start(k + 1)
        if plan.ends_on is not None and start > plan.ends_on:
            break
        for target in plan.targets:
            if start < settled_until.get(target.key, date.min):
                continue
            row = existing.get((target.key, start))
            values = dict(
                team_id=plan.team_id,
                site_id=target.site_id,
                admin_unit_code=target.admin_unit_code,
                province_code=target.province_code,
                due_on=end - timedelta(days=1),
                starts_at=local_midnight(start),
                ends_at=local_midnight(end),
                status="due",
                visit_id=None,
                fulfilled_at=None,
                missed_at=None,
            )
            if row is None:
                row = PlannedVisit(plan_id=plan.id, target_key=target.key, window_start=start, **values)
                session.add(row)
            elif row.status == "cancelled":
                for name, value in values.items():
                    setattr(row, name, value)
            else:
                continue
            made.append(row)
    if made:
        session.flush()
        _fulfil(session, made)
    return made


def materialize_all(session: Session, now: datetime) -> int:
    """Make the windows that have begun for every active plan (each plan in its own savepoint, so a concurrent
    run making the same rows costs a retry, not the whole pass). Returns how many rows were made."""
    count = 0
    for plan in session.scalars(select(VisitPlan).where(VisitPlan.status == "active").order_by(VisitPlan.id)):
        try:
            with session.begin_nested():
                count += len(materialize(session, plan, now))
        except IntegrityError:
            session.expire(plan)
    return count


def _target_keys_of_visit(site_id, admin_unit_code) -> list[str]:
    keys = [f"commune:{admin_unit_code}"]
    if site_id is not None:
        keys.append(f"site:{site_id}")
    return keys


def fulfil_from_visits(session: Session, visits: Iterable) -> list[PlannedVisit]:
    """At ingest: the waiting planned visits that these new visits (rows as dicts or ``Visit`` objects, with
    ``team_id``, ``site_id``, ``admin_unit_code``, ``observed_at``, ``id``) fulfil."""

    def get(visit, name):
        return visit.get(name) if isinstance(visit, dict) else getattr(visit, name)

    visits = [v for v in visits if get(v, "team_id") is not None]
    if not visits:
        return []
    keys = {key for v in visits for key in _target_keys_of_visit(get(v, "site_id"), get(v, "admin_unit_code"))}
    moments = [get(v, "observed_at") for v in visits]
    candidates = session.scalars(
        select(PlannedVisit).where(
            PlannedVisit.status.in_(WAITING_STATUSES),
            PlannedVisit.team_id.in_({get(v, "team_id") for v in visits}),
            PlannedVisit.target_key.in_(keys),
            PlannedVisit.starts_at <= max(moments),
            PlannedVisit.ends_at > min(moments),
        )
    )
    done = []
    ordered = sorted(visits, key=lambda v: get(v, "observed_at"))
    for planned in candidates:
        for visit in ordered:
            observed = get(visit, "observed_at")
            if (
                get(visit, "team_id") == planned.team_id
                and planned.target_key in _target_keys_of_visit(get(visit, "site_id"), get(visit, "admin_unit_code"))
                and planned.starts_at <= observed < planned.ends_at
            ):
                planned.status, planned.visit_id, planned.fulfilled_at = "fulfilled", get(visit, "id"), observed
                done.append(planned)
                break
    if done:
        session.flush()
    return done


def _matching_visits(plan_ids: Iterable[int] | None = None, planned_ids: Iterable[int] | None = None):
    """(planned visit id, visit id, observed_at) for every visit that fulfils a planned visit, earliest first."""
    P, V = PlannedVisit, Visit
    key_match = or_(
        P.target_key == literal("site:") + cast(V.site_id, String),
        P.target_key == literal("commune:") + V.admin_unit_code,
    )
    query = (
        select(P.id, V.id, V.observed_at)
        .join(V, and_(V.team_id == P.team_id, V.observed_at >= P.starts_at, V.observed_at < P.ends_at, key_match))
        .where(P.status != "cancelled")
        .order_by(P.id, V.observed_at, V.id)
    )
    if plan_ids is not None:
        query = query.where(P.plan_id.in_(list(plan_ids)))
    if planned_ids is not None:
        query = query.where(P.id.in_(list(planned_ids)))
    return query


def _fulfil(session: Session, rows: list[PlannedVisit]) -> None:
    """Fulfil new rows from the visits already recorded (a plan made after the visit)."""
    by_id = {row.id: row for row in rows}
    for planned_id, visit_id, observed in session.execute(_matching_visits(planned_ids=by_id)):
        row = by_id[planned_id]
        if row.status != "fulfilled":
            row.status, row.visit_id, row.fulfilled_at = "fulfilled", visit_id, observed
    session.flush()


def rederive(session: Session, now: datetime, plan_ids: Iterable[int] | None = None) -> int:
    """Recompute every planned visit's state from the visits as stored (after a correction, an import, or a
    change of the rules); returns how many rows changed."""
    first = {}
    for planned_id, visit_id, observed in session.execute(_matching_visits(plan_ids=plan_ids)):
        first.setdefault(planned_id, (visit_id, observed))
    query = select(PlannedVisit).where(PlannedVisit.status != "cancelled")
    if plan_ids is not None:
        query = query.where(PlannedVisit.plan_id.in_(list(plan_ids)))
    changed = 0
    for row in session.scalars(query):
        if row.id in first:
            wanted = ("fulfilled", *first[row.id], row.missed_at)
        elif row.ends_at <= now:
            wanted = ("missed", None, None, row.missed_at or now)
        else:
            wanted = ("due", None, None, None)
        if (row.status, row.visit_id, row.fulfilled_at, row.missed_at) != wanted:
            row.status, row.visit_id, row.fulfilled_at, row.missed_at = wanted
            changed += 1
    session.flush()
    return changed


def mark_missed_visits(session: Session, now: datetime) -> list[PlannedVisit]:
    """The periodic check: make the windows that have begun, then mark missed every planned visit whose window
    ended without a visit. Returns only the rows this call marked (none on a second run), so each missed visit is
    announced once even when two workers run it; the caller commits."""
    materialize_all(session, now)
    marked = session.execute(
        update(PlannedVisit)
        .where(PlannedVisit.status == "due", PlannedVisit.ends_at <= now)
        .values(status="missed", missed_at=now, updated_at=now)
        .returning(PlannedVisit.id),
        execution_options={"synchronize_session": "fetch"},
    )
    ids = [row_id for (row_id,) in marked]
    if not ids:
        return []
    rows = list(session.scalars(select(PlannedVisit).where(PlannedVisit.id.in_(ids)).order_by(PlannedVisit.id)))
    for row in rows:
        session.refresh(row)
    return rows


def check_missed_job(session: Session, now: datetime) -> list[PlannedVisit]:
    """The periodic job (``server.jobs.registry``) and ``flask visit-plans check``: mark missed visits and record a
    ``visit_plan_missed`` event for each, once (the marking returns each row to one caller only, and the event's
    dedupe key holds even if the job is retried after a crash between the two)."""
    from server.services.notifications.events import record_event

    missed = mark_missed_visits(session, now)
    for row in missed:
        place = row.site.name if row.site is not None else row.admin_unit_code
        record_event(
            session,
            "visit_plan_missed",
            team_id=row.team_id,
            admin_unit_code=row.admin_unit_code,
            province_code=row.province_code,
            data={
                "title": f"{row.plan.title or row.plan_id} · {place}",
                "due_on": row.due_on.isoformat(),
                "due_at": row.ends_at.isoformat(),
                "path": f"/visit-plans/{row.plan_id}",
            },
            dedupe_key=f"visit_plan_missed:{row.id}",
        )
    return missed


def sites_of(session: Session, plan: VisitPlan) -> dict[int, Site]:
    ids = [t.site_id for t in plan.targets if t.site_id is not None]
    return {site.id: site for site in session.scalars(select(Site).where(Site.id.in_(ids)))} if ids else {}
