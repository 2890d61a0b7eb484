"""Connectivity readings per H3 cell, shared by the dead-spot map (``maps.aggregates``) and the coverage figures
per cell and commune (``reports.cells``, read by the OGC API and the coverage evidence): which readings count for a
caller and a set of filters, and the readings and dead spots of each cell at the stored resolution. Defined once
here so that every per-cell figure uses the same conditions."""

from typing import Protocol

import h3
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators import connectivity
from server.indicators.areas import Area, Period
from server.models import ConnectivityReading
from server.services.reviews import counted
from server.spatial import within_bbox


class ReadingFilters(Protocol):
    """What the per-cell figures filter readings by (``maps.filters.MapFilters`` is one): the area, the period,
    the network, the operator (MCC-MNC) and a box (west, south, east, north)."""

    @property
    def area(self) -> Area: ...

    @property
    def days(self) -> Period: ...

    @property
    def network(self) -> str | None: ...

    @property
    def operator_code(self) -> str | None: ...

    @property
    def bbox(self) -> tuple[float, float, float, float] | None: ...

    def period(self, column) -> ColumnElement[bool]: ...


def reading_conditions(session: Session, scope: Scope, filters: ReadingFilters) -> list:
    """The SQL conditions on connectivity readings for the caller's scope and the filters (area, period,
    network, operator, box): one place for every per-cell figure."""
    reading = ConnectivityReading
    conditions = [
        scope.filter(reading.admin_unit_code, reading.province_code),
        filters.area.filter(reading.admin_unit_code, reading.province_code),
        filters.period(reading.observed_at),
        counted(reading, "connectivity_reading", filters.area.reviewed_only),
    ]
    if filters.network:
        conditions.append(reading.network == filters.network)
    if filters.operator_code:
        conditions.append(reading.operator_code == filters.operator_code)
    if filters.bbox:
        conditions.append(within_bbox(session, reading.geom, filters.bbox))
    return conditions


def dead_spot_counts(session: Session, scope: Scope, filters: ReadingFilters) -> list[tuple[str, int, int]]:
    """(H3 cell at the stored resolution, readings, dead spots) for the readings matching the filters, from the
    indicator core (the daily rollups); a box keeps the cells whose centre lies in it. The rollups do not split
    cells by operator: with an operator the readings of that operator are counted (coverage evidence)."""
    if filters.operator_code:
        return _dead_spot_counts_of_operator(session, scope, filters)
    rows = connectivity.dead_spots_by_cell(session, scope, filters.area, filters.days, filters.network)
    if filters.bbox:
        west, south, east, north = filters.bbox
        rows = [row for row in rows if _inside(h3.cell_to_latlng(row[0]), west, south, east, north)]
    return rows


def _inside(point: tuple[float, float], west: float, south: float, east: float, north: float) -> bool:
    lat, lon = point
    return south <= lat <= north and west <= lon <= east


def _dead_spot_counts_of_operator(
    session: Session, scope: Scope, filters: ReadingFilters
) -> list[tuple[str, int, int]]:
    """Like ``dead_spot_counts``, from the readings of one operator (the rollups hold no operator per cell)."""
    reading = ConnectivityReading
    query = (
        select(reading.h3_cell, func.count(), func.sum(case((reading.dead_spot, 1), else_=0)))
        .where(*reading_conditions(session, scope, filters))
        .group_by(reading.h3_cell)
    )
    return [(cell, int(count), int(dead or 0)) for cell, count, dead in session.execute(query)]
