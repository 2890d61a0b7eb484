"""Map builders and hexagon maths, without a database: escaping, local assets, legend and layers, tiles."""

import re
from datetime import UTC, datetime, timedelta

import h3
import pytest
from shapely.geometry import Point, box

from maps import assets, builders, hexes
from maps.aggregates import (
    AssetStatus,
    CommuneIndicators,
    CommuneMap,
    DeadSpotGrid,
    EquipmentStatus,
    OpenTickets,
    SiteEquipment,
    TicketPoint,
)

NOW = datetime.now(UTC)
SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 1">'
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn.com", "unpkg.com")

ASSET_LINK = r'<script[^>]* src="([^"]+)"|<link rel="stylesheet" href="([^"]+)"'


def local_url(resource: assets.Resource) -> str:
    return f"/maps/assets/{resource.library}/{resource.filename}"


def grid(count: int = 30) -> DeadSpotGrid:
    cells = [hexes.HexCell(h3.latlng_to_cell(21.8 + i * 0.01, 104.1, 8), 10 + i, i % 5) for i in range(count)]
    return DeadSpotGrid(8, cells, sum(c.readings for c in cells), sum(c.dead_spots for c in cells), 8, cells)


def equipment() -> EquipmentStatus:
    asset = AssetStatus("printer", f"Canon {IMG}", "broken", NOW - timedelta(days=2), f"jammed {SCRIPT}", 3.0)
    return EquipmentStatus(
        [
            SiteEquipment(1, f"School {SCRIPT}", "school", "04465", 21.8, 104.1, [asset]),
            SiteEquipment(2, "Village", "village", "04465", 21.81, 104.12, []),
        ]
    )


def tickets() -> OpenTickets:
    yesterday, later = NOW - timedelta(days=1), NOW + timedelta(days=3)
    ticket = TicketPoint(7, f"Fix {SCRIPT}", "equipment", "high", "open", yesterday, NOW, True, "04465", 21.8, 104.1)
    other = TicketPoint(8, "Antenna", "connectivity", "low", "assigned", later, NOW, False, "04465", 21.9, 104.2)
    return OpenTickets([ticket, other], total=3, overdue=1, without_location=1)


def communes(indicator: str = "dead_spot_share") -> CommuneMap:
    return CommuneMap(
        indicator,
        [
            CommuneIndicators("04465", f"Khao Mang {SCRIPT}", 10, 4, 1, 2, box(104.0, 21.7, 104.2, 21.9), "boundary"),
            CommuneIndicators("04630", "Tú Lệ", 0, 0, 0, 0, Point(104.3, 21.6), "sites"),
            CommuneIndicators("04456", "Mù Cang Chải", 0, 0, 0, 0, None, None),
        ],
    )


def settings(**overrides) -> builders.MapSettings:
    return builders.MapSettings(**{"title": f"Title {SCRIPT}", "filters": ["Lào Cai"], "notes": [SCRIPT], **overrides})


def all_maps():
    yield "dead_spots", builders.dead_spot_map(grid(), settings(), heat=True)
    yield "equipment", builders.equipment_map(equipment(), settings())
    yield "tickets", builders.tickets_map(tickets(), settings())
    yield "communes", builders.communes_map(communes(), settings(), "province")


def test_user_text_is_escaped_in_popups_and_tooltips():
    """A <script> or an <img onerror> in a name, a note or a title stays text in every map."""
    for name, fmap in all_maps():
        page = builders.page_html(fmap, local_url)
        assert "<script>window.__pwned" not in page, name
        assert "<img src=x" not in page and 'window.__pwned = 1">' not in page, name
        # the JSON embedding escapes <, > and & themselves, so the escaped text reads \u0026lt;script...
        assert "\\u0026lt;script\\u0026gt;window.__pwned" in page, name
    popup = builders.equipment_popup(equipment().sites[0])
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in popup
    assert "&lt;img src=x onerror=&quot;window.__pwned = 1&quot;&gt;" in popup
    assert "<script" not in builders.ticket_popup(tickets().tickets[0])


def test_pages_load_assets_from_the_app_only():
    """No CDN: every script and style sheet is one of the app's asset URLs, and each exists in a package."""
    for name, fmap in all_maps():
        page = builders.page_html(fmap, local_url)
        links = ["".join(found) for found in re.findall(ASSET_LINK, page)]
        assert links, name
        for link in links:
            assert link.startswith("/maps/assets/"), (name, link)
            library, filename = link.removeprefix("/maps/assets/").split("/", 1)
            assert assets.asset_file(library, filename) is not None, link
        assert not any(host in page for host in CDN_HOSTS), name
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page), name


def test_standalone_file_inlines_everything():
    """The download is one file: Leaflet, plugins and styles inline, images as data URIs, no links out."""
    for name, fmap in all_maps():
        page = builders.standalone_html(fmap)
        assert "<script src=" not in page and '<link rel="stylesheet"' not in page, name
        assert "/maps/assets/" not in page, name
        assert not any(host in page for host in CDN_HOSTS), name
        assert "L.version" in page or "leaflet" in page.lower()
    page = builders.standalone_html(builders.tickets_map(tickets(), settings()))
    assert "markerClusterGroup" in page and "data:image/png;base64," in page


def test_every_map_has_legend_caption_and_layer_control():
    """Each map carries a legend, a caption with the filters and notes, and a layer control."""
    for name, fmap in all_maps():
        page = builders.page_html(fmap, local_url)
        assert "fieldops-legend" in page and "fieldops-caption" in page, name
        assert "L.control.layers" in page, name
        assert "Lào Cai" in page, name


def test_ticket_map_clusters_by_overdue_state():
    """Tickets are clustered in two layers, overdue and the rest, with their counts in the layer names."""
    page = builders.page_html(builders.tickets_map(tickets(), settings()), local_url)
    assert page.count("L.markerClusterGroup(") == 2
    assert "Overdue tickets (1)" in page and "Other open tickets (1)" in page
    assert "without a location" in page


def test_communes_map_draws_polygons_and_circles():
    """Communes with a boundary are polygons, others circles; communes with no place are counted, not drawn."""
    page = builders.page_html(builders.communes_map(communes(), settings(), "province"), local_url)
    assert '"type":"Polygon"' in page and '"type":"Point"' in page
    assert "2 of 3 communes drawn" in page
    for indicator in ("broken_equipment", "overdue_tickets"):
        fmap = builders.communes_map(communes(indicator), settings(), "province")
        assert "communes drawn" in builders.page_html(fmap, local_url)


def test_indicator_colours():
    """Values fall in their class; no value is the no-data grey."""
    assert builders.indicator_colour("dead_spot_share", None) == builders.NO_DATA_COLOUR
    assert builders.indicator_colour("dead_spot_share", 0.0) == builders.SHARE_COLOURS[0]
    assert builders.indicator_colour("dead_spot_share", 0.6) == builders.SHARE_COLOURS[-1]
    assert builders.indicator_colour("overdue_tickets", 4) == builders.COUNT_COLOURS[2]


def test_tile_settings():
    """none draws no tiles; osm uses OpenStreetMap; a URL template uses that server; anything else is refused."""
    assert "tile.openstreetmap.org" not in builders.page_html(builders.dead_spot_map(grid(), settings()), local_url)
    osm = builders.page_html(builders.dead_spot_map(grid(), settings(tiles="osm")), local_url)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in osm
    local = builders.page_html(
        builders.dead_spot_map(grid(), settings(tiles="http://127.0.0.1:8080/{z}/{x}/{y}.png")), local_url
    )
    assert "http://127.0.0.1:8080/{z}/{x}/{y}.png" in local
    with pytest.raises(ValueError):
        builders.check_tiles("https://tiles.example/{z}.png")
    with pytest.raises(ValueError):
        builders.check_tiles("google")


def test_heat_layer_only_from_fine_cells():
    """The heat layer uses cell centres weighted by dead spots, and is left out when no fine cells are given."""
    with_heat = builders.page_html(builders.dead_spot_map(grid(), settings(), heat=True), local_url)
    assert "L.heatLayer" in with_heat and "/maps/assets/heat/leaflet_heat.min.js" in with_heat
    coarse = grid()
    coarse.fine_cells = None
    assert "L.heatLayer" not in builders.page_html(builders.dead_spot_map(coarse, settings(), heat=True), local_url)


def test_unknown_folium_resource_is_refused():
    """A plugin whose script has no local copy cannot render a page (no silent CDN link)."""
    from folium.plugins import Fullscreen

    fmap = builders.dead_spot_map(grid(), settings())
    Fullscreen().add_to(fmap)
    with pytest.raises(assets.UnknownResource):
        builders.page_html(fmap, local_url)


def test_asset_file_stays_inside_packages():
    """Only web files of the known libraries are served; no path escapes their folder."""
    assert assets.asset_file("leaflet", "leaflet.js") is not None
    assert assets.asset_file("leaflet", "images/layers.png") is not None
    assert assets.asset_file("leaflet", "../__init__.py") is None
    assert assets.asset_file("leaflet", "../../leaflet_markercluster/data/MarkerCluster.css") is None
    assert assets.asset_file("nope", "leaflet.js") is None
    assert assets.asset_file("heat", "pa7_hm.min.js") is not None


def test_resolution_choices():
    """Zoom and box sizes map to coarser cells for wider views."""
    assert [hexes.resolution_for_zoom(z) for z in (4, 6, 8, 10, 13)] == [4, 5, 6, 7, 8]
    commune_box = (104.05, 21.75, 104.15, 21.85)
    country_box = (102.1, 8.5, 109.5, 23.4)
    assert hexes.resolution_for_box(commune_box, 8) == 8
    assert hexes.resolution_for_box(country_box, 8) < 6


def test_roll_up_sums_children_into_parents():
    """Counts of resolution-8 cells add up in their resolution-6 parent; coarsening stops at the limit."""
    parent = h3.latlng_to_cell(21.8, 104.1, 6)
    children = list(h3.cell_to_children(parent, 8))[:5]
    rows = [(cell, 10, 2) for cell in children]
    assert hexes.roll_up(rows, 6) == [hexes.HexCell(parent, 50, 10)]
    far = [(h3.latlng_to_cell(10 + i, 105, 8), 1, 0) for i in range(10)]
    resolution, cells = hexes.grid(far, 8, max_cells=5)
    assert resolution == hexes.MIN_RESOLUTION and len(cells) == 10  # cannot go coarser: shown anyway
    assert len(hexes.ring(parent)) == 6


def test_tile_server_is_allowed_by_the_content_security_policy():
    """A configured tile server joins the policy's image sources; no tiles adds nothing."""
    from types import SimpleNamespace

    from maps import _allow_tile_images

    app = SimpleNamespace(config={"CSP_IMG_SOURCES": ["https://tile.openstreetmap.org"], "MAP_TILES": "none"})
    _allow_tile_images(app)
    assert app.config["CSP_IMG_SOURCES"] == ["https://tile.openstreetmap.org"]
    app.config["MAP_TILES"] = "http://{s}.tiles.lan:8080/{z}/{x}/{y}.png"
    _allow_tile_images(app)
    assert app.config["CSP_IMG_SOURCES"] == ["https://tile.openstreetmap.org", "http://*.tiles.lan:8080"]
    app.config["MAP_TILES"] = "osm"
    _allow_tile_images(app)
    assert len(app.config["CSP_IMG_SOURCES"]) == 2
