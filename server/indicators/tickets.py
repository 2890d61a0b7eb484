"""Ticket indicators: opened, resolved, on-time resolution rate, overdue now, median time to resolve,
escalations.

- opened: created in the period; escalations: escalated in the period;
- resolved: resolved in the period and still resolved, verified or closed (a reopened ticket is not resolved);
- on-time rate = resolved no later than its due date / resolved (None when nothing was resolved);
- overdue now: still waiting for action and past its due date at ``now`` (``server.services.tickets``'
  ``overdue_condition``, the one definition the queues use too), whenever the ticket was opened;
- a ticket counts in the commune where the problem is (``ticket_commune``); one placed at province level with
  no commune found counts for the province only (and for its H3 cell in the ranking);
- median time to resolve: hours from creation to resolution over the resolved tickets (the middle one, or the
  mean of the two middle ones).

Where they are read from: opened, resolved, on time and escalations from the daily ticket rollup
(``TicketRollup``, per day, place, owner team and category), kept in step with every change of a ticket. The
median from ``TicketDurationRollup``, which counts the resolved tickets per day, place, team, category and whole
seconds to resolve: it is exact to the second (each moment truncated to its second), not an estimate from
buckets. Open now and overdue now are states at a moment, not sums of days (a ticket stops being overdue when it
is resolved, and becomes overdue as time passes with no event to count), so they are read from the tickets still
waiting for action (a small set, through the indexes on status), never from the closed history."""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.sql import count_if, key_column, ratio
from server.models import AdminUnit, CellRollup, Site, Team, TicketDurationRollup, TicketRollup
from server.models.tickets import ACTIVE_STATUSES, Ticket
from server.services.tickets.queues import overdue_condition

T = Ticket
GROUPS = ("commune", "province", "team")
FIELDS = (
    "tickets_opened",
    "tickets_resolved",
    "tickets_resolved_on_time",
    "on_time_rate",
    "tickets_open_now",
    "tickets_overdue_now",
    "median_hours_to_resolve",
    "escalations",
)


def ticket_commune(model=Ticket):
    """SQL for the commune a ticket is about (on the tickets, or on the ticket rollups, which keep the site and
    cell of tickets placed at province level): its own unit; for a ticket placed at province level (opened by the
    province, or a dead-spot cluster), its site's commune, else the commune of the readings in its H3 cell (from
    the readings rollup); None when it has none of these."""
    site, reading = aliased(Site), aliased(CellRollup)
    site_commune = select(site.admin_unit_code).where(site.id == model.site_id).correlate(model).scalar_subquery()
    cell_commune = (
        select(reading.admin_unit_code)
        .where(reading.h3_cell == func.nullif(model.h3_cell, ""), reading.admin_unit_code != reading.province_code)
        .correlate(model)
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (model.admin_unit_code != model.province_code, model.admin_unit_code),
        else_=func.coalesce(site_commune, cell_commune),
    )


def _key(group: str, model=Ticket, cell_resolution: int | None = None):
    if group == "team":
        return model.team_id if model is Ticket else func.nullif(model.team_id, 0)
    if group == "commune":
        return ticket_commune(model)
    return key_column(model, group, cell_resolution)


def _conditions(scope: Scope, area: Area, group: str, category: str | None = None, model=Ticket) -> list:
    conditions = [
        scope.filter(model.admin_unit_code, model.province_code),
        model.category == category if category else true(),
    ]
    if area.commune or group == "commune":
        commune = ticket_commune(model)
        conditions.append(commune == area.commune if area.commune else commune.isnot(None))
    if area.province:
        conditions.append(model.province_code == area.province)
    if group == "h3":
        conditions += [ticket_commune(model).is_(None), func.coalesce(model.h3_cell, "") != ""]
    return conditions


def tickets_by(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    group: str,
    now: datetime,
    medians: bool = True,
    category: str | None = None,
    cell_resolution: int | None = None,
) -> dict:
    """Per commune, province, H3 cell (at ``cell_resolution`` when given) or team: the ticket figures."""
    R = TicketRollup
    key = _key(group, R, cell_resolution).label("key")
    sums = (
        select(key, func.sum(R.opened), func.sum(R.resolved), func.sum(R.resolved_on_time), func.sum(R.escalated))
        .where(*_conditions(scope, area, group, category, R), period.contains_day(R.day))
        .group_by(key)
    )
    active_key = _key(group, cell_resolution=cell_resolution).label("key")
    waiting = (
        select(active_key, func.count(), count_if(overdue_condition(now)))
        .where(*_conditions(scope, area, group, category), T.status.in_(ACTIVE_STATUSES))
        .group_by(active_key)
    )
    figures: dict = {}
    for key_value, opened, resolved, on_time, escalations in session.execute(sums):
        figures[key_value] = [int(opened or 0), int(resolved or 0), int(on_time or 0), int(escalations or 0), 0, 0]
    for key_value, open_now, overdue in session.execute(waiting):
        figures.setdefault(key_value, [0, 0, 0, 0, 0, 0])[4:] = [int(open_now or 0), int(overdue or 0)]
    hours = median_hours_by(session, scope, area, period, group, category, cell_resolution) if medians else {}
    result = {}
    for key_value, (opened, resolved_count, on_time, escalations, open_now, overdue) in figures.items():
        result[key_value] = {
            "tickets_opened": opened,
            "tickets_resolved": resolved_count,
            "tickets_resolved_on_time": on_time,
            "on_time_rate": ratio(on_time, resolved_count),
            "tickets_open_now": open_now,
            "tickets_overdue_now": overdue,
            "median_hours_to_resolve": hours.get(key_value),
            "escalations": escalations,
        }
    return result


def median_hours_by(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    group: str,
    category: str | None = None,
    cell_resolution: int | None = None,
) -> dict:
    """Median hours from creation to resolution of the tickets resolved in the period, per group, from the counts
    of resolved tickets per whole second (``TicketDurationRollup``): the rows holding the middle positions."""
    D = TicketDurationRollup
    key = _key(group, D, cell_resolution).label("key")
    durations = (
        select(key, D.seconds, func.sum(D.resolved).label("count"))
        .where(*_conditions(scope, area, group, category, D), period.contains_day(D.day))
        .group_by(key, D.seconds)
        .subquery("durations")
    )
    d = durations.c
    ranked = select(
        d.key,
        d.seconds,
        (func.sum(d.count).over(partition_by=d.key, order_by=d.seconds) - d.count).label("before"),
        func.sum(d.count).over(partition_by=d.key, order_by=d.seconds).label("upto"),
        func.sum(d.count).over(partition_by=d.key).label("n"),
    ).subquery("ranked")
    r = ranked.c
    # Positions ceil(n/2) and floor(n/2) + 1 (one and the same when n is odd) lie in (before, upto].
    middle = or_(and_(2 * r.before < r.n, r.n <= 2 * r.upto), and_(2 * r.before <= r.n, r.n < 2 * r.upto))
    query = select(r.key, func.avg(r.seconds)).where(middle).group_by(r.key)
    return {key_value: round(float(seconds) / 3600.0, 2) for key_value, seconds in session.execute(query)}


def on_time_rows(session: Session, scope: Scope, area: Area, period: Period, group: str, now: datetime) -> list[dict]:
    """The on-time table: one row per commune, province or team that had tickets, with names."""
    figures = tickets_by(session, scope, area, period, group, now)
    rows = []
    if group == "team":
        teams = {
            team_id: (name, kind)
            for team_id, name, kind in session.execute(
                select(Team.id, Team.name, Team.kind).where(Team.id.in_([k for k in figures if k is not None]))
            )
        }
        for team_id in sorted(figures, key=lambda k: (k is None, teams.get(k, ("",))[0], k or 0)):
            name, kind = teams.get(team_id, ("(no team)", None))
            rows.append({"team_id": team_id, "team_name": name, "team_kind": kind, **figures[team_id]})
        return rows
    units = {
        code: (name, parent)
        for code, name, parent in session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code).where(AdminUnit.code.in_(sorted(figures)))
        )
    }
    province_names = dict(
        session.execute(
            select(AdminUnit.code, AdminUnit.name).where(
                AdminUnit.code.in_({parent or code for code, (_, parent) in units.items()})
            )
        ).all()
    )
    for code in sorted(units):
        name, parent = units[code]
        province_code = parent or code
        row = {"province_code": province_code, "province_name": province_names.get(province_code)}
        if group == "commune":
            row.update(commune_code=code, commune_name=name)
        rows.append({**row, **figures[code]})
    return rows
