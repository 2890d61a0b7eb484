"""The SQL aggregates behind the maps, on both backends."""

from datetime import UTC, datetime, timedelta

import h3
import pytest
from shapely.geometry import box

from maps import aggregates
from maps.filters import MapFilters
from server.auth import Scope
from server.errors import InvalidInput, NotFound
from server.indicators.areas import Area, resolve_area
from tests.maps import factory
from tests.maps.factory import KHAO_MANG, LAM_BINH, LAO_CAI, TU_LE, TUYEN_QUANG

EVERYWHERE = Scope(everywhere=True)
LAO_CAI_ONLY = Scope(provinces=frozenset({LAO_CAI}))


def lao_cai() -> MapFilters:
    return MapFilters(area=Area(LAO_CAI, name="Lào Cai"))


def test_dead_spot_counts_group_by_cell(db):
    """Readings are counted per stored H3 cell with their dead spots, inside the scope only."""
    for _ in range(3):
        factory.reading(db.session, KHAO_MANG, dead=True)
    factory.reading(db.session, KHAO_MANG)
    factory.reading(db.session, TU_LE)
    factory.reading(db.session, LAM_BINH, dead=True)
    db.session.flush()

    counts = aggregates.dead_spot_counts(db.session, LAO_CAI_ONLY, MapFilters())
    rows = {cell: (count, dead) for cell, count, dead in counts}
    khao_mang = h3.latlng_to_cell(*factory.PLACES[KHAO_MANG], 8)
    tu_le = h3.latlng_to_cell(*factory.PLACES[TU_LE], 8)
    assert rows == {khao_mang: (4, 3), tu_le: (1, 0)}


def test_dead_spot_filters(db):
    """Area, period and network narrow the readings counted."""
    factory.reading(db.session, KHAO_MANG, dead=True, days_ago=40)
    factory.reading(db.session, KHAO_MANG, network="3g", days_ago=2)
    factory.reading(db.session, TU_LE, network="4g", days_ago=2)
    db.session.flush()
    now = datetime.now(UTC)

    def total(filters):
        return sum(row[1] for row in aggregates.dead_spot_counts(db.session, EVERYWHERE, filters))

    assert total(MapFilters()) == 3
    assert total(MapFilters(area=Area(LAO_CAI, KHAO_MANG, "Khao Mang"))) == 2
    assert total(MapFilters(since=now - timedelta(days=7))) == 2
    assert total(MapFilters(until=now - timedelta(days=7))) == 1
    assert total(MapFilters(network="3g")) == 1
    west, south = factory.PLACES[TU_LE][1] - 0.01, factory.PLACES[TU_LE][0] - 0.01
    assert total(MapFilters(bbox=(west, south, west + 0.02, south + 0.02))) == 1

    def commune_readings(filters):
        found = aggregates.commune_indicators(db.session, EVERYWHERE, filters, now, "dead_spot_share")
        return {c.code: (c.readings, c.dead_spots) for c in found.communes if c.readings}

    assert commune_readings(lao_cai()) == {KHAO_MANG: (2, 1), TU_LE: (1, 0)}
    assert commune_readings(MapFilters(area=lao_cai().area, network="3g")) == {KHAO_MANG: (1, 0)}


def test_dead_spot_grid_rolls_up_to_the_area_resolution(db):
    """A province is drawn at resolution 7: stored cells sum into their parents."""
    lat, lon = factory.PLACES[KHAO_MANG]
    for step in range(6):
        factory.reading(db.session, KHAO_MANG, dead=step % 2 == 0, lat=lat + step * 0.004, lon=lon)
    db.session.flush()

    grid = aggregates.dead_spot_grid(db.session, EVERYWHERE, lao_cai(), stored_resolution=8)
    assert grid.resolution == 7
    assert {h3.get_resolution(cell.cell) for cell in grid.cells} == {7}
    assert sum(cell.readings for cell in grid.cells) == grid.readings == 6
    assert sum(cell.dead_spots for cell in grid.cells) == grid.dead_spots == 3
    fine = aggregates.dead_spot_grid(db.session, EVERYWHERE, lao_cai(), stored_resolution=8, resolution=8)
    assert len(fine.cells) >= len(grid.cells)
    assert {h3.get_resolution(cell.cell) for cell in fine.cells} == {8}


def test_dead_spot_grid_follows_the_spread_of_the_data(db):
    """Readings spread over the whole country are drawn coarser than one province's; an explicit zoom wins."""
    factory.reading(db.session, KHAO_MANG, lat=21.8, lon=104.1)
    factory.reading(db.session, KHAO_MANG, lat=10.0, lon=108.0)
    db.session.flush()

    grid = aggregates.dead_spot_grid(db.session, EVERYWHERE, MapFilters(), stored_resolution=8)
    assert grid.resolution == 5 and not grid.coarsened
    zoomed = aggregates.dead_spot_grid(db.session, EVERYWHERE, MapFilters(), stored_resolution=8, zoom=12)
    assert zoomed.resolution == 8


def test_dead_spot_grid_coarsens_when_too_many_cells(db):
    """Past the cell limit the grid goes coarser instead of growing the page."""
    lat, lon = factory.PLACES[KHAO_MANG]
    for step in range(12):
        factory.reading(db.session, KHAO_MANG, lat=lat + step * 0.05, lon=lon + step * 0.05)
    db.session.flush()

    grid = aggregates.dead_spot_grid(db.session, EVERYWHERE, lao_cai(), stored_resolution=8, max_cells=3)
    assert len(grid.cells) <= 3
    assert grid.resolution < 7 and grid.coarsened
    assert grid.readings == 12


def test_equipment_latest_check_per_asset(db, make_site):
    """Each asset shows its latest check; the site takes the worst of them; unchecked sites have none."""
    school = make_site(commune=KHAO_MANG, name="School", lat=21.80, lon=104.10)
    centre = make_site(commune=TU_LE, name="Centre", lat=21.62, lon=104.30)
    make_site(commune=TU_LE, name="Never checked", lat=21.63, lon=104.31)
    factory.check(db.session, school, condition="broken", days_ago=10)
    factory.check(db.session, school, condition="working", days_ago=1, notes="fixed")
    factory.check(db.session, school, asset_kind="computer", asset_label="PC 1", condition="degraded", days_ago=3)
    factory.check(db.session, centre, condition="missing", asset_kind="scanner", asset_label="")
    factory.check(db.session, centre, condition="working", asset_kind="computer", asset_label="PC")
    db.session.flush()

    status = aggregates.equipment_status(db.session, EVERYWHERE, lao_cai())
    by_name = {site.name: site for site in status.sites}
    assert set(by_name) == {"School", "Centre", "Never checked"}
    school_assets = {(a.asset_kind, a.asset_label): a for a in by_name["School"].assets}
    assert school_assets[("printer", "Canon LBP2900 #2")].condition == "working"
    assert school_assets[("printer", "Canon LBP2900 #2")].notes == "fixed"
    assert by_name["School"].worst_condition == "degraded"
    assert by_name["Centre"].worst_condition == "missing"
    assert by_name["Never checked"].worst_condition is None and by_name["Never checked"].assets == []
    assert by_name["School"].lat == pytest.approx(21.80) and by_name["School"].lon == pytest.approx(104.10)


def test_equipment_period_and_kind_filters(db, make_site):
    """The period limits which checks count; asset_kind limits which assets are listed."""
    school = make_site(commune=KHAO_MANG, name="School", lat=21.80, lon=104.10)
    factory.check(db.session, school, condition="broken", days_ago=10)
    factory.check(db.session, school, condition="working", days_ago=1)
    factory.check(db.session, school, asset_kind="computer", asset_label="PC", condition="degraded", days_ago=1)
    db.session.flush()
    until = datetime.now(UTC) - timedelta(days=5)

    earlier = aggregates.equipment_status(db.session, EVERYWHERE, MapFilters(area=lao_cai().area, until=until))
    assert [a.condition for a in earlier.sites[0].assets] == ["broken"]
    printers = aggregates.equipment_status(db.session, EVERYWHERE, MapFilters(asset_kind="computer"))
    school_row = next(site for site in printers.sites if site.name == "School")
    assert [a.asset_kind for a in school_row.assets] == ["computer"]


def test_equipment_is_scoped(db, make_site):
    """Sites outside the caller's jurisdiction are not on the map."""
    make_site(commune=KHAO_MANG, name="Mine", lat=21.80, lon=104.10)
    make_site(commune=LAM_BINH, name="Theirs", lat=22.45, lon=105.22)
    db.session.flush()
    names = {site.name for site in aggregates.equipment_status(db.session, LAO_CAI_ONLY, MapFilters()).sites}
    assert "Mine" in names and "Theirs" not in names


def test_open_tickets_overdue_first_and_located(db, make_site):
    """Active tickets only, overdue first then by priority; a ticket without a point sits at its site."""
    site = make_site(commune=TU_LE, name="Centre", lat=21.62, lon=104.30)
    factory.ticket(db.session, KHAO_MANG, title="low, on time", priority="low")
    factory.ticket(db.session, KHAO_MANG, title="high, overdue", priority="high", due_in_days=-2)
    factory.ticket(db.session, TU_LE, title="critical, on time", priority="critical", site=site)
    factory.ticket(db.session, KHAO_MANG, title="closed", status="closed", due_in_days=-5)
    factory.ticket(db.session, LAM_BINH, title="elsewhere", due_in_days=-5)
    db.session.flush()

    found = aggregates.open_tickets(db.session, LAO_CAI_ONLY, MapFilters(), datetime.now(UTC))
    assert [t.title for t in found.tickets] == ["high, overdue", "critical, on time", "low, on time"]
    assert [t.overdue for t in found.tickets] == [True, False, False]
    assert found.total == 3 and found.overdue == 1 and found.without_location == 0
    at_site = found.tickets[1]
    assert (at_site.lat, at_site.lon) == (pytest.approx(21.62), pytest.approx(104.30))


def test_open_tickets_filters_and_limit(db):
    """Category and area narrow the tickets; the limit bounds the rows but not the counts."""
    for number in range(4):
        factory.ticket(db.session, KHAO_MANG, title=f"t{number}", category="connectivity", due_in_days=-1)
    factory.ticket(db.session, TU_LE, title="power", category="power")
    db.session.flush()
    now = datetime.now(UTC)

    found = aggregates.open_tickets(db.session, EVERYWHERE, MapFilters(category="connectivity"), now, limit=2)
    assert len(found.tickets) == 2 and found.truncated and found.total == 4 and found.overdue == 4
    commune = MapFilters(area=Area(LAO_CAI, TU_LE, "Tú Lệ"))
    assert [t.title for t in aggregates.open_tickets(db.session, EVERYWHERE, commune, now).tickets] == ["power"]


def test_commune_indicators(db, make_site):
    """Dead-spot share, broken/missing assets and overdue tickets per commune, all in SQL."""
    for dead in (True, True, False, False):
        factory.reading(db.session, KHAO_MANG, dead=dead)
    factory.reading(db.session, TU_LE)
    school = make_site(commune=KHAO_MANG, name="School", lat=21.80, lon=104.10)
    factory.check(db.session, school, condition="broken")
    factory.check(db.session, school, asset_kind="scanner", asset_label="", condition="missing")
    factory.check(db.session, school, asset_kind="computer", asset_label="PC", condition="broken", days_ago=5)
    factory.check(db.session, school, asset_kind="computer", asset_label="PC", condition="working", days_ago=1)
    factory.ticket(db.session, TU_LE, due_in_days=-1)
    factory.ticket(db.session, TU_LE, due_in_days=3)
    db.session.flush()

    result = aggregates.commune_indicators(db.session, EVERYWHERE, lao_cai(), datetime.now(UTC), "dead_spot_share")
    communes = {c.code: c for c in result.communes}
    assert len(communes) > 50  # every commune of the province, with or without data
    assert communes[KHAO_MANG].dead_spot_share == 0.5
    assert communes[KHAO_MANG].broken_equipment == 2
    assert communes[TU_LE].overdue_tickets == 1
    assert communes[TU_LE].dead_spot_share == 0.0
    assert communes["04456"].dead_spot_share is None
    # No boundaries in the test database: every commune is drawn at its official centroid, sized by its area.
    assert communes[KHAO_MANG].geometry_source == "centroid" and communes[TU_LE].geometry_source == "centroid"
    assert (communes[TU_LE].geometry.y, communes[TU_LE].geometry.x) == (21.7832, 104.26)
    assert communes[TU_LE].radius_m == round((115.35 / 3.141592653589793) ** 0.5 * 1000)
    assert result.drawn_as("centroid") == len(communes)


def test_province_level_tickets_count_for_their_commune(db, make_site):
    """An escalated ticket belongs to the province but is about a place: its site's commune, or the commune of
    the readings in its H3 cell."""
    site = make_site(commune=TU_LE, name="Centre", lat=21.62, lon=104.30)
    reading = factory.reading(db.session, KHAO_MANG, dead=True)
    db.session.flush()
    factory.ticket(db.session, TU_LE, title="escalated, at a site", level="province", site=site, due_in_days=-1)
    factory.ticket(
        db.session, KHAO_MANG, title="dead-spot cluster", level="province", h3_cell=reading.h3_cell, due_in_days=-1
    )
    factory.ticket(db.session, KHAO_MANG, title="province, nowhere", level="province", due_in_days=-1)
    db.session.flush()
    now = datetime.now(UTC)

    result = aggregates.commune_indicators(db.session, EVERYWHERE, lao_cai(), now, "overdue_tickets")
    communes = {c.code: c for c in result.communes}
    assert communes[TU_LE].overdue_tickets == 1 and communes[KHAO_MANG].overdue_tickets == 1
    commune = MapFilters(area=Area(LAO_CAI, KHAO_MANG, "Khao Mang"))
    titles = [t.title for t in aggregates.open_tickets(db.session, EVERYWHERE, commune, now).tickets]
    assert titles == ["dead-spot cluster"]
    assert aggregates.open_tickets(db.session, EVERYWHERE, lao_cai(), now).total == 3


def test_commune_indicators_use_boundaries_when_loaded(db):
    """A commune with a boundary is drawn as that polygon."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon

    from server.models import AdminUnit

    unit = db.session.get(AdminUnit, KHAO_MANG)
    outline = box(104.05, 21.75, 104.15, 21.85)
    unit.boundary = from_shape(MultiPolygon([outline]), srid=4326)
    unit.centroid = from_shape(outline.centroid, srid=4326)
    db.session.flush()

    result = aggregates.commune_indicators(db.session, EVERYWHERE, lao_cai(), datetime.now(UTC), "overdue_tickets")
    communes = {c.code: c for c in result.communes}
    assert communes[KHAO_MANG].geometry_source == "boundary"
    assert communes[KHAO_MANG].geometry.bounds == pytest.approx((104.05, 21.75, 104.15, 21.85))
    assert result.drawn_as("boundary") == 1


def test_resolve_area_checks_the_scope(db):
    """An area outside the caller's jurisdiction does not exist for them; a commune must match its province."""
    assert resolve_area(db.session, LAO_CAI_ONLY, LAO_CAI, None).level == "province"
    assert resolve_area(db.session, LAO_CAI_ONLY, None, KHAO_MANG).province_code == LAO_CAI
    with pytest.raises(NotFound):
        resolve_area(db.session, LAO_CAI_ONLY, TUYEN_QUANG, None)
    with pytest.raises(NotFound):
        resolve_area(db.session, LAO_CAI_ONLY, None, LAM_BINH)
    with pytest.raises(InvalidInput):
        resolve_area(db.session, EVERYWHERE, TUYEN_QUANG, KHAO_MANG)
    commune_team = Scope(communes=frozenset({KHAO_MANG}))
    assert resolve_area(db.session, commune_team, LAO_CAI, None).code == LAO_CAI
