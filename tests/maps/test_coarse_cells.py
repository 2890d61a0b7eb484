"""The coarse cell rollups (resolution-5 cells per province and network, by day and by month) behind the country
dead-spot map: the same hexagons as the stored cells rolled up, kept like every rollup, on both backends."""

import random
import uuid
from datetime import datetime, timedelta

import h3
import pytest
from sqlalchemy import event, literal_column, select, union_all

from maps import aggregates, hexes
from maps.filters import MapFilters
from server.auth import Scope
from server.indicators import connectivity, rollups
from server.indicators.areas import VIETNAM, Area, Period
from server.indicators.sql import h3_parent
from server.models import (
    CellRollup,
    CoarseCellDailyRollup,
    CoarseCellMonthlyRollup,
    ConnectivityReading,
    Review,
)
from server.models.rollups import COARSE_RESOLUTION
from server.spatial import point
from tests.maps import factory
from tests.maps.factory import KHAO_MANG, LAM_BINH, LAO_CAI, TU_LE, TUYEN_QUANG

EVERYWHERE = Scope(everywhere=True)
LAO_CAI_ONLY = Scope(provinces=frozenset({LAO_CAI}))
TWO_PROVINCES = Scope(provinces=frozenset({LAO_CAI, TUYEN_QUANG}))
COARSE_TABLES = (CoarseCellDailyRollup, CoarseCellMonthlyRollup)


def test_the_parent_cell_in_sql_is_h3s(db):
    """The SQL that rebuilds and reviews use for a cell's parent gives what ``h3.cell_to_parent`` gives, for cells
    of every digit (random cells of the world), cells already coarse enough, and no cell."""
    rng = random.Random(5)
    cells = [h3.latlng_to_cell(rng.uniform(-80, 80), rng.uniform(-180, 180), 8) for _ in range(300)]
    cells += [h3.latlng_to_cell(*factory.PLACES[KHAO_MANG], resolution) for resolution in (3, 5, 6, 9)]
    cells.append("")
    values = union_all(*(select(literal_column(f"'{cell}'").label("cell")) for cell in cells)).subquery()
    for resolution in (4, COARSE_RESOLUTION, 6, 7):
        parent = h3_parent(values.c.cell, resolution)
        found = dict(db.session.execute(select(values.c.cell, parent)).all())
        expected = {cell: rollups.cell_parent(cell, resolution) for cell in cells}
        assert found == expected
        assert all(
            found[cell] == h3.cell_to_parent(cell, resolution)
            for cell in cells
            if cell and h3.get_resolution(cell) > resolution
        )


def _province_level(session, lat: float, lon: float, days_ago: float, dead: bool) -> ConnectivityReading:
    """A reading placed only at province level (Lao Cai): its commune column holds the province."""
    row = ConnectivityReading(
        id=uuid.uuid4(),
        observed_at=factory.NOW - timedelta(days=days_ago),
        received_at=factory.NOW,
        geom=point(lon, lat),
        h3_cell=h3.latlng_to_cell(lat, lon, 8),
        admin_unit_code=LAO_CAI,
        province_code=LAO_CAI,
        network="none" if dead else "3g",
        dead_spot=dead,
    )
    session.add(row)
    return row


def _review(session, reading: ConnectivityReading, state: str) -> None:
    session.add(
        Review(
            record_kind="connectivity_reading",
            record_id=reading.id,
            state=state,
            admin_unit_code=reading.admin_unit_code,
            province_code=reading.province_code,
        )
    )
    session.flush()
    rollups.refresh_records(session, [("connectivity_reading", reading)])


@pytest.fixture
def spread_readings(db):
    """Readings over four months in two provinces (and one far south, so the country map is drawn coarse), on
    three networks, some placed at province level; a few approved, one rejected."""
    rng = random.Random(15)
    made = []
    for step in range(60):
        commune = (KHAO_MANG, TU_LE, LAM_BINH)[step % 3]
        lat, lon = factory.PLACES[commune]
        made.append(
            factory.reading(
                db.session,
                commune,
                dead=rng.random() < 0.3,
                network=rng.choice(["4g", "3g", "fiber"]),
                lat=lat + rng.uniform(-0.25, 0.25),
                lon=lon + rng.uniform(-0.25, 0.25),
                days_ago=step * 1.6 + 0.1,
            )
        )
    for step in range(6):
        made.append(
            _province_level(db.session, 22.1 + step * 0.05, 103.9 + step * 0.08, step * 15 + 0.3, step % 2 == 0)
        )
    made.append(factory.reading(db.session, TU_LE, lat=10.0, lon=108.0, days_ago=2))
    db.session.flush()
    for reading in made[::13]:
        _review(db.session, reading, "approved")
    _review(db.session, made[3], "rejected")
    return made


def _periods() -> list[tuple[datetime | None, datetime | None]]:
    now = factory.NOW
    this_month = now.astimezone(VIETNAM).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    two_months_ago = (last_month - timedelta(days=1)).replace(day=1)
    return [
        (None, None),
        (last_month, None),  # whole months, then this one (open)
        (now - timedelta(days=50), now - timedelta(days=10)),  # days, a whole month perhaps, days
        (last_month + timedelta(days=3), last_month + timedelta(days=12)),  # inside one month
        (None, now - timedelta(days=20)),
        (two_months_ago, last_month),  # exactly one whole month
        (two_months_ago + timedelta(days=5), this_month),
    ]


def _fine_rolled_up(session, scope, area, period, network):
    rows = connectivity.dead_spots_by_cell(session, scope, area, period, network)
    return [(cell.cell, cell.readings, cell.dead_spots) for cell in hexes.roll_up(rows, COARSE_RESOLUTION)]


@pytest.mark.parametrize("reviewed_only", [False, True])
def test_coarse_cells_equal_the_stored_cells_rolled_up(db, spread_readings, reviewed_only):
    """Per resolution-5 cell, the coarse rollups give exactly the stored cells' sums rolled up, for every period
    (whole months, days around them, inside a month, open sides), network, area and jurisdiction of whole
    provinces, and with reviewed records only."""
    compared = 0
    for scope, area in (
        (EVERYWHERE, Area(reviewed_only=reviewed_only)),
        (EVERYWHERE, Area(LAO_CAI, reviewed_only=reviewed_only)),
        (LAO_CAI_ONLY, Area(reviewed_only=reviewed_only)),
        (TWO_PROVINCES, Area(TUYEN_QUANG, reviewed_only=reviewed_only)),
    ):
        for since, until in _periods():
            for network in (None, "4g"):
                period = Period(since, until)
                coarse = connectivity.dead_spots_by_coarse_cell(db.session, scope, area, period, network)
                fine = _fine_rolled_up(db.session, scope, area, period, network)
                assert sorted(coarse) == fine, (scope, area, since, until, network)
                compared += bool(fine)
    assert compared > 20


def test_a_commune_or_communes_jurisdiction_reads_the_stored_cells(db):
    """The coarse rollups are per province: a commune, or a jurisdiction of single communes, cannot read them."""
    assert connectivity.coarse_cells_readable(EVERYWHERE, Area(LAO_CAI))
    assert connectivity.coarse_cells_readable(LAO_CAI_ONLY, Area())
    assert not connectivity.coarse_cells_readable(EVERYWHERE, Area(LAO_CAI, KHAO_MANG))
    assert not connectivity.coarse_cells_readable(Scope(communes=frozenset({KHAO_MANG})), Area())
    with pytest.raises(ValueError):
        connectivity.dead_spots_by_coarse_cell(db.session, EVERYWHERE, Area(LAO_CAI, KHAO_MANG), Period(None, None))


def _statements(session, run) -> list[str]:
    statements = []
    connection = session.connection()

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", keep)
    try:
        result = run()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    return result, statements


def _grid_figures(grid: aggregates.DeadSpotGrid) -> tuple:
    return (
        grid.resolution,
        grid.requested_resolution,
        grid.coarsened,
        grid.readings,
        grid.dead_spots,
        [(cell.cell, cell.readings, cell.dead_spots) for cell in grid.cells],
    )


def test_the_map_draws_the_same_hexagons_from_either_rollup(db, spread_readings, monkeypatch):
    """The dead-spot map of a whole jurisdiction at resolution 5 or coarser reads the coarse rollups (the country
    map by default: a few rows per cell and month), and draws exactly what it draws from the stored cells, with a
    period, a network, a province-scoped user and reviewed records only."""
    now = factory.NOW
    cases = [
        (EVERYWHERE, MapFilters(), {}),
        (EVERYWHERE, MapFilters(since=now - timedelta(days=40), network="4g"), {}),
        (EVERYWHERE, MapFilters(area=Area(reviewed_only=True)), {}),
        (EVERYWHERE, MapFilters(area=Area(LAO_CAI)), {"resolution": 5}),
        (EVERYWHERE, MapFilters(), {"zoom": 5}),
        (EVERYWHERE, MapFilters(until=now - timedelta(days=30)), {"resolution": 4}),
        (LAO_CAI_ONLY, MapFilters(since=now - timedelta(days=60)), {"resolution": 5}),
        (LAO_CAI_ONLY, MapFilters(area=Area(reviewed_only=True)), {"resolution": 4, "max_cells": 1}),
        (TWO_PROVINCES, MapFilters(network="3g"), {}),
    ]
    drawn = {}
    for number, (scope, filters, options) in enumerate(cases):
        grid, statements = _statements(
            db.session,
            lambda scope=scope, filters=filters, options=options: aggregates.dead_spot_grid(
                db.session, scope, filters, stored_resolution=8, **options
            ),
        )
        drawn[number] = _grid_figures(grid)
        if grid.requested_resolution <= COARSE_RESOLUTION:
            assert not any("rollup_cells_daily" in statement for statement in statements), number
            read = " ".join(statements)
            assert "rollup_cells_r5_" in read or "connectivity_readings" in read, number
    assert drawn[0][0] == 5 and drawn[0][3] >= len(spread_readings) - 1  # the country, coarse; one rejected
    assert any(figures[-1] for figures in drawn.values())

    monkeypatch.setattr(aggregates, "coarse_rows_usable", lambda *args, **kwargs: False)
    for number, (scope, filters, options) in enumerate(cases):
        grid = aggregates.dead_spot_grid(db.session, scope, filters, stored_resolution=8, **options)
        assert _grid_figures(grid) == drawn[number], number


def test_the_country_map_reads_whole_months_from_the_monthly_rollup(db, spread_readings):
    """Without a period the country map reads the monthly rollup only; a period adds the days around its whole
    months from the daily one."""
    _, statements = _statements(
        db.session, lambda: aggregates.dead_spot_grid(db.session, EVERYWHERE, MapFilters(), stored_resolution=8)
    )
    read = " ".join(statements)
    assert "rollup_cells_r5_monthly" in read and "rollup_cells_r5_daily" not in read
    assert "rollup_cells_daily" not in read
    since = factory.NOW - timedelta(days=45)
    _, statements = _statements(
        db.session,
        lambda: aggregates.dead_spot_grid(db.session, EVERYWHERE, MapFilters(since=since), stored_resolution=8),
    )
    read = " ".join(statements)
    assert "rollup_cells_r5_monthly" in read and "rollup_cells_r5_daily" in read


def test_coarse_rollups_are_kept_reviewed_and_rebuilt_like_the_others(db, spread_readings):
    """Ingest (here the ORM flush), reviews and ``rebuild`` agree on the coarse rollups, and a rebuild from a day
    in the middle of a month rebuilds that whole month of the monthly one."""
    kept = rollups.snapshot(db.session)
    assert kept[CoarseCellMonthlyRollup.__tablename__] and kept[CoarseCellDailyRollup.__tablename__]
    # Rows are (day, cell, commune column, network, province, readings, dead spots[, broadband]).
    fine = kept[CellRollup.__tablename__]
    for model in COARSE_TABLES:
        rows = kept[model.__tablename__]
        assert sum(row[5] for row in rows) == sum(row[5] for row in fine)
        assert sum(row[6] for row in rows) == sum(row[6] for row in fine)
        assert all(row[2] == row[4] for row in rows)  # the province stands in the commune column

    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session) == kept
    mid_month = (factory.NOW - timedelta(days=40)).astimezone(VIETNAM).date()
    if mid_month.day == 1:
        mid_month += timedelta(days=1)
    db.session.execute(CoarseCellMonthlyRollup.__table__.update().values(readings=CoarseCellMonthlyRollup.readings + 1))
    rollups.rebuild(db.session, since=mid_month)
    after = rollups.snapshot(db.session)
    monthly = after[CoarseCellMonthlyRollup.__tablename__]
    month_start = mid_month.replace(day=1)
    assert [row for row in monthly if row[0] >= month_start] == [
        row for row in kept[CoarseCellMonthlyRollup.__tablename__] if row[0] >= month_start
    ]
    assert all(
        row[5] == old[5] + 1
        for row, old in zip(monthly, kept[CoarseCellMonthlyRollup.__tablename__], strict=True)
        if row[0] < month_start
    )


def test_rollups_rebuild_command_names_the_coarse_tables(app, db, spread_readings):
    """``rollups rebuild`` lists the coarse rollups and finds nothing to repair after ingest."""
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    for model in COARSE_TABLES:
        line = next(line for line in result.output.splitlines() if line.startswith(model.__tablename__ + ":"))
        assert " 0 differed" in line, line


def test_a_period_in_months_and_days_counts_each_day_once():
    """``by_months``: every day of the period counted once and no other day, whatever the period (whole months,
    days around them taken as days or as a whole month less the days outside, inside one month, open sides); the
    monthly spans start and end on months' first days, and a partial month is read in at most half its days."""
    from datetime import date

    rng = random.Random(3)
    window = [date(2025, 11, 1) + timedelta(days=n) for n in range(500)]
    cases = [(None, None), (None, date(2026, 3, 1)), (date(2026, 1, 31), None)]
    cases += [tuple(sorted(rng.sample(window[1:-1], 2))) for _ in range(300)]
    cases += [(date(2026, 2, 3), date(2026, 2, 4)), (date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 2, 2), None)]
    for first, end in cases:
        period = Period(
            datetime.combine(first, datetime.min.time(), VIETNAM) if first else None,
            datetime.combine(end, datetime.min.time(), VIETNAM) if end else None,
        )
        spans = connectivity.by_months(period, Area())
        for span in spans:
            if span.monthly:
                assert all(day is None or day.day == 1 for day in (span.since, span.until)), span
            if span.sign == -1:  # days taken off a month: fewer than those it would have read instead
                assert (span.until - span.since).days <= 15, span
        for day in window:
            counted = sum(
                span.sign
                for span in spans
                if (span.since is None or span.since <= day) and (span.until is None or day < span.until)
            )
            inside = (first is None or first <= day) and (end is None or day < end)
            assert counted == int(inside), (first, end, day, spans)
        assert connectivity.by_months(period, Area(reviewed_only=True)) == [
            connectivity.Span(first, end, monthly=False)
        ]


@pytest.mark.parametrize("reviewed_only", [False, True])
def test_the_ranked_places_read_by_month_equal_the_daily_sums(db, spread_readings, monkeypatch, reviewed_only):
    """The ranking's readings per commune, province and cell (at the ranked resolution and coarser), read from
    the monthly place rollup for whole months and the daily rollups around them, are exactly the sums of the
    daily rollups over the period, for every period, area and jurisdiction of whole provinces."""

    def daily_only(period, area):
        return [connectivity.Span(period.first_day, period.end_day, monthly=False)]

    compared = set()
    for scope, area in (
        (EVERYWHERE, Area(reviewed_only=reviewed_only)),
        (EVERYWHERE, Area(LAO_CAI, reviewed_only=reviewed_only)),
        (LAO_CAI_ONLY, Area(reviewed_only=reviewed_only)),
        (EVERYWHERE, Area(commune=KHAO_MANG, reviewed_only=reviewed_only)),
    ):
        for since, until in _periods():
            period = Period(since, until)
            for level, resolution in (("commune", None), ("province", None), ("h3", 6), ("h3", 5)):
                found = connectivity.readings_by(db.session, scope, area, period, level, resolution)
                with monkeypatch.context() as patched:
                    patched.setattr(connectivity, "by_months", daily_only)
                    expected = connectivity.readings_by(db.session, scope, area, period, level, resolution)
                assert found == expected, (scope, area, since, until, level, resolution)
                if expected:
                    compared.add(level)
    assert compared == {"commune", "province", "h3"}
