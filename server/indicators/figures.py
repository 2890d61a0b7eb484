"""Every indicator of a place at once: one row of figures per commune, province or H3 cell, merged from the topic
modules (one GROUP BY each). Maps put these figures on a commune's feature, reports in its table row and
exports: the same function, so the same numbers."""

from datetime import datetime

from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators import assistance, connectivity, equipment, tickets, visits
from server.indicators.areas import Area, Period

FIELDS = (
    *connectivity.FIELDS,
    *equipment.FIELDS,
    *tickets.FIELDS,
    *assistance.FIELDS,
    *visits.FIELDS,
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


def empty_figures() -> dict:
    return {name: None if name in NULLABLE else 0 for name in FIELDS}


def figures_by(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    level: str,
    now: datetime,
    *,
    network: str | None = None,
    asset_kind: str | None = None,
    category: str | None = None,
) -> dict[str, dict]:
    """Per commune or province (``level``) with any record: every figure of the period (``now`` for 'overdue
    now'); ``network``, ``asset_kind`` and ``category`` narrow the readings, assets and tickets counted."""
    sources = (
        connectivity.connectivity_by(session, scope, area, period, level, network),
        equipment.equipment_by(session, scope, area, period, level, asset_kind),
        tickets.tickets_by(session, scope, area, period, level, now, category=category),
        assistance.assistance_by(session, scope, area, period, level),
        visits.visits_by(session, scope, area, period, level),
    )
    result: dict[str, dict] = {}
    for by_key in sources:
        for key, figures in by_key.items():
            result.setdefault(key, empty_figures()).update(figures)
    return result
