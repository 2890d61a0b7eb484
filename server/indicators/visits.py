"""Coverage of the field effort itself: visits per place, and the communes nobody has visited lately. Read from
the daily rollup of visits (``VisitRollup``: visits per day and the day's latest visit)."""

from datetime import datetime, timedelta

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session, aliased

from server.auth import Scope
from server.indicators.areas import Area, Period, communes_in
from server.indicators.rollups import rollup_source
from server.indicators.sql import key_column, place_conditions, ratio
from server.models import AdminUnit, VisitRollup

V = VisitRollup
FIELDS = ("visits", "last_visit_at")


def visits_by(session: Session, scope: Scope, area: Area, period: Period, level: str) -> dict[str, dict]:
    """Per commune, province or H3 cell: visits in the period and the last visit before its end."""
    V = rollup_source(session, VisitRollup, area)
    key = key_column(V, level)
    end = V.day < period.end_day if period.until is not None else true()
    query = (
        select(key, func.sum(case((period.contains_day(V.day), V.visits), else_=0)), func.max(V.last_visit_at))
        .where(*place_conditions(V, scope, area, level), end)
        .group_by(key)
    )
    return {
        key_value: {"visits": int(count or 0), "last_visit_at": last}
        for key_value, count, last in session.execute(query)
    }


def unvisited(session: Session, scope: Scope, area: Area, as_of: datetime, days: int) -> dict:
    """Communes with no visit in the ``days`` before ``as_of``, listed, and counted per province."""
    V = rollup_source(session, VisitRollup, area)
    cutoff = as_of - timedelta(days=days)
    last = (
        select(V.admin_unit_code.label("code"), func.max(V.last_visit_at).label("last_visit_at"))
        .where(*place_conditions(V, scope, area, "commune"), V.last_visit_at < as_of)
        .group_by(V.admin_unit_code)
        .subquery("last_visits")
    )
    province = aliased(AdminUnit)
    query = (
        select(AdminUnit.code, AdminUnit.name, province.code, province.name, last.c.last_visit_at)
        .join(province, province.code == AdminUnit.parent_code)
        .outerjoin(last, last.c.code == AdminUnit.code)
        .where(*communes_in(scope, area))
        .order_by(province.code, AdminUnit.code)
    )
    communes, provinces = [], {}
    for code, name, province_code, province_name, last_visit_at in session.execute(query):
        summary = provinces.setdefault(
            province_code,
            {"province_code": province_code, "province_name": province_name, "communes": 0, "unvisited": 0},
        )
        summary["communes"] += 1
        if last_visit_at is not None and last_visit_at >= cutoff:
            continue
        summary["unvisited"] += 1
        communes.append(
            {
                "province_code": province_code,
                "province_name": province_name,
                "commune_code": code,
                "commune_name": name,
                "last_visit_at": last_visit_at,
                "days_since_visit": (as_of - last_visit_at).days if last_visit_at is not None else None,
            }
        )
    for summary in provinces.values():
        summary["unvisited_share"] = ratio(summary["unvisited"], summary["communes"])
    return {"as_of": as_of, "days": days, "communes": communes, "provinces": list(provinces.values())}
