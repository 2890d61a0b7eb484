"""The indicators table: one row per commune (or per province) with the connectivity, equipment, ticket,
assistance and visit figures of the period, all aggregated in SQL (one GROUP BY query per topic)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.parameters import Area, Period
from server.auth import Scope
from server.indicators.areas import communes_in
from server.indicators.figures import FIELDS, NULLABLE, empty_figures, figures_by  # noqa: F401  (the table's columns)
from server.models import AdminUnit

PLACE_FIELDS = ("province_code", "province_name", "commune_code", "commune_name", "population")
LEVELS = ("commune", "province")


def places(session: Session, scope: Scope, area: Area, level: str) -> list[dict]:
    """The communes (or provinces) a report lists: those of the area inside the caller's jurisdiction."""
    communes = list(
        session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code, AdminUnit.population)
            .where(*communes_in(scope, area))
            .order_by(AdminUnit.code)
        )
    )
    province_codes = sorted({parent for _, _, parent, _ in communes})
    provinces = {
        code: (name, population)
        for code, name, population in session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.population).where(AdminUnit.code.in_(province_codes))
        )
    }
    if level == "province":
        return [
            {
                "province_code": code,
                "province_name": provinces[code][0],
                "commune_code": None,
                "commune_name": None,
                "population": provinces[code][1],
            }
            for code in province_codes
        ]
    return [
        {
            "province_code": parent,
            "province_name": provinces[parent][0],
            "commune_code": code,
            "commune_name": name,
            "population": population,
        }
        for code, name, parent, population in communes
    ]


def indicator_rows(session: Session, scope: Scope, area: Area, period: Period, level: str, now: datetime) -> list[dict]:
    """One row per commune or province of the area, every figure of the period (``now`` for 'overdue now')."""
    figures = figures_by(session, scope, area, period, level, now)
    rows = []
    for place in places(session, scope, area, level):
        key = place["commune_code"] if level == "commune" else place["province_code"]
        rows.append({**place, **figures.get(key, empty_figures())})
    return rows


def has_data(row: dict) -> bool:
    return bool(row["readings"] or row["assets"] or row["tickets_opened"] or row["tickets_open_now"]) or bool(
        row["citizens_helped"] or row["visits"] or row["tickets_resolved"]
    )
