"""What the maps draw, computed in SQL (GROUP BY, window functions) with the same statements on PostGIS and
SpatiaLite. Each function takes a session, the caller's scope and the filters; the results are plain data, small
whatever the size of the tables: per-cell counts, one row per site asset, one row per open ticket (bounded)."""

import math
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from maps import hexes
from maps.filters import MapFilters
from server.auth import Scope
from server.indicators import connectivity, equipment, tickets
from server.indicators.areas import visible_units
from server.indicators.cells import dead_spot_counts
from server.indicators.figures import empty_figures, figures_by
from server.indicators.sql import ratio
from server.models import AdminUnit, Site, Ticket
from server.models.records import CONDITIONS
from server.models.rollups import COARSE_RESOLUTION
from server.models.tickets import ACTIVE_STATUSES
from server.services.tickets import overdue_condition, queue_query
from server.spatial import within_bbox

MAX_SITES = 5000
MAX_TICKETS = 5000
# A heat layer is drawn from stored-resolution cells (never raw readings), and only when there are few of them.
HEAT_MAX_CELLS = 20_000
CONDITION_RANK = {condition: rank for rank, condition in enumerate(CONDITIONS)}  # working < ... < missing


# --- Dead spots ------------------------------------------------------------------------------------------


@dataclass
class DeadSpotGrid:
    resolution: int
    cells: list[hexes.HexCell]
    readings: int
    dead_spots: int
    stored_resolution: int
    fine_cells: list[hexes.HexCell] | None = None  # at the stored resolution, when few enough for a heat layer
    requested_resolution: int | None = None  # before coarsening
    coarsened: bool = False  # the requested resolution had too many cells

    @property
    def dead_spot_share(self) -> float:
        return self.dead_spots / self.readings if self.readings else 0.0


def choose_resolution(
    filters: MapFilters,
    stored_resolution: int,
    resolution: int | None = None,
    zoom: int | None = None,
    extent: tuple[float, float, float, float] | None = None,
) -> int:
    """An explicit resolution, else one for the zoom, else for the box asked for, else for the area (the level's
    default, coarser when the data spread wider); never finer than stored."""
    if resolution is None and zoom is not None:
        resolution = hexes.resolution_for_zoom(zoom)
    if resolution is None and filters.bbox is not None:
        resolution = hexes.resolution_for_box(filters.bbox, stored_resolution)
    if resolution is None:
        resolution = hexes.RESOLUTION_FOR_AREA[filters.area.level]
        if extent is not None:
            resolution = min(resolution, hexes.resolution_for_box(extent, stored_resolution))
    return max(hexes.MIN_RESOLUTION, min(resolution, stored_resolution))


def coarse_rows_usable(scope: Scope, filters: MapFilters, with_fine_cells: bool = False) -> bool:
    """The coarse cell rollups can draw this map: no operator or box (they filter single readings or stored
    cells), no heat layer (it draws the stored cells), and an area and jurisdiction of whole provinces."""
    if filters.operator_code or filters.bbox or with_fine_cells:
        return False
    return connectivity.coarse_cells_readable(scope, filters.area)


def dead_spot_grid(
    session: Session,
    scope: Scope,
    filters: MapFilters,
    *,
    stored_resolution: int,
    resolution: int | None = None,
    zoom: int | None = None,
    max_cells: int = hexes.MAX_CELLS,
    with_fine_cells: bool = False,
) -> DeadSpotGrid:
    """Dead-spot share per hexagon: aggregated by cell in SQL, rolled up to the resolution in Python. A map drawn
    at resolution 5 or coarser (``COARSE_RESOLUTION``: the country's) reads the coarse cell rollups where they
    serve (``coarse_rows_usable``), a few rows per cell and month however many readings; other maps read the
    stored cells. Both give the same hexagons (H3 parents nest), and the spread that picks the default resolution
    is measured on resolution-5 cells either way."""
    coarse = coarse_rows_usable(scope, filters, with_fine_cells)
    coarse_rows = rows = None
    if resolution is None and zoom is None and filters.bbox is None:  # the resolution follows the data's spread
        if coarse:
            coarse_rows = _coarse_counts(session, scope, filters)
            spread = hexes.extent(coarse_rows)
        else:
            rows = dead_spot_counts(session, scope, filters)
            spread = hexes.extent(rows)
        wanted = choose_resolution(filters, stored_resolution, extent=spread)
    else:
        wanted = choose_resolution(filters, stored_resolution, resolution, zoom)
    if rows is None:
        if coarse and wanted <= COARSE_RESOLUTION:
            rows = coarse_rows if coarse_rows is not None else _coarse_counts(session, scope, filters)
        else:
            rows = dead_spot_counts(session, scope, filters)
    used, cells = hexes.grid(rows, wanted, max_cells)
    fine = None
    if with_fine_cells and len(rows) <= HEAT_MAX_CELLS:
        fine = hexes.roll_up(rows, stored_resolution)
    return DeadSpotGrid(
        resolution=used,
        cells=cells,
        readings=sum(row[1] for row in rows),
        dead_spots=sum(row[2] for row in rows),
        stored_resolution=stored_resolution,
        fine_cells=fine,
        requested_resolution=wanted,
        coarsened=used < wanted,
    )


def _coarse_counts(session: Session, scope: Scope, filters: MapFilters) -> list[tuple[str, int, int]]:
    return connectivity.dead_spots_by_coarse_cell(session, scope, filters.area, filters.days, filters.network)


# --- Equipment -------------------------------------------------------------------------------------------


@dataclass
class AssetStatus:
    asset_kind: str
    asset_label: str
    condition: str
    observed_at: datetime
    notes: str
    age_years: float | None


@dataclass
class SiteEquipment:
    site_id: int
    name: str
    kind: str
    admin_unit_code: str
    lat: float
    lon: float
    assets: list[AssetStatus] = field(default_factory=list)

    @property
    def worst_condition(self) -> str | None:
        if not self.assets:
            return None
        return max((asset.condition for asset in self.assets), key=CONDITION_RANK.__getitem__)

    @property
    def last_check_at(self) -> datetime | None:
        return max((asset.observed_at for asset in self.assets), default=None)


@dataclass
class EquipmentStatus:
    sites: list[SiteEquipment]
    truncated: bool = False

    def count(self, condition: str | None) -> int:
        return sum(1 for site in self.sites if site.worst_condition == condition)


def _sites_in(scope: Scope, filters: MapFilters, session: Session):
    query = select(Site.id).where(
        scope.filter(Site.admin_unit_code, Site.province_code),
        filters.area.filter(Site.admin_unit_code, Site.province_code),
    )
    if filters.bbox:
        query = query.where(within_bbox(session, Site.geom, filters.bbox))
    return query


def equipment_status(session: Session, scope: Scope, filters: MapFilters, limit: int = MAX_SITES) -> EquipmentStatus:
    """Sites in the area with the latest condition of each of their assets (sites never checked have none)."""
    site_ids = _sites_in(scope, filters, session).order_by(Site.id).limit(limit + 1)
    rows = session.execute(
        select(Site.id, Site.name, Site.kind, Site.admin_unit_code, func.ST_Y(Site.geom), func.ST_X(Site.geom))
        .where(Site.id.in_(site_ids))
        .order_by(Site.id)
    ).all()
    truncated = len(rows) > limit
    sites = {
        row[0]: SiteEquipment(row[0], row[1], row[2], row[3], float(row[4]), float(row[5])) for row in rows[:limit]
    }
    latest = equipment.assets_query(session, scope, filters.area, filters.days, "province", filters.asset_kind)
    query = (
        select(
            latest.c.site_id,
            latest.c.asset_kind,
            latest.c.asset_label,
            latest.c.condition,
            latest.c.last_checked_at,
            equipment.latest_notes(latest),
            latest.c.age_years,
        )
        .where(latest.c.site_id.in_(list(sites)))
        .order_by(latest.c.site_id, latest.c.asset_kind, latest.c.asset_label)
    )
    for site_id, kind, label, condition, observed_at, notes, age in session.execute(query):
        sites[site_id].assets.append(AssetStatus(kind, label, condition, observed_at, notes or "", age))
    return EquipmentStatus(list(sites.values()), truncated)


# --- Tickets ---------------------------------------------------------------------------------------------


def ticket_area_filter(filters: MapFilters):
    if filters.area.level == "commune":
        return tickets.ticket_commune() == filters.area.code
    return filters.area.filter(Ticket.admin_unit_code, Ticket.province_code)


@dataclass
class TicketPoint:
    id: int
    title: str
    category: str
    priority: str
    status: str
    due_at: datetime
    created_at: datetime
    overdue: bool
    admin_unit_code: str
    lat: float
    lon: float
    admin_unit_name: str = ""  # the place's name, for people (the code stays for tools)


@dataclass
class OpenTickets:
    tickets: list[TicketPoint]
    total: int
    overdue: int
    without_location: int
    truncated: bool = False


def open_tickets(
    session: Session, scope: Scope, filters: MapFilters, now: datetime, limit: int = MAX_TICKETS
) -> OpenTickets:
    """Active tickets in the area, overdue first then by priority (the queue order); placed at their own point,
    else at their site."""
    queue_filters: dict = {"status": list(ACTIVE_STATUSES)}
    if filters.category:
        queue_filters["category"] = filters.category
    base = queue_query(session, scope, queue_filters, now).where(
        ticket_area_filter(filters), filters.period(Ticket.created_at)
    )
    lat = func.coalesce(func.ST_Y(Ticket.geom), func.ST_Y(Site.geom))
    lon = func.coalesce(func.ST_X(Ticket.geom), func.ST_X(Site.geom))
    located = base.outerjoin(Site, Site.id == Ticket.site_id)
    if filters.bbox:
        located = located.where(
            or_(
                within_bbox(session, Ticket.geom, filters.bbox),
                Ticket.geom.is_(None) & within_bbox(session, Site.geom, filters.bbox),
            )
        )
    overdue = overdue_condition(now)
    counts = session.execute(
        located.with_only_columns(
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((lat.is_(None), 1), else_=0)),
        ).order_by(None)
    ).one()
    rows = session.execute(
        located.with_only_columns(
            Ticket.id,
            Ticket.title,
            Ticket.category,
            Ticket.priority,
            Ticket.status,
            Ticket.due_at,
            Ticket.created_at,
            case((overdue, 1), else_=0),
            Ticket.admin_unit_code,
            lat,
            lon,
            AdminUnit.name,
        )
        .outerjoin(AdminUnit, AdminUnit.code == Ticket.admin_unit_code)
        .where(lat.is_not(None))
        .limit(limit + 1)
    ).all()
    tickets = [
        TicketPoint(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], float(r[9]), float(r[10]), r[11] or "")
        for r in rows[:limit]
    ]
    total, overdue_count, without_location = (int(value or 0) for value in counts)
    return OpenTickets(tickets, total, overdue_count, without_location, truncated=len(rows) > limit)


# --- Communes --------------------------------------------------------------------------------------------

INDICATORS = {
    "dead_spot_share": _l("Dead-spot share of connectivity readings"),
    "broken_equipment": _l("Broken or missing assets (latest check)"),
    "overdue_tickets": _l("Overdue tickets"),
}


@dataclass
class CommuneIndicators:
    code: str
    name: str
    readings: int = 0
    dead_spots: int = 0
    broken_equipment: int = 0
    overdue_tickets: int = 0
    geometry: BaseGeometry | None = None
    geometry_source: str | None = None  # boundary, centroid, sites (mean position of the commune's sites)
    area_km2: float | None = None
    figures: dict = field(default_factory=dict)  # every indicator of the commune, from the indicator core

    @property
    def radius_m(self) -> float | None:
        """The radius of a circle as large as the commune, to draw it at its centroid when it has no boundary."""
        return round(math.sqrt(self.area_km2 / math.pi) * 1000) if self.area_km2 else None

    @property
    def dead_spot_share(self) -> float | None:
        return ratio(self.dead_spots, self.readings)

    def value(self, indicator: str) -> float | int | None:
        return getattr(self, indicator)


@dataclass
class CommuneMap:
    indicator: str
    communes: list[CommuneIndicators]

    def drawn_as(self, source: str | None) -> int:
        return sum(1 for commune in self.communes if commune.geometry_source == source)


def commune_indicators(
    session: Session, scope: Scope, filters: MapFilters, now: datetime, indicator: str
) -> CommuneMap:
    """The three indicators for every commune in the area (zero where nothing was recorded), as the indicator
    core defines them (broken equipment: assets whose latest check found them broken or missing; overdue
    tickets: overdue now), each with the best geometry known: its boundary, its centroid, or the mean position
    of its sites."""
    units = visible_units(session, scope, filters.area, "commune")
    communes = {unit.code: CommuneIndicators(unit.code, unit.name, area_km2=unit.area_km2) for unit in units}
    for unit in units:
        if unit.boundary is not None:
            communes[unit.code].geometry, communes[unit.code].geometry_source = to_shape(unit.boundary), "boundary"
        elif unit.centroid is not None:
            communes[unit.code].geometry, communes[unit.code].geometry_source = to_shape(unit.centroid), "centroid"

    every = figures_by(
        session,
        scope,
        filters.area,
        filters.days,
        "commune",
        now,
        network=filters.network,
        asset_kind=filters.asset_kind,
        category=filters.category,
    )
    for code, commune in communes.items():
        figures = every.get(code) or empty_figures()
        commune.figures = figures
        commune.readings, commune.dead_spots = figures["readings"], figures["dead_spot_readings"]
        commune.broken_equipment = figures["assets_broken"] + figures["assets_missing"]
        commune.overdue_tickets = figures["tickets_overdue_now"]

    unplaced = {code for code, commune in communes.items() if commune.geometry is None}
    if unplaced:
        positions = session.execute(
            select(Site.admin_unit_code, func.avg(func.ST_X(Site.geom)), func.avg(func.ST_Y(Site.geom)))
            .where(
                scope.filter(Site.admin_unit_code, Site.province_code),
                filters.area.filter(Site.admin_unit_code, Site.province_code),
            )
            .group_by(Site.admin_unit_code)
        )
        for code, lon, lat in positions:
            if code not in unplaced:
                continue
            communes[code].geometry, communes[code].geometry_source = Point(float(lon), float(lat)), "sites"
    return CommuneMap(indicator, list(communes.values()))
