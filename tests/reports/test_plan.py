"""The budgeted plan: never over budget, exact on small cases, and better than picking places by score."""

import itertools
import random

import pytest

from reports.parameters import Area, Costs, Weights
from reports.plan import Candidate, knapsack, make_plan, rank_by_score
from reports.priorities import rank_places, score_parts
from server.auth import Scope
from tests.reports.conftest import PROVINCE

BILLION = 1_000_000_000
COMMUNES = ["04465", "04456", "04492", "04630"]  # Lao Cai communes


def test_plan_beats_rank_by_score_on_a_case_built_for_it(db, build, period, now):
    """Commune A (all dead spots, no fixed line) scores highest but needs a 2.5-billion tower, closing 0.3;
    B, C, D (60% dead spots, fibre seen) each need a 0.6-billion fibre extension closing 0.18. With 2.5 billion,
    taking places in score order buys A's tower only (0.3); the plan buys three extensions (0.54)."""
    a, *others = COMMUNES
    for days in range(1, 11):
        build.reading(a, days, dead=True)
    for commune in others:
        for days in range(1, 11):
            build.reading(commune, days, dead=days <= 6, network=None if days <= 6 else "fiber")
    db.session.flush()
    rows = rank_places(db.session, Scope(everywhere=True), Area(PROVINCE), period, now)
    assert [row["code"] for row in rows][0] == a
    plan = make_plan(rows, Costs(), 5 * BILLION // 2)

    assert plan["rank_by_score"] == {"total_cost": 5 * BILLION // 2, "gap_closed": pytest.approx(0.3), "places": [a]}
    assert plan["total_cost"] == 3 * 600_000_000 <= plan["budget"]
    assert plan["gap_closed"] == pytest.approx(0.54)
    assert plan["gap_closed"] > plan["rank_by_score"]["gap_closed"]
    assert sorted((item["code"], item["intervention"]) for item in plan["items"]) == sorted(
        (commune, "fibre") for commune in others
    )
    item = plan["items"][0]
    assert [closed["part"] for closed in item["closes"]] == ["dead_spot_share"]
    assert item["closes"][0]["gap_closed"] == pytest.approx(0.18)
    assert plan["exact"] is True


def _row(code, share, broadband, failed, population=None):
    facts = {
        "readings": 100 if share is not None else 0,
        "dead_spot_readings": round((share or 0) * 100),
        "fixed_broadband_readings": broadband,
        "assets": failed,
        "assets_broken": failed,
        "assets_missing": 0,
        "tickets_open_now": 0,
        "tickets_overdue_now": 0,
        "citizens_helped": 0,
    }
    parts, score = score_parts(facts, population, Weights())
    return {
        "rank": 0,
        "place_kind": "commune",
        "code": code,
        "name": code,
        "province_code": "15",
        "province_name": "Lào Cai",
        "population": population,
        "score": score,
        "parts": parts,
        "dead_spot_share": share,
        **facts,
    }


def test_equipment_can_be_partly_funded():
    """Three broken assets, money for two: two are replaced, each closing a third of the equipment part."""
    row = _row("04603", None, 0, 3)
    plan = make_plan([row], Costs(equipment=10_000_000), 25_000_000)
    [item] = plan["items"]
    assert (item["intervention"], item["quantity"], item["cost"]) == ("equipment", 2, 20_000_000)
    assert item["gap_closed"] == pytest.approx(0.2 * 0.3 * 2 / 3)
    assert item["closes"] == [{"part": "broken_equipment", "gap_closed": item["gap_closed"], "assets": 2}]


def test_random_plans_never_exceed_the_budget():
    """Random small cases (150 of them, half with odd costs that force rounding): the plan stays within budget,
    and where the choice is exact it closes at least as much as the rank-by-score pick."""
    rng = random.Random(6)
    exact_cases = 0
    for case in range(150):
        odd = case % 2  # odd cases: costs in odd amounts of VND, so budget units must be rounded
        rows = [
            _row(
                f"{n:05d}",
                rng.choice([None, 0.05, 0.2, 0.5, 0.9]),
                rng.choice([0, 2]),
                rng.randint(0, 3),
                rng.choice([None, 8000]),
            )
            for n in range(rng.randint(1, 4))
        ]
        costs = Costs(
            tower=rng.randint(1, 40) * 50_000_000,
            fibre=rng.randint(1, 20) * 30_000_000 + odd * rng.randint(0, 999),
            equipment=rng.randint(1, 30) * 1_000_000 + odd * rng.randint(0, 9),
        )
        budget = rng.randint(1, 3000) * 1_000_000 + odd * rng.randint(0, 999_999)
        plan = make_plan(rows, costs, budget)
        assert plan["total_cost"] <= budget
        assert plan["total_cost"] == sum(item["cost"] for item in plan["items"])
        assert plan["rank_by_score"]["total_cost"] <= budget
        if plan["exact"]:
            exact_cases += 1
            assert plan["gap_closed"] >= plan["rank_by_score"]["gap_closed"] - 1e-9
    assert exact_cases >= 60


def test_knapsack_is_exact_against_enumeration():
    """Exact 0/1 choice on whole-unit costs: the same value as trying every subset (at most 2^10 of them)."""
    rng = random.Random(7)
    for _ in range(60):
        items = [
            Candidate(n, "equipment", 1, rng.randint(1, 20) * 1000, round(rng.uniform(0.001, 0.3), 6))
            for n in range(rng.randint(1, 10))
        ]
        budget = rng.randint(1, 120) * 1000
        chosen, unit, exact = knapsack(items, budget)
        assert exact and unit >= 1000
        best = max(
            sum(i.value for i in subset)
            for size in range(len(items) + 1)
            for subset in itertools.combinations(items, size)
            if sum(i.cost for i in subset) <= budget
        )
        assert sum(i.cost for i in chosen) <= budget
        assert sum(i.value for i in chosen) == pytest.approx(best, abs=1e-9)


def test_coarse_units_round_costs_up_and_stay_within_budget(monkeypatch):
    """When the budget needs more units than the table allows, costs are rounded up: never over budget."""
    import reports.plan

    monkeypatch.setattr(reports.plan, "MAX_UNITS", 7)
    items = [Candidate(n, "equipment", 1, 1_000 + 37 * n, 1.0) for n in range(6)]
    chosen, unit, exact = knapsack(items, 3_500)
    # The costs' common divisor is 1 VND; doubled until the budget holds at most 7 units: 512 VND (6 units).
    assert not exact and unit == 512
    assert sum(i.cost for i in chosen) <= 3_500
    # 1,000 VND is 2 units, the others round up to 3: two fit in 6 units. Three would fit in VND (3,111) but
    # not in rounded units (8): the price of rounding up, which never goes over budget.
    assert len(chosen) == 2


def test_one_more_dong_never_buys_less():
    """Seven broken printers at 15,000,000 VND: 105,000,000 VND replaces all seven, and so does 105,000,001 (the
    unit is the costs' common divisor, not the budget's, so the odd dong changes nothing and the choice stays
    exact)."""
    row = _row("04603", None, 0, 7)
    for budget in (105_000_000, 105_000_001, 105_999_999):
        plan = make_plan([row], Costs(), budget)
        [item] = plan["items"]
        assert (item["quantity"], plan["total_cost"], plan["exact"]) == (7, 105_000_000, True)
        assert plan["unspent"] == budget - 105_000_000


def test_a_larger_budget_never_buys_less(monkeypatch):
    """Property over 40 random cases with odd costs and 50 increasing budgets each, the table kept small so that
    most budgets need rounded costs: the gap closed never falls as the budget grows, never over budget; and an
    exact plan closes as much as the exact optimum (checked by enumeration)."""
    import reports.plan

    monkeypatch.setattr(reports.plan, "MAX_UNITS", 40)
    rng = random.Random(15)
    inexact = 0
    for _ in range(40):
        items = [
            Candidate(n, "equipment", 1, rng.randint(1, 60) * 1_000_000 + rng.randint(0, 999), rng.uniform(0.01, 0.3))
            for n in range(rng.randint(1, 8))
        ]
        budgets = sorted(rng.randint(1, 400_000_000) for _ in range(50))
        previous = 0.0
        for budget in budgets:
            chosen, unit, exact = knapsack(items, budget)
            value = sum(i.value for i in chosen)
            assert sum(i.cost for i in chosen) <= budget
            assert value >= previous - 1e-9, (budget, value, previous)
            previous = value
            inexact += not exact
            if exact:
                best = max(
                    sum(i.value for i in subset)
                    for size in range(len(items) + 1)
                    for subset in itertools.combinations(items, size)
                    if sum(i.cost for i in subset) <= budget
                )
                assert value == pytest.approx(best, abs=1e-9)
    assert inexact >= 300


def test_budget_must_be_positive():
    with pytest.raises(ValueError):
        make_plan([], Costs(), 0)


def test_rank_by_score_skips_places_that_do_not_fit():
    """The comparison pick goes on down the list after a place too dear for what is left."""
    rows = [_row("00001", 0.9, 0, 0), _row("00002", None, 0, 1)]
    picked = rank_by_score(rows, Costs(tower=100, equipment=10), 50)
    assert picked["places"] == ["00002"] and picked["total_cost"] == 10


def test_skipping_finer_units_changes_no_plan(monkeypatch):
    """With rounded costs the knapsack keeps the best of several budget units; it computes the finer ones only when
    their fractional bound could beat the coarsest. Over random cases the choice is the same as computing them all."""
    import reports.plan

    monkeypatch.setattr(reports.plan, "MAX_UNITS", 60)
    rng = random.Random(16)
    for _ in range(60):
        items = [
            Candidate(n, rng.choice(["tower", "fibre", "equipment"]), 1, rng.randint(1, 90) * 1_000_000 + 7, value)
            for n in range(rng.randint(2, 30))
            for value in [rng.choice([0.02, rng.uniform(0.001, 0.5)])]
        ]
        for budget in sorted(rng.randint(50_000_000, 3_000_000_000) for _ in range(5)):
            quick = knapsack(items, budget)
            with monkeypatch.context() as patched:
                patched.setattr(reports.plan, "_bound", lambda *args: float("inf"))
                assert knapsack(items, budget) == quick
