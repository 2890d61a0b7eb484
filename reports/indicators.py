"""The indicators table: one row per commune (or per province) with the connectivity, equipment, ticket,
assistance and visit figures of the period, all aggregated in SQL (one GROUP BY query per topic)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import assistance, connectivity, coverage, equipment, tickets
from reports.parameters import Area, Period
from server.auth import Scope
from server.models import AdminUnit

PLACE_FIELDS = ("province_code", "province_name", "commune_code", "commune_name", "population")
FIELDS = (
    *connectivity.FIELDS,
    *equipment.FIELDS,
    *tickets.FIELDS,
    *assistance.FIELDS,
    *coverage.FIELDS,
)
# Figures that have no value (rather than 0) when there is nothing to count.
NULLABLE = {
    "dead_spot_share",
    "share_working",
    "oldest_asset_years",
    "on_time_rate",
    "median_hours_to_resolve",
    "language_support_share",
    "last_visit_at",
}
LEVELS = ("commune", "province")


def empty_figures() -> dict:
    return {name: None if name in NULLABLE else 0 for name in FIELDS}


def places(session: Session, scope: Scope, area: Area, level: str) -> list[dict]:
    """The communes (or provinces) a report lists: those of the area inside the caller's jurisdiction."""
    communes = list(
        session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code, AdminUnit.population)
            .where(*coverage.communes_in(scope, area))
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
    figures = [
        connectivity.connectivity_by(session, scope, area, period, level),
        equipment.equipment_by(session, scope, area, period, level),
        tickets.tickets_by(session, scope, area, period, level, now),
        assistance.assistance_by(session, scope, area, period, level),
        coverage.visits_by(session, scope, area, period, level),
    ]
    rows = []
    for place in places(session, scope, area, level):
        key = place["commune_code"] if level == "commune" else place["province_code"]
        row = {**place, **empty_figures()}
        for by_key in figures:
            row.update(by_key.get(key, {}))
        rows.append(row)
    return rows


def has_data(row: dict) -> bool:
    return bool(row["readings"] or row["assets"] or row["tickets_opened"] or row["tickets_open_now"]) or bool(
        row["citizens_helped"] or row["visits"] or row["tickets_resolved"]
    )
