"""H3 hexagons for aggregated readings: the resolution to draw at, the roll-up of per-cell counts from the stored
resolution to a coarser one, and the cells' outlines. Pure Python over already aggregated rows (a few thousand)."""

import math
from dataclasses import dataclass

import h3

from server.indicators.rollups import cell_parent
from server.models.rollups import COARSE_RESOLUTION

# Resolution for an area when nothing narrower is asked: a commune at full detail, a province at ~5 km².
RESOLUTION_FOR_AREA = {"commune": 8, "province": 7, "scope": 6}
MIN_RESOLUTION = 3
# At most this many hexagons on one map (a page stays well under 2 MB); coarser cells are used beyond it.
MAX_CELLS = 4000
# A box is drawn at the finest resolution that tiles it with at most this many cells (a few pixels or more each).
MAX_CELLS_PER_BOX = 5_000
# The spread of the data (which picks the default resolution) is measured on the coarse rollups' cells (about
# 250 km²), so a map read from them and one read from the stored cells choose the same resolution.
SPREAD_RESOLUTION = COARSE_RESOLUTION


@dataclass(frozen=True)
class HexCell:
    cell: str
    readings: int
    dead_spots: int

    @property
    def dead_spot_share(self) -> float:
        return self.dead_spots / self.readings if self.readings else 0.0


def resolution_for_zoom(zoom: int) -> int:
    """The H3 resolution whose cells are a few screen pixels wide or more at a web-map zoom level."""
    if zoom <= 5:
        return 4
    if zoom <= 6:
        return 5
    if zoom <= 8:
        return 6
    if zoom <= 10:
        return 7
    return 8


def resolution_for_box(bbox: tuple[float, float, float, float], finest: int) -> int:
    west, south, east, north = bbox
    km_per_degree = 111.32
    width = max(east - west, 1e-6) * km_per_degree * math.cos(math.radians((south + north) / 2))
    height = max(north - south, 1e-6) * km_per_degree
    area = width * height
    for resolution in range(finest, MIN_RESOLUTION - 1, -1):
        if area / h3.average_hexagon_area(resolution, unit="km^2") <= MAX_CELLS_PER_BOX:
            return resolution
    return MIN_RESOLUTION


def extent(rows: list[tuple[str, int, int]]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the centres of the cells' resolution-5 parents (``SPREAD_RESOLUTION``), so
    that the spread is the same whether the rows are stored cells or the coarse rollups' cells."""
    if not rows:
        return None
    parents = {cell_parent(row[0], SPREAD_RESOLUTION) for row in rows}
    lats, lons = zip(*(h3.cell_to_latlng(cell) for cell in parents), strict=True)
    return min(lons), min(lats), max(lons), max(lats)


def roll_up(rows: list[tuple[str, int, int]], resolution: int) -> list[HexCell]:
    """Per-cell (cell, readings, dead spots) summed into their parents at ``resolution``."""
    totals: dict[str, list[int]] = {}
    for cell, readings, dead_spots in rows:
        if h3.get_resolution(cell) > resolution:
            cell = h3.cell_to_parent(cell, resolution)
        total = totals.get(cell)
        if total is None:
            totals[cell] = [readings, dead_spots]
        else:
            total[0] += readings
            total[1] += dead_spots
    return [HexCell(cell, readings, dead) for cell, (readings, dead) in sorted(totals.items())]


def grid(rows: list[tuple[str, int, int]], resolution: int, max_cells: int = MAX_CELLS) -> tuple[int, list[HexCell]]:
    """Roll up to ``resolution``, coarsening one step at a time while there are more than ``max_cells`` cells."""
    cells = roll_up(rows, resolution)
    while len(cells) > max_cells and resolution > MIN_RESOLUTION:
        resolution -= 1
        cells = roll_up([(c.cell, c.readings, c.dead_spots) for c in cells], resolution)
    return resolution, cells


def ring(cell: str, digits: int = 5) -> list[tuple[float, float]]:
    """The cell's outline as (lat, lon) pairs, rounded (5 digits: about a metre)."""
    return [(round(lat, digits), round(lon, digits)) for lat, lon in h3.cell_to_boundary(cell)]


def centre(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return round(lat, 5), round(lon, 5)
