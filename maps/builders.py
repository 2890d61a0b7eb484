"""folium maps from the aggregates: dead-spot hexagons, equipment by site, open tickets, communes shaded by an
indicator. No Flask here: each builder takes plain data and settings and returns a ``folium.Map``; ``page_html``
and ``standalone_html`` render one with local assets. Every string a user typed goes through ``text()``."""

import html
from dataclasses import dataclass, field
from datetime import datetime

import folium
from folium.plugins import HeatMap

from maps import assets, hexes
from maps.aggregates import (
    INDICATORS,
    CommuneMap,
    DeadSpotGrid,
    EquipmentStatus,
    OpenTickets,
    SiteEquipment,
    TicketPoint,
)
from maps.filters import VIETNAM_CENTRE
from maps.geojson import commune_geometry
from maps.layers import AreaLayer, HexagonLayer, InfoBox, PointLayer, map_css
from server.models.records import CONDITIONS
from server.models.tickets import PRIORITIES
from server.services.calendar import VIETNAM

# Lower bounds of the classes, and their colours (ColorBrewer RdYlGn reversed / YlOrRd).
SHARE_BINS = [0.0, 0.05, 0.15, 0.3, 0.5]
SHARE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
COUNT_BINS = {"broken_equipment": [0, 1, 2, 4, 8], "overdue_tickets": [0, 1, 3, 5, 10]}
COUNT_COLOURS = ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"]
NO_DATA_COLOUR = "#d9d9d9"
CONDITION_COLOURS = {"working": "#1a9850", "degraded": "#fdae61", "broken": "#d73027", "missing": "#7b3294"}
NOT_CHECKED_COLOUR = "#9e9e9e"
PRIORITY_COLOURS = {"low": "#74add1", "medium": "#fdae61", "high": "#f46d43", "critical": "#a50026"}
TILE_CHOICES = ("none", "osm")
# Above this many features the map draws on a canvas instead of one SVG element per feature.
CANVAS_ABOVE = 1500
MAX_ZOOM = 18
NOTE_MAX = 300
# No favicon request: one round trip less on a weak link, and none at all for a file opened from disk.
NO_FAVICON = '<link rel="icon" href="data:,">'
TITLE_MAX = 120


def text(value, limit: int | None = None) -> str:
    """User text made safe for HTML (and shortened)."""
    value = "" if value is None else str(value)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=True)


@dataclass
class MapSettings:
    """``tiles``: ``none``, ``osm`` (OpenStreetMap) or a URL template with {z}, {x} and {y} (a local tile server)."""

    tiles: str = "none"
    tiles_attribution: str = ""
    title: str = ""
    filters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    centre: tuple[float, float] = VIETNAM_CENTRE
    zoom: int = 6


def check_tiles(tiles: str) -> str:
    """The tile setting if valid, else ValueError."""
    if tiles in TILE_CHOICES:
        return tiles
    if tiles.startswith(("http://", "https://", "/")) and all(part in tiles for part in ("{z}", "{x}", "{y}")):
        return tiles
    raise ValueError("map tiles must be 'none', 'osm' or a URL template with {z}, {x} and {y}")


def _base_map(settings: MapSettings, features: int) -> folium.Map:
    fmap = folium.Map(
        location=settings.centre,
        zoom_start=settings.zoom,
        tiles=None,
        control_scale=True,
        prefer_canvas=features > CANVAS_ABOVE,
    )
    fmap.options["max_zoom"] = MAX_ZOOM  # clustering needs it even when no tile layer sets one
    tiles = check_tiles(settings.tiles)
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    elif tiles != "none":
        folium.TileLayer(tiles=tiles, attr=settings.tiles_attribution or "Local tiles", name="Tiles").add_to(fmap)
    header = fmap.get_root().header
    header.add_child(folium.Element(NO_FAVICON), name="fieldops_icon")
    header.add_child(map_css(), name="fieldops_map_css")
    return fmap


def _finish(fmap: folium.Map, settings: MapSettings, legend_html: str, bounds: list | None) -> folium.Map:
    caption = f"<h4>{text(settings.title)}</h4>" + "<br>".join(text(part) for part in settings.filters)
    if settings.notes:
        caption += "<ul>" + "".join(f"<li>{text(note)}</li>" for note in settings.notes) + "</ul>"
    fmap.add_child(InfoBox(caption, "bottomleft", "fieldops-box fieldops-caption"), name="caption")
    fmap.add_child(InfoBox(legend_html, "bottomright", "fieldops-box fieldops-legend"), name="legend")
    folium.LayerControl(collapsed=False).add_to(fmap)
    if bounds:
        (south, west), (north, east) = bounds
        if north - south < 0.01 and east - west < 0.01:
            fmap.location = [(south + north) / 2, (west + east) / 2]
            fmap.options["zoom"] = 14
        else:
            fmap.fit_bounds(bounds)
    return fmap


def _bounds(points) -> list | None:
    lats, lons = [], []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _legend(title: str, items: list[tuple[str, str, str]]) -> str:
    """``items``: (colour, label, swatch class: '' square, 'round', 'ring')."""
    rows = "".join(
        f'<div><span class="fieldops-swatch {shape}" style="background:{colour}"></span>{text(label)}</div>'
        for colour, label, shape in items
    )
    return f"<h4>{text(title)}</h4>{rows}"


def _bin_labels(bins: list[float], percent: bool) -> list[str]:
    labels = []
    for index, low in enumerate(bins):
        high = bins[index + 1] if index + 1 < len(bins) else None
        if percent:
            labels.append(f"{low * 100:g}–{high * 100:g}%" if high is not None else f"{low * 100:g}% or more")
        elif high is None:
            labels.append(f"{low:g} or more")
        elif high - low <= 1:
            labels.append(f"{low:g}")
        else:
            labels.append(f"{low:g}–{high - 1:g}")
    return labels


def _local_time(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%Y-%m-%d") if value is not None else "—"


# --- Dead spots ------------------------------------------------------------------------------------------


def dead_spot_map(grid: DeadSpotGrid, settings: MapSettings, heat: bool = False) -> folium.Map:
    """Hexagons coloured by dead-spot share, more opaque with more readings; optionally a heat layer of dead spots
    weighted per stored-resolution cell (never raw readings), for small areas."""
    fmap = _base_map(settings, len(grid.cells))
    rows, corners = [], []
    for cell in grid.cells:
        outline = hexes.ring(cell.cell)
        corners.extend(outline)
        rows.append([cell.readings, cell.dead_spots, [value for corner in outline for value in corner]])
    HexagonLayer(rows, SHARE_BINS, SHARE_COLOURS, name=f"Dead-spot share (H3 resolution {grid.resolution})").add_to(
        fmap
    )
    if heat and grid.fine_cells is not None:
        points = [[*hexes.centre(cell.cell), cell.dead_spots] for cell in grid.fine_cells if cell.dead_spots]
        if points:
            HeatMap(points, name="Dead-spot heat", radius=18, blur=14, min_opacity=0.3).add_to(fmap)
    items = [
        (colour, label, "") for colour, label in zip(SHARE_COLOURS, _bin_labels(SHARE_BINS, percent=True), strict=True)
    ]
    legend = _legend("Dead-spot share of readings", items)
    legend += (
        f"<div>{grid.readings:,} readings, {grid.dead_spots:,} dead spots "
        f"({grid.dead_spot_share:.1%}) in {len(grid.cells):,} cells</div>"
        "<div><small>Fainter cells have fewer readings.</small></div>"
    )
    return _finish(fmap, settings, legend, _bounds(corners))


# --- Equipment -------------------------------------------------------------------------------------------


def equipment_popup(site: SiteEquipment) -> str:
    head = f"<b>{text(site.name, TITLE_MAX)}</b><br><small>{text(site.kind)} · commune {text(site.admin_unit_code)}"
    head += f" · last check {_local_time(site.last_check_at)}</small>"
    if not site.assets:
        return f'<div class="fieldops-popup">{head}<p>No equipment check recorded.</p></div>'
    rows = []
    for asset in site.assets:
        colour = CONDITION_COLOURS.get(asset.condition, NOT_CHECKED_COLOUR)
        label = text(asset.asset_kind) + (f" — {text(asset.asset_label, TITLE_MAX)}" if asset.asset_label else "")
        rows.append(
            f'<tr><td>{label}</td><td style="color:{colour};font-weight:bold">{text(asset.condition)}</td>'
            f"<td>{_local_time(asset.observed_at)}</td></tr>"
        )
        if asset.notes:
            rows.append(f'<tr><td colspan="3" class="note">{text(asset.notes, NOTE_MAX)}</td></tr>')
    table = "<table><tr><th>Asset</th><th>Condition</th><th>Checked</th></tr>" + "".join(rows) + "</table>"
    return f'<div class="fieldops-popup">{head}{table}</div>'


def equipment_map(status: EquipmentStatus, settings: MapSettings) -> folium.Map:
    """Sites coloured by the worst latest condition of their assets; one layer per condition."""
    fmap = _base_map(settings, len(status.sites))
    groups = {condition: [] for condition in reversed(CONDITIONS)}
    groups[None] = []
    for site in status.sites:
        condition = site.worst_condition
        tooltip = f"{text(site.name, TITLE_MAX)}: {text(condition or 'not checked')}"
        groups[condition].append([site.lat, site.lon, 0, equipment_popup(site), tooltip])
    for condition, rows in groups.items():
        colour = CONDITION_COLOURS.get(condition, NOT_CHECKED_COLOUR)
        style = {"radius": 8, "color": "#333", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}
        label = f"{condition or 'not checked'} ({len(rows)})"
        PointLayer(rows, [style], name=f"Sites: {label}", show=bool(rows)).add_to(fmap)
    items = [(CONDITION_COLOURS[c], c, "round") for c in reversed(CONDITIONS)]
    items.append((NOT_CHECKED_COLOUR, "no check recorded", "round"))
    legend = _legend("Worst asset condition at the site", items)
    legend += f"<div>{len(status.sites):,} sites</div>"
    return _finish(fmap, settings, legend, _bounds((site.lat, site.lon) for site in status.sites))


# --- Tickets ---------------------------------------------------------------------------------------------


def ticket_popup(ticket: TicketPoint) -> str:
    due = _local_time(ticket.due_at) + (' <b style="color:#a50026">overdue</b>' if ticket.overdue else "")
    return (
        f'<div class="fieldops-popup"><b>#{ticket.id} {text(ticket.title, TITLE_MAX)}</b><br>'
        f"{text(ticket.category)} · {text(ticket.priority)} priority · {text(ticket.status.replace('_', ' '))}<br>"
        f"commune {text(ticket.admin_unit_code)} · opened {_local_time(ticket.created_at)} · due {due}</div>"
    )


def _ticket_styles() -> list[dict]:
    styles = []
    for overdue in (False, True):
        for priority in PRIORITIES:
            styles.append(
                {
                    "radius": 7 + PRIORITIES.index(priority),
                    "color": "#000" if overdue else "#fff",
                    "weight": 3 if overdue else 1,
                    "fillColor": PRIORITY_COLOURS[priority],
                    "fillOpacity": 0.95,
                }
            )
    return styles


def tickets_map(tickets: OpenTickets, settings: MapSettings) -> folium.Map:
    """Open tickets clustered, coloured by priority; overdue ones ringed in black and in their own layer."""
    fmap = _base_map(settings, len(tickets.tickets))
    styles = _ticket_styles()
    overdue_rows, other_rows = [], []
    for ticket in tickets.tickets:
        style = PRIORITIES.index(ticket.priority) + (len(PRIORITIES) if ticket.overdue else 0)
        tooltip = f"#{ticket.id} {text(ticket.title, 80)}"
        row = [ticket.lat, ticket.lon, style, ticket_popup(ticket), tooltip]
        (overdue_rows if ticket.overdue else other_rows).append(row)
    PointLayer(overdue_rows, styles, name=f"Overdue tickets ({len(overdue_rows)})", cluster_class="fo-overdue").add_to(
        fmap
    )
    PointLayer(other_rows, styles, name=f"Other open tickets ({len(other_rows)})", cluster_class="fo-open").add_to(fmap)
    items = [(PRIORITY_COLOURS[p], f"{p} priority", "round") for p in reversed(PRIORITIES)]
    items.append(("#ffffff", "overdue (black ring)", "round ring"))
    legend = _legend("Open tickets", items)
    legend += f"<div>{tickets.total:,} open, {tickets.overdue:,} overdue</div>"
    if tickets.without_location:
        legend += f"<div><small>{tickets.without_location:,} without a location are not drawn</small></div>"
    return _finish(fmap, settings, legend, _bounds((t.lat, t.lon) for t in tickets.tickets))


# --- Communes --------------------------------------------------------------------------------------------


def _format(indicator: str, value) -> str:
    if value is None:
        return "no readings"
    return f"{value:.1%}" if indicator == "dead_spot_share" else f"{value:,}"


def indicator_colour(indicator: str, value) -> str:
    if value is None:
        return NO_DATA_COLOUR
    bins, colours = (
        (SHARE_BINS, SHARE_COLOURS) if indicator == "dead_spot_share" else (COUNT_BINS[indicator], COUNT_COLOURS)
    )
    found = colours[0]
    for low, colour in zip(bins, colours, strict=True):
        if value >= low:
            found = colour
    return found


def communes_map(communes: CommuneMap, settings: MapSettings, area_level: str) -> folium.Map:
    """Communes filled by the indicator: outlines where boundaries are loaded, else circles at a centroid or
    at the mean position of the commune's sites."""
    indicator = communes.indicator
    features, corners = [], []
    for commune in communes.communes:
        geometry = commune_geometry(commune, area_level)
        if geometry is None:
            continue
        value = commune.value(indicator)
        tip = (
            f"<b>{text(commune.name)}</b> ({text(commune.code)})<br>{text(INDICATORS[indicator])}: "
            f"{_format(indicator, value)}<br><small>{commune.readings:,} readings · {commune.dead_spots:,} dead spots"
            f" · {commune.broken_equipment:,} broken/missing assets · {commune.overdue_tickets:,} overdue tickets"
        )
        if commune.geometry_source != "boundary":
            tip += f" · drawn at its {'centroid' if commune.geometry_source == 'centroid' else 'sites'}"
        tip += "</small>"
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "c": indicator_colour(indicator, value),
                    "t": tip,
                    # a commune drawn at its centroid is a circle of its own area
                    "r": commune.radius_m if commune.geometry_source == "centroid" else None,
                },
            }
        )
        minx, miny, maxx, maxy = commune.geometry.bounds
        corners.extend([(miny, minx), (maxy, maxx)])
    fmap = _base_map(settings, len(features))
    AreaLayer({"type": "FeatureCollection", "features": features}, name=INDICATORS[indicator]).add_to(fmap)
    if indicator == "dead_spot_share":
        labels, colours = _bin_labels(SHARE_BINS, percent=True), SHARE_COLOURS
    else:
        labels, colours = _bin_labels(COUNT_BINS[indicator], percent=False), COUNT_COLOURS
    items = [(colour, label, "") for colour, label in zip(colours, labels, strict=True)]
    if indicator == "dead_spot_share":
        items.append((NO_DATA_COLOUR, "no readings", ""))
    legend = _legend(INDICATORS[indicator], items)
    legend += f"<div>{len(features):,} of {len(communes.communes):,} communes drawn</div>"
    return _finish(fmap, settings, legend, _bounds(corners))


# --- Rendering -------------------------------------------------------------------------------------------


def page_html(fmap: folium.Map, asset_url, top_html: str = "") -> str:
    """The map as a page whose scripts and styles come from ``asset_url(resource)`` (this app's URLs), with
    ``top_html`` (already safe HTML, e.g. the filter form) above the map."""
    figure = fmap.get_root()
    if top_html:
        figure.header.add_child(folium.Element(PAGE_CSS), name="fieldops_page_css")
        figure.html.add_child(folium.Element(top_html), name="fieldops_top", index=0)
    assets.localise(figure, asset_url)
    return figure.render()


def standalone_html(fmap: folium.Map) -> str:
    """The map as one file with Leaflet and its plugins inlined: it opens from disk with no network."""
    return assets.render_standalone(fmap.get_root())


PAGE_CSS = """
<style>
.fieldops-bar { position: absolute; top: 0; left: 0; right: 0; height: 3.2rem; box-sizing: border-box;
  padding: 0.35rem 0.6rem; background: #f6f6f6; border-bottom: 1px solid #ccc; z-index: 1000;
  font: 13px system-ui, sans-serif; display: flex; gap: 0.5rem; align-items: center; overflow-x: auto;
  white-space: nowrap; }
.fieldops-bar form { display: flex; gap: 0.4rem; align-items: center; margin: 0; }
.fieldops-bar select, .fieldops-bar input { font-size: 12px; max-width: 11rem; }
.fieldops-bar nav a { margin-right: 0.4rem; }
.fieldops-bar .current { font-weight: bold; }
.folium-map { position: absolute !important; top: 3.2rem !important; bottom: 0; height: auto !important; }
</style>
"""


def empty_zoom(area_level: str) -> int:
    return {"commune": 12, "province": 9}.get(area_level, 6)


def hexagon_count_note(grid: DeadSpotGrid) -> str | None:
    if grid.coarsened:
        return (
            f"Too many cells at resolution {grid.requested_resolution}: drawn at resolution {grid.resolution} "
            f"(at most {hexes.MAX_CELLS:,} cells); choose a commune or a smaller box for detail."
        )
    return None
