"""Ticket indicators: opened, resolved, on-time resolution rate, overdue now, median time to resolve,
escalations.

- opened: created in the period; escalations: escalated in the period;
- resolved: resolved in the period and still resolved, verified or closed (a reopened ticket is not resolved);
- on-time rate = resolved no later than its due date / resolved (None when nothing was resolved);
- overdue now: still waiting for action and past its due date at ``now``;
- median time to resolve: hours from creation to resolution over the resolved tickets, computed in SQL with
  window functions (the middle row, or the mean of the two middle rows)."""

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from reports.parameters import Area, Period
from reports.sql import count_if, in_period, key_column, place_conditions, ratio, seconds_between
from server.auth import Scope
from server.models import AdminUnit, Team
from server.models.tickets import ACTIVE_STATUSES, DONE_STATUSES, Ticket

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


def _key(group: str):
    return T.team_id if group == "team" else key_column(T, group)


def _conditions(scope: Scope, area: Area, group: str) -> list:
    return place_conditions(T, scope, area, "province" if group == "team" else group)


def _resolved(period: Period):
    return and_(T.status.in_(DONE_STATUSES), in_period(T.resolved_at, period))


def tickets_by(
    session: Session, scope: Scope, area: Area, period: Period, group: str, now: datetime, medians: bool = True
) -> dict:
    """Per commune, province, H3 cell or team: the ticket figures."""
    key = _key(group)
    resolved = _resolved(period)
    active = T.status.in_(ACTIVE_STATUSES)
    query = (
        select(
            key,
            count_if(in_period(T.created_at, period)),
            count_if(resolved),
            count_if(and_(resolved, T.resolved_at <= T.due_at)),
            count_if(active),
            count_if(and_(active, T.due_at < now)),
            count_if(in_period(T.escalated_at, period)),
        )
        .where(
            *_conditions(scope, area, group),
            or_(active, T.created_at >= period.since, T.resolved_at >= period.since, T.escalated_at >= period.since),
        )
        .group_by(key)
    )
    hours = median_hours_by(session, scope, area, period, group) if medians else {}
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


def median_hours_by(session: Session, scope: Scope, area: Area, period: Period, group: str) -> dict:
    """Median hours from creation to resolution of the tickets resolved in the period, per group."""
    key = _key(group)
    seconds = seconds_between(session, T.created_at, T.resolved_at)
    ranked = (
        select(
            key.label("key"),
            seconds.label("seconds"),
            func.row_number().over(partition_by=key, order_by=seconds).label("position"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(*_conditions(scope, area, group), _resolved(period))
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
