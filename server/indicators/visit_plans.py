"""Visit plan completion: of the planned visits whose window ended in the period, how many a visit fulfilled,
per team or per commune. A self-contained indicator (one query over ``planned_visits``), to be absorbed by the
indicator core like the others.

- windows_ended: planned visits (not withdrawn) whose window ended in the period, up to ``now``;
- fulfilled / missed: of those, made within the window or not;
- completion_rate = fulfilled / windows_ended (None when no window ended);
- waiting_now: planned visits still open at ``now`` (window running), overdue_now: ended without a visit."""

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.sql import count_if, ratio
from server.models import AdminUnit, PlannedVisit, Team

P = PlannedVisit
GROUPS = ("team", "commune")
FIELDS = ("windows_ended", "fulfilled", "missed", "completion_rate", "waiting_now", "overdue_now")


def plan_completion(session: Session, scope: Scope, area: Area, period: Period, group: str, now: datetime) -> list:
    """One row per team or commune that has planned visits in the area, lowest completion first."""
    until = min(period.until, now)
    ended = and_(P.status != "cancelled", P.ends_at > period.since, P.ends_at <= until)
    fulfilled = and_(ended, P.status == "fulfilled")
    waiting = and_(P.status.in_(("due", "missed")), P.starts_at <= now)
    key = P.team_id if group == "team" else P.admin_unit_code
    conditions = [scope.filter(P.admin_unit_code, P.province_code)]
    if area.commune:
        conditions.append(P.admin_unit_code == area.commune)
    elif area.province:
        conditions.append(P.province_code == area.province)
    query = (
        select(
            key,
            count_if(ended),
            count_if(fulfilled),
            count_if(and_(waiting, P.ends_at > now)),
            count_if(and_(waiting, P.ends_at <= now)),
        )
        .where(*conditions)
        .group_by(key)
    )
    figures = list(session.execute(query))
    if group == "team":
        names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_([row[0] for row in figures]))).all())
    else:
        names = {
            code: (name, province)
            for code, name, province in session.execute(
                select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code).where(
                    AdminUnit.code.in_([row[0] for row in figures])
                )
            )
        }
    rows = []
    for key_value, ended_count, fulfilled_count, waiting_now, overdue_now in figures:
        ended_count, fulfilled_count = int(ended_count or 0), int(fulfilled_count or 0)
        if group == "team":
            place = {"team_id": key_value, "team_name": names.get(key_value, "")}
        else:
            name, province = names.get(key_value, ("", None))
            place = {"commune_code": key_value, "commune_name": name, "province_code": province}
        rows.append(
            {
                **place,
                "windows_ended": ended_count,
                "fulfilled": fulfilled_count,
                "missed": ended_count - fulfilled_count,
                "completion_rate": ratio(fulfilled_count, ended_count),
                "waiting_now": int(waiting_now or 0),
                "overdue_now": int(overdue_now or 0),
            }
        )
    name = "team_name" if group == "team" else "commune_name"
    rows.sort(key=lambda row: (row["completion_rate"] is None, row["completion_rate"] or 0, row[name]))
    return rows
