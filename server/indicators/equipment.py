"""Equipment indicators: assets by condition, share working, the oldest assets and repeat failures.

An asset is a (commune, site, kind, label) seen in equipment checks. Its condition and age are those of its
latest check before the end of the period. A failure is a check finding it broken or missing when the check
before did not (or when it is the first check); an asset with two or more failures in the period is a repeat
failure (it failed again after a repair). Everything here is read from the daily equipment rollup
(``EquipmentRollup``); the raw checks are read only for the latest check's notes in detail lists."""

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.rollups import rollup_source
from server.indicators.sql import count_if, key_column, place_conditions, ratio
from server.models import EquipmentCheck, EquipmentRollup, Site
from server.models.records import FAILED_CONDITIONS

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
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    level: str,
    asset_kind: str | None = None,
    cell_resolution: int | None = None,
):
    """One row per asset: its latest condition and age (at its latest check before the end of the period), and
    its failures in the period. The one definition of an asset's state: maps and reports both read it.

    Read from the daily equipment rollup (``EquipmentRollup``, one row per asset and day): the latest day before
    the end of the period gives the condition, its time and the latest check (``last_check_id``, for detail
    lists); a day's failures are those after its first check plus the first check itself when it failed and the
    asset's previous day with checks did not end failed (or there was none), which is the per-check definition
    above applied to the day rows."""
    R = rollup_source(session, EquipmentRollup, area)
    asset = (R.admin_unit_code, R.site_id, R.asset_kind, R.asset_label)
    days = (
        select(
            key_column(R, level, cell_resolution).label("key"),
            R.admin_unit_code,
            R.province_code,
            R.site_id,
            R.asset_kind,
            R.asset_label,
            R.day,
            R.first_condition,
            R.last_condition,
            R.failures_after_first,
            R.last_checked_at,
            R.last_check_id,
            R.last_age_years,
            R.max_age_years,
            func.lag(R.last_condition).over(partition_by=asset, order_by=R.day).label("previous"),
            func.row_number().over(partition_by=asset, order_by=R.day.desc()).label("newest"),
        )
        .where(
            *place_conditions(R, scope, area, level),
            period.day_before_end(R.day),
            R.asset_kind == asset_kind if asset_kind else true(),
        )
        .subquery("asset_days")
    )
    c = days.c
    first_failed = and_(
        c.first_condition.in_(FAILED_CONDITIONS), or_(c.previous.is_(None), c.previous.notin_(FAILED_CONDITIONS))
    )
    failures = case((period.day_from_start(c.day), c.failures_after_first + case((first_failed, 1), else_=0)), else_=0)
    by_asset = (c.admin_unit_code, c.site_id, c.asset_kind, c.asset_label)
    totals = select(
        *c,
        func.sum(failures).over(partition_by=by_asset).label("failures"),
        func.max(c.max_age_years).over(partition_by=by_asset).label("oldest_age"),
    ).subquery("asset_totals")
    a = totals.c
    return (
        select(
            a.key,
            a.admin_unit_code,
            a.province_code,
            func.nullif(a.site_id, 0).label("site_id"),
            a.asset_kind,
            a.asset_label,
            a.last_condition.label("condition"),
            func.coalesce(a.last_age_years, a.oldest_age).label("age_years"),
            a.last_checked_at,
            a.last_check_id,
            a.failures,
        )
        .where(a.newest == 1)
        .subquery("assets")
    )


def latest_notes(assets):
    """The notes of each asset's latest check (a detail read from the raw check) for an ``assets_query``."""
    return (
        select(EquipmentCheck.notes)
        .where(EquipmentCheck.id == assets.c.last_check_id)
        .correlate(assets)
        .scalar_subquery()
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
    a = assets_query(session, scope, area, period, level, asset_kind, cell_resolution).c
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
    assets = assets_query(session, scope, area, period, "province")
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
