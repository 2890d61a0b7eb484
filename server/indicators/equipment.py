"""Equipment indicators: assets by condition, share working, the oldest assets and repeat failures.

An asset is a (commune, site, kind, label) seen in equipment checks. Its condition and age are those of its
latest check before the end of the period. A failure is a check finding it broken or missing when the check
before did not (or when it is the first check); an asset with two or more failures in the period is a repeat
failure (it failed again after a repair)."""

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.sql import count_if, key_column, place_conditions, ratio
from server.models import EquipmentCheck, Site
from server.models.records import FAILED_CONDITIONS

E = EquipmentCheck
ASSET = (E.admin_unit_code, E.site_id, E.asset_kind, E.asset_label)
FIELDS = (
    "assets",
    "assets_working",
    "assets_degraded",
    "assets_broken",
    "assets_missing",
    "share_working",
    "oldest_asset_years",
    "repeat_failure_assets",
)


def assets_query(
    scope: Scope,
    area: Area,
    period: Period,
    level: str,
    asset_kind: str | None = None,
    cell_resolution: int | None = None,
):
    """One row per asset: its latest condition and age (at its latest check before the end of the period), and
    its failures in the period. The one definition of an asset's state: maps and reports both read it."""
    checks = (
        select(
            key_column(E, level, cell_resolution).label("key"),
            E.admin_unit_code,
            E.province_code,
            E.site_id,
            E.asset_kind,
            E.asset_label,
            E.condition,
            E.age_years,
            E.notes,
            E.observed_at,
            func.lag(E.condition).over(partition_by=ASSET, order_by=(E.observed_at, E.id)).label("previous"),
            func.row_number().over(partition_by=ASSET, order_by=(E.observed_at.desc(), E.id.desc())).label("newest"),
        )
        .where(
            *place_conditions(E, scope, area, level),
            period.before_end(E.observed_at),
            E.asset_kind == asset_kind if asset_kind else true(),
        )
        .subquery("checks")
    )
    c = checks.c
    failure = and_(
        c.condition.in_(FAILED_CONDITIONS),
        or_(c.previous.is_(None), c.previous.notin_(FAILED_CONDITIONS)),
        period.from_start(c.observed_at),
    )

    def latest(column):
        return func.max(case((c.newest == 1, column)))

    return (
        select(
            latest(c.key).label("key"),
            c.admin_unit_code,
            func.max(c.province_code).label("province_code"),
            c.site_id,
            c.asset_kind,
            c.asset_label,
            latest(c.condition).label("condition"),
            func.coalesce(latest(c.age_years), func.max(c.age_years)).label("age_years"),
            latest(c.observed_at).label("last_checked_at"),
            latest(c.notes).label("notes"),
            count_if(failure).label("failures"),
        )
        .group_by(c.admin_unit_code, c.site_id, c.asset_kind, c.asset_label)
        .subquery("assets")
    )


def equipment_by(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    level: str,
    asset_kind: str | None = None,
    cell_resolution: int | None = None,
) -> dict[str, dict]:
    """Per commune, province or H3 cell (at ``cell_resolution`` when given): assets by latest condition, share
    working (working / assets), oldest, repeat failures (assets with two or more failures in the period)."""
    a = assets_query(scope, area, period, level, asset_kind, cell_resolution).c
    query = select(
        a.key,
        func.count(),
        count_if(a.condition == "working"),
        count_if(a.condition == "degraded"),
        count_if(a.condition == "broken"),
        count_if(a.condition == "missing"),
        func.max(a.age_years),
        count_if(a.failures >= 2),
    ).group_by(a.key)
    result = {}
    for key, assets, working, degraded, broken, missing, oldest, repeat in session.execute(query):
        working = int(working or 0)
        result[key] = {
            "assets": int(assets),
            "assets_working": working,
            "assets_degraded": int(degraded or 0),
            "assets_broken": int(broken or 0),
            "assets_missing": int(missing or 0),
            "share_working": ratio(working, int(assets)),
            "oldest_asset_years": float(oldest) if oldest is not None else None,
            "repeat_failure_assets": int(repeat or 0),
        }
    return result


def asset_list(session: Session, scope: Scope, area: Area, period: Period, limit: int = 500) -> list[dict]:
    """Assets of the area, oldest first (unknown ages last), then most failures: the replacement list."""
    assets = assets_query(scope, area, period, "province")
    a = assets.c
    query = (
        select(
            a.admin_unit_code,
            a.province_code,
            a.site_id,
            Site.name,
            a.asset_kind,
            a.asset_label,
            a.condition,
            a.age_years,
            a.failures,
            a.last_checked_at,
        )
        .select_from(assets.outerjoin(Site, Site.id == a.site_id))
        .order_by(
            a.age_years.is_(None), a.age_years.desc(), a.failures.desc(), a.admin_unit_code, a.asset_kind, a.asset_label
        )
        .limit(limit)
    )
    return [
        {
            "commune_code": commune,
            "province_code": province,
            "site_id": site_id,
            "site_name": site_name,
            "asset_kind": kind,
            "asset_label": label,
            "condition": condition,
            "age_years": float(age) if age is not None else None,
            "failures_in_period": int(failures or 0),
            "repeat_failure": int(failures or 0) >= 2,
            "last_checked_at": checked,
        }
        for commune, province, site_id, site_name, kind, label, condition, age, failures, checked in session.execute(
            query
        )
    ]
