"""Assistance to citizens: how many were helped, by service, team and week, and the share who needed
language support (counts only: the logs hold no citizen's identity). Read from the daily rollup of assistance
logs (``AssistanceRollup``)."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.rollups import rollup_source
from server.indicators.sql import key_column, place_conditions, ratio, week_start
from server.models import AdminUnit, AssistanceRollup, Team

A = AssistanceRollup
GROUPS = ("week", "team", "service", "province", "commune")
DEFAULT_GROUPS = ("week", "team", "service")
FIELDS = ("assistance_logs", "citizens_helped", "language_support", "language_support_share")


def assistance_by(
    session: Session, scope: Scope, area: Area, period: Period, level: str, cell_resolution: int | None = None
) -> dict[str, dict]:
    """Per commune, province or H3 cell (at ``cell_resolution`` when given): citizens helped and the share needing
    language support."""
    A = rollup_source(session, AssistanceRollup, area)
    key = key_column(A, level, cell_resolution)
    query = (
        select(key, func.sum(A.logs), func.sum(A.citizens_helped), func.sum(A.language_support))
        .where(*place_conditions(A, scope, area, level), period.contains_day(A.day))
        .group_by(key)
    )
    return {key_value: _figures(logs, helped, language) for key_value, logs, helped, language in session.execute(query)}


def _figures(logs, helped, language) -> dict:
    helped, language = int(helped or 0), int(language or 0)
    return {
        "assistance_logs": int(logs or 0),
        "citizens_helped": helped,
        "language_support": language,
        "language_support_share": ratio(language, helped),
    }


def assistance_table(
    session: Session, scope: Scope, area: Area, period: Period, groups: tuple[str, ...] = DEFAULT_GROUPS
) -> list[dict]:
    """Citizens helped grouped by any of week, team, service, commune and province, in that column order."""
    A = rollup_source(session, AssistanceRollup, area)
    groups = tuple(name for name in GROUPS if name in groups) or DEFAULT_GROUPS
    columns = {
        "week": week_start(session, A.day),
        "team": A.team_id,
        "service": A.service,
        "commune": A.admin_unit_code,
        "province": A.province_code,
    }
    keys = [columns[name].label(name) for name in groups]
    query = (
        select(*keys, func.sum(A.logs), func.sum(A.citizens_helped), func.sum(A.language_support))
        .where(*place_conditions(A, scope, area, "province"), period.contains_day(A.day))
        .group_by(*keys)
        .order_by(*keys)
    )
    raw = list(session.execute(query))
    team_ids = {row._mapping["team"] for row in raw if "team" in groups} - {None, 0}
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all()) if team_ids else {}
    codes = {row._mapping[name] for row in raw for name in ("commune", "province") if name in groups}
    names = dict(session.execute(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes))).all())
    rows = []
    for row in raw:
        values = row._mapping
        item: dict = {}
        if "week" in groups:
            item["week"] = str(values["week"])
        if "team" in groups:
            item["team_id"] = values["team"] or None
            item["team_name"] = teams.get(values["team"], "(no team)")
        if "service" in groups:
            item["service"] = values["service"]
        for name in ("province", "commune"):
            if name in groups:
                item[f"{name}_code"] = values[name]
                item[f"{name}_name"] = names.get(values[name])
        logs, helped, language = row[len(keys)], row[len(keys) + 1], row[len(keys) + 2]
        item.update(_figures(logs, helped, language))
        rows.append(item)
    return rows
