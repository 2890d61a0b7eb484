"""Connectivity indicators per H3 cell and per commune: readings, dead-spot share, signal and download speed
(median and 10th percentile), distinct days and teams that measured. The OGC API's dead-spot collection and the
coverage evidence packages read these figures from here, and only from here, so they always agree (and move to
the indicator core together).

Counts per cell come from the per-cell query the dead-spot map also draws (``server.indicators.cells.
dead_spot_counts``); the distributions are computed over the readings of the cells asked for, fetched in one
statement per chunk of cells (a page of features or one package's area), with the same conditions
(``server.indicators.cells.reading_conditions``).
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.cells import ReadingFilters, dead_spot_counts, reading_conditions
from server.models import ConnectivityReading
from server.services.calendar import VIETNAM

CHUNK = 500


@dataclass(frozen=True)
class PlaceFigures:
    """The figures of one place (an H3 cell or a commune) over the readings that match the filters."""

    key: str
    readings: int
    dead_spots: int
    signal_dbm_median: float | None
    signal_dbm_p10: float | None
    down_mbps_median: float | None
    down_mbps_p10: float | None
    days: int
    teams: int
    first_observed_at: datetime | None
    last_observed_at: datetime | None
    communes: tuple[str, ...] = ()

    @property
    def dead_spot_share(self) -> float:
        return self.dead_spots / self.readings if self.readings else 0.0

    def as_dict(self) -> dict:
        return {
            "readings": self.readings,
            "dead_spots": self.dead_spots,
            "dead_spot_share": round(self.dead_spot_share, 4),
            "signal_dbm_median": self.signal_dbm_median,
            "signal_dbm_p10": self.signal_dbm_p10,
            "down_mbps_median": self.down_mbps_median,
            "down_mbps_p10": self.down_mbps_p10,
            "days": self.days,
            "teams": self.teams,
            "first_observed_at": self.first_observed_at.isoformat() if self.first_observed_at else None,
            "last_observed_at": self.last_observed_at.isoformat() if self.last_observed_at else None,
        }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def p10(values: list[float]) -> float | None:
    """The 10th percentile (linear interpolation between the closest ranks, as PostgreSQL's
    ``percentile_cont(0.1)``): the weak end of the signal or speed that people in the place get."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=10, method="inclusive")[0], 2)


def cell_counts(session: Session, scope: Scope, filters: ReadingFilters) -> list[tuple[str, int, int]]:
    """(cell, readings, dead spots) of every cell at the stored resolution, ordered by cell."""
    return sorted(dead_spot_counts(session, scope, filters))


def cell_indicators(
    session: Session, scope: Scope, filters: ReadingFilters, cells: Iterable[str] | None = None
) -> list[PlaceFigures]:
    """The figures of each cell (all cells matching the filters, or only ``cells``), ordered by cell."""
    counts = cell_counts(session, scope, filters)
    if cells is not None:
        wanted = set(cells)
        counts = [row for row in counts if row[0] in wanted]
    details = _details(session, scope, filters, ConnectivityReading.h3_cell, [row[0] for row in counts])
    return [_figures(cell, readings, dead, details.get(cell)) for cell, readings, dead in counts]


def commune_indicators(session: Session, scope: Scope, filters: ReadingFilters) -> list[PlaceFigures]:
    """The same figures per commune (the readings' ``admin_unit_code``), ordered by code."""
    details = _details(session, scope, filters, ConnectivityReading.admin_unit_code, None)
    return [_figures(code, len(rows.dead), sum(rows.dead), rows) for code, rows in sorted(details.items())]


@dataclass
class _Rows:
    dead: list[bool]
    signal: list[float]
    down: list[float]
    days: set
    teams: set
    moments: list[datetime]
    communes: set


def _details(session: Session, scope: Scope, filters: ReadingFilters, key_column, keys: list[str] | None):
    reading = ConnectivityReading
    columns = (
        key_column,
        reading.observed_at,
        reading.team_id,
        reading.signal_dbm,
        reading.down_mbps,
        reading.dead_spot,
        reading.admin_unit_code,
    )
    base = select(*columns).where(*reading_conditions(session, scope, filters))
    if keys is None:
        statements = [base]
    else:
        statements = [base.where(key_column.in_(keys[i : i + CHUNK])) for i in range(0, len(keys), CHUNK)]
    found: dict[str, _Rows] = defaultdict(lambda: _Rows([], [], [], set(), set(), [], set()))
    for statement in statements:
        for key, observed_at, team_id, signal, down, dead, commune in session.execute(statement):
            rows = found[key]
            rows.dead.append(bool(dead))
            if signal is not None:
                rows.signal.append(float(signal))
            if down is not None:
                rows.down.append(float(down))
            rows.days.add(observed_at.astimezone(VIETNAM).date())
            if team_id is not None:
                rows.teams.add(team_id)
            rows.moments.append(observed_at)
            rows.communes.add(commune)
    return found


def _figures(key: str, readings: int, dead_spots: int, rows: _Rows | None) -> PlaceFigures:
    rows = rows or _Rows([], [], [], set(), set(), [], set())
    return PlaceFigures(
        key=key,
        readings=readings,
        dead_spots=dead_spots,
        signal_dbm_median=median(rows.signal),
        signal_dbm_p10=p10(rows.signal),
        down_mbps_median=median(rows.down),
        down_mbps_p10=p10(rows.down),
        days=len(rows.days),
        teams=len(rows.teams),
        first_observed_at=min(rows.moments) if rows.moments else None,
        last_observed_at=max(rows.moments) if rows.moments else None,
        communes=tuple(sorted(rows.communes)),
    )
