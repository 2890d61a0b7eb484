"""Ticket indicators: opened, resolved, on-time resolution rate, overdue now, median time to resolve,
escalations.

- opened: created in the period; escalations: escalated in the period;
- resolved: resolved in the period and still resolved, verified or closed (a reopened ticket is not resolved);
- on-time rate = resolved no later than its due date / resolved (None when nothing was resolved);
- overdue now: still waiting for action and past its due date at ``now`` (``server.services.tickets``'
  ``overdue_condition``, the one definition the queues use too), whenever the ticket was opened;
- a ticket counts in the commune where the problem is (``ticket_commune``); one placed at province level with
  no commune found counts for the province only (and for its H3 cell in the ranking);
- median time to resolve: hours from creation to resolution over the resolved tickets, computed in SQL with
  window functions (the middle row, or the mean of the two middle rows)."""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.sql import count_if, in_period, key_column, ratio, seconds_between
from server.models import AdminUnit, CellRollup, Site, Team
from server.models.tickets import ACTIVE_STATUSES, DONE_STATUSES, Ticket
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


def ticket_commune():
    """SQL for the commune a ticket is about: its own unit; for a ticket placed at province level (opened by the
        province, or a dead-spot cluster), its site's commune, else the commune of the readings in its H3 cell (from
    the readings rollup); None
        when it has none of these."""
    site, reading = aliased(Site), aliased(CellRollup)
    site_commune = select(site.admin_unit_code).where(site.id == T.site_id).correlate(T).scalar_subquery()
    cell_commune = (
        select(reading.admin_unit_code)
        .where(reading.h3_cell == T.h3_cell, reading.admin_unit_code != reading.province_code)
        .correlate(T)
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (T.admin_unit_code != T.province_code, T.admin_unit_code),
        else_=func.coalesce(site_commune, cell_commune),
    )


def _key(group: str, cell_resolution: int | None = None):
    if group == "team":
        return T.team_id
    if group == "commune":
        return ticket_commune()
    return key_column(T, group, cell_resolution)


def _conditions(scope: Scope, area: Area, group: str, category: str | None = None) -> list:
    conditions = [scope.filter(T.admin_unit_code, T.province_code), T.category == category if category else true()]
    if area.commune or group == "commune":
        commune = ticket_commune()
        conditions.append(commune == area.commune if area.commune else commune.isnot(None))
    if area.province:
        conditions.append(T.province_code == area.province)
    if group == "h3":
        conditions += [ticket_commune().is_(None), T.h3_cell.isnot(None)]
    return conditions


def _resolved(period: Period):
    return and_(T.status.in_(DONE_STATUSES), in_period(T.resolved_at, period))


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
    key = _key(group, cell_resolution).label("key")
    resolved = _resolved(period)
    active = T.status.in_(ACTIVE_STATUSES)
    query = (
        select(
            key,
            count_if(in_period(T.created_at, period)),
            count_if(resolved),
            count_if(and_(resolved, T.resolved_at <= T.due_at)),
            count_if(active),
            count_if(overdue_condition(now)),
            count_if(in_period(T.escalated_at, period)),
        )
        .where(
            *_conditions(scope, area, group, category),
            or_(
                active,
                period.from_start(T.created_at),
                period.from_start(T.resolved_at),
                period.from_start(T.escalated_at),
            ),
        )
        .group_by(key)
    )
    hours = median_hours_by(session, scope, area, period, group, category, cell_resolution) if medians else {}
    result = {}
    for key_value, opened, resolved_count, on_time, open_now, overdue, escalations in session.execute(query):
        resolved_count, on_time = int(resolved_count or 0), int(on_time or 0)
        result[key_value] = {
            "tickets_opened": int(opened or 0),
            "tickets_resolved": resolved_count,
            "tickets_resolved_on_time": on_time,
            "on_time_rate": ratio(on_time, resolved_count),
            "tickets_open_now": int(open_now or 0),
            "tickets_overdue_now": int(overdue or 0),
            "median_hours_to_resolve": hours.get(key_value),
            "escalations": int(escalations or 0),
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
    """Median hours from creation to resolution of the tickets resolved in the period, per group."""
    key = _key(group, cell_resolution)
    seconds = seconds_between(session, T.created_at, T.resolved_at)
    ranked = (
        select(
            key.label("key"),
            seconds.label("seconds"),
            func.row_number().over(partition_by=key, order_by=seconds).label("position"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(*_conditions(scope, area, group, category), _resolved(period))
        .subquery("ranked")
    )
    r = ranked.c
    query = (
        select(r.key, func.avg(r.seconds))
        .where(2 * r.position >= r.n, 2 * r.position <= r.n + 2)  # the middle row, or the two middle rows
        .group_by(r.key)
    )
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
