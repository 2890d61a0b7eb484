"""folium maps from the aggregates: dead-spot hexagons, equipment by site, open tickets, communes shaded by an
indicator. No Flask here: each builder takes plain data and settings and returns a ``folium.Map``; ``page_html``
and ``standalone_html`` render one with local assets. Every string a user typed goes through ``text()``.
Captions, legends and popups are in the request's language (Flask-Babel's ``gettext`` and formatting, which fall
back to English outside a request); codes are shown through ``server.labels``."""

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import folium
from flask_babel import gettext as _
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
from server.i18n import local_date, number
from server.i18n import percent as format_percent
from server.labels import label
from server.models.records import CONDITIONS
from server.models.tickets import PRIORITIES

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
        folium.TileLayer(
            tiles=tiles, attr=settings.tiles_attribution or _("Local tiles"), name=_("Background map")
        ).add_to(fmap)
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
            labels.append(
                f"{format_percent(low, 0)}–{format_percent(high, 0)}"
                if high is not None
                else _("%(value)s or more", value=format_percent(low, 0))
            )
        elif high is None:
            labels.append(_("%(value)s or more", value=number(low)))
        elif high - low <= 1:
            labels.append(number(low))
        else:
            labels.append(f"{number(low)}–{number(high - 1)}")
    return labels


def _local_time(value: datetime | None) -> str:
    return local_date(value, empty="—")


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
    HexagonLayer(
        rows,
        SHARE_BINS,
        SHARE_COLOURS,
        name=_("Dead-spot share (H3 resolution %(resolution)s)", resolution=grid.resolution),
    ).add_to(fmap)
    if heat and grid.fine_cells is not None:
        points = [[*hexes.centre(cell.cell), cell.dead_spots] for cell in grid.fine_cells if cell.dead_spots]
        if points:
            HeatMap(points, name=_("Dead-spot heat"), radius=18, blur=14, min_opacity=0.3).add_to(fmap)
    items = [
        (colour, label, "") for colour, label in zip(SHARE_COLOURS, _bin_labels(SHARE_BINS, percent=True), strict=True)
    ]
    legend = _legend(_("Dead-spot share of readings"), items)
    summary = _(
        "%(readings)s readings, %(dead_spots)s dead spots (%(share)s) in %(cells)s cells",
        readings=number(grid.readings),
        dead_spots=number(grid.dead_spots),
        share=format_percent(grid.dead_spot_share),
        cells=number(len(grid.cells)),
    )
    fainter = _("Fainter cells have fewer readings.")
    legend += f"<div>{text(summary)}</div><div><small>{text(fainter)}</small></div>"
    return _finish(fmap, settings, legend, _bounds(corners))


# --- Equipment -------------------------------------------------------------------------------------------


def equipment_popup(site: SiteEquipment) -> str:
    details = _(
        "%(kind)s · commune %(commune)s · last check %(date)s",
        kind=label(site.kind, "site_kind"),
        commune=site.admin_unit_code,
        date=_local_time(site.last_check_at),
    )
    head = f"<b>{text(site.name, TITLE_MAX)}</b><br><small>{text(details)}</small>"
    if not site.assets:
        nothing = _("No equipment check recorded.")
        return f'<div class="fieldops-popup">{head}<p>{text(nothing)}</p></div>'
    rows = []
    for asset in site.assets:
        colour = CONDITION_COLOURS.get(asset.condition, NOT_CHECKED_COLOUR)
        name = text(label(asset.asset_kind, "asset_kind"))
        name += f" — {text(asset.asset_label, TITLE_MAX)}" if asset.asset_label else ""
        rows.append(
            f'<tr><td>{name}</td><td style="color:{colour};font-weight:bold">'
            f"{text(label(asset.condition, 'condition'))}</td><td>{_local_time(asset.observed_at)}</td></tr>"
        )
        if asset.notes:
            rows.append(f'<tr><td colspan="3" class="note">{text(asset.notes, NOTE_MAX)}</td></tr>')
    header = "".join(f"<th>{text(name)}</th>" for name in (_("Asset"), _("Condition"), _("Checked")))
    table = f"<table><tr>{header}</tr>" + "".join(rows) + "</table>"
    return f'<div class="fieldops-popup">{head}{table}</div>'


def _condition_name(condition: str | None) -> str:
    return label(condition, "condition") if condition else _("not checked")


def equipment_map(status: EquipmentStatus, settings: MapSettings) -> folium.Map:
    """Sites coloured by the worst latest condition of their assets; one layer per condition."""
    fmap = _base_map(settings, len(status.sites))
    groups = {condition: [] for condition in reversed(CONDITIONS)}
    groups[None] = []
    for site in status.sites:
        condition = site.worst_condition
        tooltip = f"{text(site.name, TITLE_MAX)}: {text(_condition_name(condition))}"
        groups[condition].append([site.lat, site.lon, 0, equipment_popup(site), tooltip])
    for condition, rows in groups.items():
        colour = CONDITION_COLOURS.get(condition, NOT_CHECKED_COLOUR)
        style = {"radius": 8, "color": "#333", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}
        name = _("Sites: %(condition)s (%(count)s)", condition=_condition_name(condition), count=number(len(rows)))
        PointLayer(rows, [style], name=name, show=bool(rows)).add_to(fmap)
    items = [(CONDITION_COLOURS[c], label(c, "condition"), "round") for c in reversed(CONDITIONS)]
    items.append((NOT_CHECKED_COLOUR, _("no check recorded"), "round"))
    legend = _legend(_("Worst asset condition at the site"), items)
    sites = _("%(count)s sites", count=number(len(status.sites)))
    legend += f"<div>{text(sites)}</div>"
    return _finish(fmap, settings, legend, _bounds((site.lat, site.lon) for site in status.sites))


# --- Tickets ---------------------------------------------------------------------------------------------


def ticket_popup(ticket: TicketPoint, link: Callable[[int], str] | None = None) -> str:
    """The popup of a ticket pin; ``link`` gives the URL of the ticket page (the title links there)."""
    due = _local_time(ticket.due_at)
    if ticket.overdue:
        overdue = _("overdue")
        due += f' <b style="color:#a50026">{text(overdue)}</b>'
    line = _(
        "%(category)s · %(priority)s priority · %(status)s",
        category=label(ticket.category, "category"),
        priority=label(ticket.priority, "priority"),
        status=label(ticket.status, "ticket_status"),
    )
    dates = _(
        "%(commune)s · opened %(opened)s · due",
        commune=ticket.admin_unit_name or ticket.admin_unit_code,
        opened=_local_time(ticket.created_at),
    )
    title = f"#{ticket.id} {text(ticket.title, TITLE_MAX)}"
    if link is not None:
        title = f'<a href="{html.escape(link(ticket.id), quote=True)}">{title}</a>'
    return f'<div class="fieldops-popup"><b>{title}</b><br>{text(line)}<br>{text(dates)} {due}</div>'


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


def tickets_map(tickets: OpenTickets, settings: MapSettings, link: Callable[[int], str] | None = None) -> folium.Map:
    """Open tickets clustered, coloured by priority; overdue ones ringed in black and in their own layer."""
    fmap = _base_map(settings, len(tickets.tickets))
    styles = _ticket_styles()
    overdue_rows, other_rows = [], []
    for ticket in tickets.tickets:
        style = PRIORITIES.index(ticket.priority) + (len(PRIORITIES) if ticket.overdue else 0)
        tooltip = f"#{ticket.id} {text(ticket.title, 80)}"
        row = [ticket.lat, ticket.lon, style, ticket_popup(ticket, link), tooltip]
        (overdue_rows if ticket.overdue else other_rows).append(row)
    PointLayer(
        overdue_rows,
        styles,
        name=_("Overdue tickets (%(count)s)", count=number(len(overdue_rows))),
        cluster_class="fo-overdue",
    ).add_to(fmap)
    PointLayer(
        other_rows,
        styles,
        name=_("Other open tickets (%(count)s)", count=number(len(other_rows))),
        cluster_class="fo-open",
    ).add_to(fmap)
    items = [
        (PRIORITY_COLOURS[p], _("%(priority)s priority", priority=label(p, "priority")), "round")
        for p in reversed(PRIORITIES)
    ]
    items.append(("#ffffff", _("overdue (black ring)"), "round ring"))
    legend = _legend(_("Open tickets"), items)
    summary = _("%(open)s open, %(overdue)s overdue", open=number(tickets.total), overdue=number(tickets.overdue))
    legend += f"<div>{text(summary)}</div>"
    if tickets.without_location:
        unplaced = _("%(count)s without a location are not drawn", count=number(tickets.without_location))
        legend += f"<div><small>{text(unplaced)}</small></div>"
    return _finish(fmap, settings, legend, _bounds((t.lat, t.lon) for t in tickets.tickets))


# --- Communes --------------------------------------------------------------------------------------------


def _format(indicator: str, value) -> str:
    if value is None:
        return _("no readings")
    return format_percent(value) if indicator == "dead_spot_share" else number(value)


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
    indicator_name = str(INDICATORS[indicator])
    features, corners = [], []
    for commune in communes.communes:
        geometry = commune_geometry(commune, area_level)
        if geometry is None:
            continue
        value = commune.value(indicator)
        figures = _(
            "%(readings)s readings · %(dead_spots)s dead spots · %(broken)s broken/missing assets · "
            "%(overdue)s overdue tickets",
            readings=number(commune.readings),
            dead_spots=number(commune.dead_spots),
            broken=number(commune.broken_equipment),
            overdue=number(commune.overdue_tickets),
        )
        if commune.geometry_source == "centroid":
            figures += " · " + _("drawn at its centroid")
        elif commune.geometry_source != "boundary":
            figures += " · " + _("drawn at its sites")
        tip = (
            f"<b>{text(commune.name)}</b> ({text(commune.code)})<br>{text(indicator_name)}: "
            f"{text(_format(indicator, value))}<br><small>{text(figures)}</small>"
        )
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
    AreaLayer({"type": "FeatureCollection", "features": features}, name=indicator_name).add_to(fmap)
    if indicator == "dead_spot_share":
        labels, colours = _bin_labels(SHARE_BINS, percent=True), SHARE_COLOURS
    else:
        labels, colours = _bin_labels(COUNT_BINS[indicator], percent=False), COUNT_COLOURS
    items = [(colour, name, "") for colour, name in zip(colours, labels, strict=True)]
    if indicator == "dead_spot_share":
        items.append((NO_DATA_COLOUR, _("no readings"), ""))
    legend = _legend(indicator_name, items)
    drawn = _(
        "%(drawn)s of %(total)s communes drawn", drawn=number(len(features)), total=number(len(communes.communes))
    )
    legend += f"<div>{text(drawn)}</div>"
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
body { display: flex; flex-direction: column; height: 100vh; height: 100dvh; }
.fieldops-bar { flex: 0 0 auto; box-sizing: border-box; padding: 0.25rem 0.5rem; background: #f6f6f6;
  border-bottom: 1px solid #ccc; z-index: 1000; font: 15px/1.3 system-ui, sans-serif; display: flex; flex-wrap: wrap;
  gap: 0 0.5rem; align-items: center; max-height: 70vh; overflow-y: auto; }
.fieldops-bar nav { display: flex; flex-wrap: wrap; gap: 0 0.15rem; }
.fieldops-bar nav a, .fieldops-bar button, .fieldops-bar summary, .fieldops-bar details > a {
  min-height: 44px; display: inline-flex; align-items: center; padding: 0 0.45rem; }
.fieldops-bar .current { font-weight: bold; }
.fieldops-bar form.lang { display: flex; gap: 0.2rem; margin: 0; }
.fieldops-bar form.lang button { background: #fff; border: 1px solid #999; border-radius: 6px; font: inherit; }
.fieldops-bar form.lang button.current { background: #0b3d6e; color: #fff; }
.fieldops-bar details { flex: 1 1 100%; }
.fieldops-bar summary { cursor: pointer; font-weight: 600; }
.fieldops-bar details form { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; margin: 0 0 0.3rem; }
.fieldops-bar select, .fieldops-bar input[type=date] { font: inherit; min-height: 44px; max-width: 100%; }
.fieldops-bar label { display: inline-flex; gap: 0.3rem; align-items: center; min-height: 44px; }
@media (max-width: 30rem) {
  .fieldops-box { max-width: calc(50vw - 14px); font-size: 11px; }
  .fieldops-caption { max-height: 35vh; overflow-y: auto; }
  .fieldops-box h4 { font-size: 12px; }
}
.folium-map { position: relative !important; flex: 1 1 auto; height: auto !important; min-height: 50vh; }
@media (min-width: 48rem) { .fieldops-bar details { flex: 0 1 auto; } }
</style>
"""


def empty_zoom(area_level: str) -> int:
    return {"commune": 12, "province": 9}.get(area_level, 6)


def hexagon_count_note(grid: DeadSpotGrid) -> str | None:
    if grid.coarsened:
        return _(
            "Too many cells at resolution %(requested)s: drawn at resolution %(resolution)s (at most %(max)s cells); "
            "choose a commune or a smaller box for detail.",
            requested=grid.requested_resolution,
            resolution=grid.resolution,
            max=number(hexes.MAX_CELLS),
        )
    return None
