"""The gap score: hand-computed parts, contributions adding up to the score, H3 cells where no commune is known."""

import math

import h3
import pytest

from reports.parameters import PART_NAMES, Area, Costs, RankingOptions, Weights
from reports.plan import make_plan
from reports.priorities import rank, rank_places, score_parts
from server.auth import Scope
from tests.reports.conftest import C1, C2, OTHER, PROVINCE, UNPLACED_LAT, UNPLACED_LON

LAO_CAI = Scope(provinces=frozenset({PROVINCE}))


def parts_of(row):
    return {part["name"]: part for part in row["parts"]}


def test_score_parts_by_hand(db, world, period, now):
    """04603: dead spots 0.4 -> 0.12; 5,000 people x 0.4 = 2,000 of 10,000 -> 0.04; 2 broken/missing of 10 -> 0.04;
    3 open of 20 -> 0.015; 2 overdue of 10 -> 0.02; 20 citizens of 1,000 -> 0.002; score 0.237."""
    rows = rank_places(db.session, LAO_CAI, Area(PROVINCE), period, now)
    [c1] = [row for row in rows if row["code"] == C1]
    parts = parts_of(c1)
    expected = {
        "dead_spot_share": (0.4, 0.4, 0.3, 0.12),
        "people_affected": (2000, 0.2, 0.2, 0.04),
        "broken_equipment": (2, 0.2, 0.2, 0.04),
        "open_tickets": (3, 0.15, 0.1, 0.015),
        "overdue_tickets": (2, 0.2, 0.1, 0.02),
        "assistance_demand": (20, 0.02, 0.1, 0.002),
    }
    for name, (raw, normalised, weight, contribution) in expected.items():
        part = parts[name]
        assert (part["raw"], part["normalised"], part["weight"]) == (raw, pytest.approx(normalised), weight), name
        assert part["contribution"] == pytest.approx(contribution, abs=1e-9), name
    assert c1["score"] == pytest.approx(0.237, abs=1e-9)
    assert list(parts) == list(PART_NAMES)


def test_contributions_add_up_to_the_score_on_every_row(db, world, period, now):
    """For every ranked place and any weights: score = sum of contributions, contribution = weight x normalised."""
    for weights in (Weights(), Weights(1, 0, 2.5, 0.3, 0, 7)):
        rows = rank_places(db.session, LAO_CAI, Area(), period, now, RankingOptions(weights=weights))
        assert rows
        for row in rows:
            assert row["score"] == pytest.approx(math.fsum(p["contribution"] for p in row["parts"]), abs=1e-9)
            for part in row["parts"]:
                assert part["weight"] == getattr(weights, part["name"])
                assert part["contribution"] == pytest.approx(part["weight"] * part["normalised"], abs=1e-6)
                assert 0 <= part["normalised"] <= 1


def test_ranking_order_unknown_population_and_h3_cells(db, world, period, now):
    """04465 (all dead spots) leads; its population is unknown and counts 0, saying so; records placed in no
    commune rank as a coarser H3 cell (3 dead of 4: 0.75 x 0.3 = 0.225); other provinces stay out."""
    rows = rank_places(db.session, LAO_CAI, Area(PROVINCE), period, now)
    assert [(row["place_kind"], row["code"]) for row in rows] == [
        ("commune", C2),
        ("commune", C1),
        ("h3_cell", h3.cell_to_parent(h3.latlng_to_cell(UNPLACED_LAT, UNPLACED_LON, 8), 6)),
    ]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    c2, _, cell = rows
    assert c2["score"] == pytest.approx(0.3) and c2["population"] is None
    people = parts_of(c2)["people_affected"]
    assert (people["raw"], people["contribution"], people["note"]) == (None, 0.0, "population unknown")
    assert cell["score"] == pytest.approx(0.225) and cell["dead_spot_share"] == 0.75
    assert cell["province_code"] == PROVINCE
    assert OTHER not in {row["code"] for row in rows}


def test_cells_at_the_stored_resolution_and_without_cells(db, world, period, now):
    """The cell resolution is a parameter; cells can be left out."""
    fine = rank_places(db.session, LAO_CAI, Area(), period, now, RankingOptions(cell_resolution=8))
    assert [row["code"] for row in fine if row["place_kind"] == "h3_cell"] == [
        h3.latlng_to_cell(UNPLACED_LAT, UNPLACED_LON, 8)
    ]
    without = rank_places(db.session, LAO_CAI, Area(), period, now, RankingOptions(include_cells=False))
    assert {row["place_kind"] for row in without} == {"commune"}


def test_commune_without_boundary_still_ranks(db, world, period, now):
    """No admin unit in the test database has a boundary: communes rank from the codes their records carry."""
    from server.models import AdminUnit

    assert db.session.get(AdminUnit, C1).boundary is None
    assert C1 in {row["code"] for row in rank_places(db.session, LAO_CAI, Area(), period, now)}


def test_caps_keep_normalised_values_at_most_one():
    """A raw figure beyond its cap counts fully, no more."""
    facts = {
        "readings": 10,
        "dead_spot_readings": 10,
        "assets_broken": 40,
        "assets_missing": 5,
        "tickets_open_now": 100,
        "tickets_overdue_now": 50,
        "citizens_helped": 99_999,
    }
    parts, score = score_parts(facts, 1_000_000, Weights())
    assert all(part["normalised"] == 1.0 for part in parts)
    assert score == pytest.approx(1.0)


def test_cells_are_added_up_at_the_ranked_resolution(db, build, period, now):
    """Readings placed at province level in two neighbouring fine cells and one far away: the database adds them
    up per cell at the asked resolution, as grouping the fine cells with ``h3.cell_to_parent`` does."""
    points = {(104.5, 22.3): (2, 1), (104.485, 22.3): (3, 3), (103.9, 22.5): (1, 0)}  # (lon, lat): (readings, dead)
    for (lon, lat), (readings, dead) in points.items():
        for n in range(readings):
            build.reading(PROVINCE, 1 + n, dead=n < dead, lon=lon, lat=lat)
    db.session.flush()
    fine = [h3.latlng_to_cell(lat, lon, 8) for lon, lat in points]
    assert len(set(fine)) == 3 and h3.cell_to_parent(fine[0], 6) == h3.cell_to_parent(fine[1], 6)
    for resolution in (5, 6, 7, 8):
        expected: dict[str, list[int]] = {}
        for cell, (readings, dead) in zip(fine, points.values(), strict=True):
            totals = expected.setdefault(h3.cell_to_parent(cell, resolution), [0, 0])
            totals[0] += readings
            totals[1] += dead
        rows = rank_places(db.session, LAO_CAI, Area(PROVINCE), period, now, RankingOptions(cell_resolution=resolution))
        found = {
            row["code"]: [row["readings"], row["dead_spot_readings"]] for row in rows if row["place_kind"] == "h3_cell"
        }
        assert found == expected, resolution


def test_a_page_of_the_ranking_is_the_same_as_its_rows(db, world, period, now):
    """``rank`` scores every place and describes only the rows asked for: the same rows, ranks and scores as
    the full list, and the same plan."""
    ranking = rank(db.session, LAO_CAI, Area(), period, now)
    rows = rank_places(db.session, LAO_CAI, Area(), period, now)
    assert len(ranking) == len(rows) == 3
    assert ranking.rows(1, 3) == rows[1:3] and ranking.rows() == rows
    assert [place.score for place in ranking.places] == [row["score"] for row in rows]
    for budget in (15_000_000, 700_000_000, 10**12):
        assert make_plan(ranking, Costs(), budget) == make_plan(rows, Costs(), budget)
