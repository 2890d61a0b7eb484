"""A budgeted investment plan: the interventions that close the most weighted gap for the money, never
exceeding the budget (in the spirit of Giga's open cost model for school connectivity).

Interventions of a place (a ranked commune or H3 cell), and the parts of its score each one closes:
- ``tower`` where the dead-spot share is at least ``tower_min_dead_spot_share`` and no reading found fixed
  broadband: closes the connectivity parts (dead-spot share, people affected);
- ``fibre`` (extension from the fixed broadband already seen there) where the dead-spot share is at least
  ``fibre_min_dead_spot_share``: closes the same parts, usually for less;
- ``equipment`` replacement, one per broken or missing asset: each closes an equal share of the
  broken-equipment part, so a budget may replace some of a commune's assets and not all.
The value of an item is the score it closes. Items are chosen by an exact 0/1 knapsack (dynamic programming
over the budget counted in whole units of the costs' greatest common divisor; identical equipment items are split
in powers of two, which keeps the choice exact). When the budget would need more than ``MAX_UNITS`` units, costs
are rounded *up* to coarser units (``exact`` is then false and the page says so): the plan can leave a little
money unspent, never exceeds the budget, and never buys less than a smaller budget would."""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reports.parameters import CONNECTIVITY_PARTS, Costs
from reports.priorities import Place, Ranking
from server.indicators.sql import ratio

MAX_UNITS = 20_000  # budget units of the dynamic programme
MAX_TABLE_CELLS = 60_000_000  # items x units: bounds the memory of the choice table (bytes)
MAX_ITEMS = 20_000
INTERVENTIONS = ("tower", "fibre", "equipment")


@dataclass(frozen=True)
class Candidate:
    """``quantity`` identical interventions at one place, chosen together or not at all."""

    place: int  # index in the ranked rows
    intervention: str
    quantity: int
    unit_cost: int
    unit_value: float

    @property
    def cost(self) -> int:
        return self.unit_cost * self.quantity

    @property
    def value(self) -> float:
        return self.unit_value * self.quantity


def _contribution(row: dict, names: tuple[str, ...]) -> float:
    return round(math.fsum(part["contribution"] for part in row["parts"] if part["name"] in names), 6)


def interventions(row: dict, costs: Costs) -> list[tuple[str, int, int, float]]:
    """What could be done at a ranked place (a row of ``priorities.rank_places``): (intervention, quantity, unit
    cost, value of one)."""
    return _interventions(
        row["dead_spot_share"],
        row["fixed_broadband_readings"],
        row["assets_broken"] + row["assets_missing"],
        lambda: _contribution(row, CONNECTIVITY_PARTS),
        lambda: _contribution(row, ("broken_equipment",)),
        costs,
    )


def place_interventions(place: Place, costs: Costs) -> list[tuple[str, int, int, float]]:
    """The same for a place of a ``priorities.Ranking``, from its figures and contributions."""
    facts = place.facts
    return _interventions(
        ratio(facts["dead_spot_readings"], facts["readings"]),
        facts["fixed_broadband_readings"],
        facts["assets_broken"] + facts["assets_missing"],
        lambda: place.gap(CONNECTIVITY_PARTS),
        lambda: place.gap(("broken_equipment",)),
        costs,
    )


def _interventions(
    share: float | None,
    broadband: int,
    failed: int,
    connectivity_gap: Callable[[], float],
    equipment_gap: Callable[[], float],
    costs: Costs,
) -> list[tuple[str, int, int, float]]:
    """The gaps are computed only where an intervention applies (most ranked places have none)."""
    found = []
    if share is not None:
        if broadband == 0 and share >= costs.tower_min_dead_spot_share:
            found.append(("tower", 1, costs.tower))
        elif broadband > 0 and share >= costs.fibre_min_dead_spot_share:
            found.append(("fibre", 1, costs.fibre))
        if found:
            gap = connectivity_gap()
            found = [(*found[0], gap)] if gap > 0 else []
    if failed > 0:
        gap = equipment_gap()
        if gap > 0:
            found.append(("equipment", failed, costs.equipment, gap / failed))
    return found


def _split(place: int, intervention: str, quantity: int, unit_cost: int, unit_value: float) -> list[Candidate]:
    """Identical items as bundles of 1, 2, 4, ... and the rest: any count 0..quantity is a subset of them."""
    bundles, size, left = [], 1, quantity
    while left > 0:
        take = min(size, left)
        bundles.append(Candidate(place, intervention, take, unit_cost, unit_value))
        left -= take
        size *= 2
    return bundles


def _best_subset(items: list[Candidate], unit: int, capacity: int) -> tuple[list[Candidate], float]:
    """Exact 0/1 dynamic programme over ``capacity`` budget units, each item weighing its cost in whole units
    (rounded up): the most valuable subset that fits, and its value."""
    weights = [-(-c.cost // unit) for c in items]
    best = np.zeros(capacity + 1)
    taken = np.zeros((len(items), capacity + 1), dtype=bool)
    with_item, threshold = np.empty(capacity + 1), np.empty(capacity + 1)  # reused: no array made per item
    for index, (item, weight) in enumerate(zip(items, weights, strict=True)):
        if weight > capacity:
            continue
        width = capacity + 1 - weight
        np.add(best[:width], item.value, out=with_item[:width])
        np.add(best[weight:], 1e-12, out=threshold[:width])
        better = taken[index, weight:]
        np.greater(with_item[:width], threshold[:width], out=better)
        np.copyto(best[weight:], with_item[:width], where=better)
    chosen, room = [], capacity
    for index in range(len(items) - 1, -1, -1):
        if taken[index, room]:
            chosen.append(items[index])
            room -= weights[index]
    chosen.reverse()
    return chosen, math.fsum(c.value for c in chosen)


def knapsack(candidates: list[Candidate], budget: int) -> tuple[list[Candidate], int, bool]:
    """The subset of candidates with the largest total value whose total cost is at most ``budget``.

    Returns the chosen candidates, the budget unit (VND) and whether the choice is exact.

    The unit is the greatest common divisor of the candidates' costs (never of the budget: money left below one
    unit buys nothing), so the choice is exact whenever the budget holds at most ``MAX_UNITS`` units. Beyond that, costs
    are rounded *up* to units of ``gcd * 2**k`` for every k up to the first whose units the budget holds at most
    ``MAX_UNITS`` of, and the most valuable of those choices wins. Each choice only grows with the budget and a
    larger budget adds choices, so a larger budget never buys less than a smaller one; none exceeds the budget."""
    items = [c for c in candidates if c.cost > 0 and c.value > 0]
    if len(items) > MAX_ITEMS:
        items = sorted(items, key=lambda c: (-c.value / c.cost, c.place))[:MAX_ITEMS]
    # The unit and the table's width come from all candidates, the dear ones too, so they do not change with
    # the budget; candidates dearer than the budget weigh more units than it holds and are left out.
    unit = math.gcd(*(c.cost for c in items)) if items else 1
    most_units = min(MAX_UNITS, max(1, MAX_TABLE_CELLS // max(len(items), 1) - 1))
    items = [c for c in items if c.cost <= budget]
    if not items:
        return [], unit, True
    if budget // unit <= most_units:
        return _best_subset(items, unit, budget // unit)[0], unit, True
    if sum(c.cost for c in items) <= budget:
        return items, unit, True
    steps = [unit]
    while budget // steps[-1] > most_units:
        steps.append(steps[-1] * 2)
    # The coarsest step spends the whole budget; the finer ones only as many units as the table holds. When no
    # finer choice can be worth more than the coarsest one (its fractional bound says so), the loop below would
    # keep the coarsest: take it without computing the others.
    last = _best_subset(items, steps[-1], budget // steps[-1])
    if all(_bound(items, step, most_units) + 1e-9 < last[1] for step in steps[:-1]):
        return last[0], steps[-1], False
    best: tuple[float, list[Candidate], int] = (-1.0, [], unit)
    for step in steps:
        chosen, value = last if step == steps[-1] else _best_subset(items, step, min(most_units, budget // step))
        if value > best[0] + 1e-12:
            best = (value, chosen, step)
    return best[1], best[2], False


def _bound(items: list[Candidate], unit: int, capacity: int) -> float:
    """An upper bound of ``_best_subset(items, unit, capacity)``'s value: the fractional knapsack over the same
    weights (most value per unit first, the last item in part), with a margin for rounding."""
    weighed = sorted(((c.value, -(-c.cost // unit)) for c in items), key=lambda vw: vw[0] / vw[1], reverse=True)
    room, total = capacity, 0.0
    for value, weight in weighed:
        if weight <= room:
            room -= weight
            total += value
        else:
            total += value * room / weight
            break
    return total * (1 + 1e-9)


def rank_by_score(rows: list[dict], costs: Costs, budget: int) -> dict:
    """The plain pick to compare with: whole places in score order, every intervention of a place, while the
    money lasts (a place that does not fit is skipped)."""
    return _rank_by_score([interventions(row, costs) for row in rows], [row["code"] for row in rows], budget)


def _rank_by_score(packages: list[list], codes: list[str], budget: int) -> dict:
    left, cost, closed, places = budget, 0, 0.0, []
    for package, code in zip(packages, codes, strict=True):
        package_cost = sum(quantity * unit_cost for _, quantity, unit_cost, _ in package)
        if not package or package_cost > left:
            continue
        left -= package_cost
        cost += package_cost
        closed += sum(quantity * value for _, quantity, _, value in package)
        places.append(code)
    return {"total_cost": cost, "gap_closed": round(closed, 6), "places": places}


def make_plan(rows: Ranking | list[dict], costs: Costs, budget: int) -> dict:
    """Choose interventions over ranked places within ``budget`` VND: a ``priorities.Ranking`` (only the chosen
    places are described in full) or its rows (``priorities.rank_places``)."""
    if budget <= 0:
        raise ValueError("the budget must be positive")
    if isinstance(rows, Ranking):
        packages = [place_interventions(place, costs) for place in rows.places]
        codes = [place.code for place in rows.places]
        row_at = functools.cache(rows.row)
    else:
        packages = [interventions(row, costs) for row in rows]
        codes = [row["code"] for row in rows]
        row_at = rows.__getitem__
    candidates = []
    for place, package in enumerate(packages):
        for intervention, quantity, unit_cost, unit_value in package:
            candidates.extend(_split(place, intervention, quantity, unit_cost, unit_value))
    chosen, unit, exact = knapsack(candidates, budget)
    merged: dict[tuple[int, str], dict] = {}
    for item in chosen:
        row = row_at(item.place)
        entry = merged.setdefault(
            (item.place, item.intervention),
            {
                "rank": row["rank"],
                "place_kind": row["place_kind"],
                "code": row["code"],
                "name": row["name"],
                "province_code": row["province_code"],
                "province_name": row["province_name"],
                "score": row["score"],
                "intervention": item.intervention,
                "quantity": 0,
                "unit_cost": item.unit_cost,
                "cost": 0,
                "gap_closed": 0.0,
                "closes": [],
            },
        )
        entry["quantity"] += item.quantity
        entry["cost"] += item.cost
        entry["gap_closed"] += item.value
    items = []
    for (place, _), entry in merged.items():
        entry["gap_closed"] = round(entry["gap_closed"], 6)
        entry["gap_closed_per_billion_vnd"] = round(entry["gap_closed"] / entry["cost"] * 1e9, 6)
        entry["closes"] = _closes(row_at(place), entry)
        items.append(entry)
    items.sort(key=lambda e: (-e["gap_closed_per_billion_vnd"], e["rank"], INTERVENTIONS.index(e["intervention"])))
    total_cost = sum(e["cost"] for e in items)
    if total_cost > budget:  # cannot happen (costs are rounded up); a plan over budget must never leave here
        raise RuntimeError(f"plan costs {total_cost} VND, over the budget of {budget} VND")
    return {
        "budget": budget,
        "costs": costs.as_dict(),
        "total_cost": total_cost,
        "unspent": budget - total_cost,
        "gap_closed": round(math.fsum(e["gap_closed"] for e in items), 6),
        "budget_unit": unit,
        "exact": exact,
        "candidates": len(candidates),
        "method": (
            "0/1 knapsack by dynamic programming over the budget in units of "
            f"{unit:,} VND ({'exact' if exact else 'costs rounded up to whole units: never over budget'})"
        ),
        "items": items,
        "rank_by_score": _rank_by_score(packages, codes, budget),
    }


def _closes(row: dict, entry: dict) -> list[dict]:
    """The parts of the place's score this item closes and by how much."""
    if entry["intervention"] == "equipment":
        return [{"part": "broken_equipment", "gap_closed": entry["gap_closed"], "assets": entry["quantity"]}]
    return [
        {"part": part["name"], "gap_closed": part["contribution"]}
        for part in row["parts"]
        if part["name"] in CONNECTIVITY_PARTS and part["contribution"] > 0
    ]
