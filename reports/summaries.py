"""Everything one report page shows, for a province or a commune, in one call (no web framework here; the
benchmark times ``province_report`` as "a province report")."""

from datetime import datetime

from reports.indicators import has_data, indicator_rows
from reports.parameters import Area, Costs, Period, RankingOptions
from reports.plan import make_plan
from reports.priorities import rank
from server.auth import Scope
from server.indicators.assistance import assistance_table
from server.indicators.connectivity import site_connectivity
from server.indicators.equipment import asset_list
from server.indicators.tickets import on_time_rows
from server.indicators.visit_plans import plan_completion
from server.indicators.visits import unvisited

TOP_PLACES = 20
UNVISITED_DAYS = 90


def province_report(
    session,
    scope: Scope,
    area: Area,
    period: Period,
    now: datetime,
    options: RankingOptions | None = None,
    budget: int | None = None,
    costs: Costs | None = None,
) -> dict:
    """Province summary, its communes' indicators, the ranking, teams' on-time rates, assistance by service,
    unvisited communes, and (given a budget) the plan."""
    summary = indicator_rows(session, scope, area, period, "province", now)
    communes = indicator_rows(session, scope, area, period, "commune", now)
    ranking = rank(session, scope, area, period, now, options)
    return {
        "summary": summary[0] if summary else None,
        "communes": [row for row in communes if has_data(row)],
        "communes_without_data": sum(1 for row in communes if not has_data(row)),
        "priorities": ranking.rows(0, TOP_PLACES),
        "ranked": len(ranking),
        "on_time_by_team": on_time_rows(session, scope, area, period, "team", now),
        "assistance_by_service": assistance_table(session, scope, area, period, ("service",)),
        "unvisited": unvisited(session, scope, area, min(now, period.until), UNVISITED_DAYS),
        "plan": make_plan(ranking, costs or Costs(), budget) if budget else None,
        "visit_plans_by_team": plan_completion(session, scope, area, period, "team", now),
        "visit_plans_by_commune": plan_completion(session, scope, area, period, "commune", now),
    }


def commune_report(
    session, scope: Scope, area: Area, period: Period, now: datetime, options: RankingOptions | None = None
) -> dict:
    """Commune figures, its score with parts (and rank within the province), sites, assets, teams, assistance."""
    [summary] = indicator_rows(session, scope, area, period, "commune", now)
    province_area = Area(province=area.province)
    ranking = rank(session, scope, province_area, period, now, options)
    index = next(
        (i for i, place in enumerate(ranking.places) if place.kind == "commune" and place.code == area.commune), None
    )
    return {
        "summary": summary,
        "score": ranking.row(index) if index is not None else None,
        "ranked_in_province": sum(1 for place in ranking.places if place.kind == "commune"),
        "sites": site_connectivity(session, scope, area, period),
        "assets": asset_list(session, scope, area, period, limit=200),
        "on_time_by_team": on_time_rows(session, scope, area, period, "team", now),
        "assistance": assistance_table(session, scope, area, period, ("week", "service")),
    }
