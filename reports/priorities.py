"""Investment priorities: communes (and H3 cells where records have no commune) ranked by a gap score that an
officer can explain line by line.

For each part (see ``reports.parameters.PARTS``): ``normalised = min(raw / cap, 1)`` with a fixed cap (the
dead-spot share is already 0..1), so the same figures give the same score in every province and period;
``contribution = weight * normalised``; ``score = sum of contributions``. A part without data (no readings,
population unknown) has raw ``None`` and counts 0, and the row says why."""

import functools
import math
from dataclasses import dataclass
from datetime import datetime

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.parameters import N_, PARTS, Area, Period, RankingOptions, Weights
from server.auth import Scope
from server.indicators import assistance, connectivity, equipment, tickets
from server.indicators.sql import ratio
from server.models import AdminUnit

MAX_CELLS = 20_000  # H3 cells ranked at most (records without a commune are expected to be few)
FACT_FIELDS = (
    "readings",
    "dead_spot_readings",
    "fixed_broadband_readings",
    "assets",
    "assets_broken",
    "assets_missing",
    "tickets_open_now",
    "tickets_overdue_now",
    "citizens_helped",
)


def _normalised(raw, cap: float) -> float:
    return 0.0 if raw is None else round(min(raw / cap, 1.0), 6)


def _raws(facts: dict, population: int | None) -> tuple:
    """The raw figure of each part, in ``PARTS`` order."""
    share = ratio(facts["dead_spot_readings"], facts["readings"])
    return (
        share,
        round(population * share) if population is not None and share is not None else None,
        facts["assets_broken"] + facts["assets_missing"],
        facts["tickets_open_now"],
        facts["tickets_overdue_now"],
        facts["citizens_helped"],
    )


CAPS = tuple(part.cap for part in PARTS)


def _contributions(facts: dict, population: int | None, weights: tuple[float, ...]) -> tuple[float, ...]:
    """Each part's contribution, in ``PARTS`` order: the same arithmetic as ``score_parts``, without the parts'
    dicts (the ranking scores every place and describes only the ones shown)."""
    return tuple(
        round(weight * _normalised(raw, cap), 6)
        for raw, cap, weight in zip(_raws(facts, population), CAPS, weights, strict=True)
    )


def score_of(contributions) -> float:
    return round(math.fsum(contributions), 6)


def score_parts(facts: dict, population: int | None, weights: Weights) -> tuple[list[dict], float]:
    """The parts of one place's score (raw, normalised, weight, contribution, note) and the score itself."""
    raws = _raws(facts, population)
    share = raws[0]
    parts = []
    for part, raw in zip(PARTS, raws, strict=True):
        normalised = _normalised(raw, part.cap)
        weight = getattr(weights, part.name)
        note = ""
        if raw is None:
            note = N_("population unknown") if share is not None else N_("no connectivity readings")
        parts.append(
            {
                "name": part.name,
                "raw": raw,
                "normalised": normalised,
                "weight": weight,
                "contribution": round(weight * normalised, 6),
                "note": note,
            }
        )
    return parts, score_of(part["contribution"] for part in parts)


def place_facts(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    level: str,
    now: datetime,
    cell_resolution: int | None = None,
) -> dict[str, dict]:
    """The raw figures the score needs, per commune or per ``province:h3_cell`` (cells at ``cell_resolution``
    when given, grouped in SQL), four GROUP BY queries."""
    sources = (
        connectivity.readings_by(session, scope, area, period, level, cell_resolution),
        equipment.equipment_by(session, scope, area, period, level, cell_resolution=cell_resolution),
        tickets.tickets_by(session, scope, area, period, level, now, medians=False, cell_resolution=cell_resolution),
        assistance.assistance_by(session, scope, area, period, level, cell_resolution),
    )
    facts: dict[str, dict] = {}
    for by_key in sources:
        names = None  # the fields this source gives (every row of one source has the same)
        for key, figures in by_key.items():
            if names is None:
                names = [name for name in FACT_FIELDS if name in figures]
            entry = facts.get(key)
            if entry is None:
                entry = facts[key] = dict.fromkeys(FACT_FIELDS, 0)
            for name in names:
                entry[name] = figures[name]
    return {key: entry for key, entry in facts.items() if _has_gap_data(entry)}


def _has_gap_data(facts: dict) -> bool:
    return any(facts[name] for name in ("readings", "assets", "tickets_open_now", "citizens_helped"))


def _cells(facts: dict[str, dict]) -> list[tuple[str, str, dict]]:
    """``province:cell`` figures (already at the ranked resolution) as (province, cell, figures), valid cells only,
    in (province, cell) order, at most ``MAX_CELLS``."""
    cells = []
    for key in sorted(facts):
        province_code, _, cell = key.partition(":")
        if h3.is_valid_cell(cell):
            cells.append((province_code, cell, facts[key]))
    return cells[:MAX_CELLS]


@dataclass(frozen=True, slots=True)
class Place:
    """A ranked place, lean: its figures and each part's contribution; ``Ranking.row`` describes it in full."""

    kind: str
    code: str
    name: str
    province_code: str
    population: int | None
    facts: dict
    contributions: tuple[float, ...]
    score: float

    def gap(self, names: tuple[str, ...]) -> float:
        """The score closed by removing these parts (what ``reports.plan`` values an intervention at)."""
        contributions = self.contributions
        return round(math.fsum(contributions[index] for index in _part_indexes(names)), 6)


@functools.cache
def _part_indexes(names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(index for index, part in enumerate(PARTS) if part.name in names)


class Ranking:
    """Every place of the area with data, best first by score (ties: communes before cells, then by code).

    Every place is scored, but the full row (parts, notes, names) is built only for the places asked for
    (``rows``), so a page of the ranking or a plan's chosen items cost the same whatever the number of places."""

    def __init__(self, places: list[Place], weights: Weights, province_names: dict[str, str]):
        self.places = places
        self.weights = weights
        self.province_names = province_names

    def __len__(self) -> int:
        return len(self.places)

    def row(self, index: int) -> dict:
        """The place at ``index`` (0 = first) as a full row: rank, names, parts, figures."""
        place = self.places[index]
        parts, score = score_parts(place.facts, place.population, self.weights)
        return {
            "rank": index + 1,
            "place_kind": place.kind,
            "code": place.code,
            "name": place.name,
            "province_code": place.province_code,
            "province_name": self.province_names.get(place.province_code),
            "population": place.population,
            "score": score,
            "parts": parts,
            "dead_spot_share": ratio(place.facts["dead_spot_readings"], place.facts["readings"]),
            **place.facts,
        }

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict]:
        return [self.row(index) for index in range(*slice(start, stop).indices(len(self.places)))]


def rank(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    now: datetime,
    options: RankingOptions | None = None,
) -> Ranking:
    """Every place of the area with data, scored and ordered (see ``Ranking``)."""
    options = options or RankingOptions()
    weights = tuple(getattr(options.weights, part.name) for part in PARTS)
    places = []
    commune_facts = place_facts(session, scope, area, period, "commune", now)
    units = _communes(session, set(commune_facts), _units_of(area))
    for code, facts in commune_facts.items():
        if code not in units:
            continue
        name, province_code, population = units[code]
        contributions = _contributions(facts, population, weights)
        places.append(
            Place("commune", code, name, province_code, population, facts, contributions, score_of(contributions))
        )
    if options.include_cells and area.commune is None:
        cell_facts = place_facts(session, scope, area, period, "h3", now, options.cell_resolution)
        for province_code, cell, facts in _cells(cell_facts):
            contributions = _contributions(facts, None, weights)
            places.append(
                Place(
                    "h3_cell",
                    cell,
                    f"H3 cell {cell}",
                    province_code,
                    None,
                    facts,
                    contributions,
                    score_of(contributions),
                )
            )
    province_names = dict(
        session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_({p.province_code for p in places}))
        ).all()
    )
    places.sort(key=lambda place: (-place.score, place.kind, place.code))
    return Ranking(places, options.weights, province_names)


def _communes(session: Session, codes: set[str], near: list) -> dict[str, tuple]:
    """Name, province and population of the communes ``codes``: read with the conditions ``near`` (the area's
    communes, one statement with no list of codes), then by code for any not found that way."""
    query = select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code, AdminUnit.population).where(
        AdminUnit.level == "commune"
    )
    units = {code: rest for code, *rest in session.execute(query.where(*near)) if code in codes}
    missing = sorted(codes - set(units))
    if missing:
        units.update({code: rest for code, *rest in session.execute(query.where(AdminUnit.code.in_(missing)))})
    return units


def _units_of(area: Area) -> list:
    """Conditions narrowing the communes read for names and populations to the area (the facts decide which)."""
    if area.commune:
        return [AdminUnit.code == area.commune]
    if area.province:
        return [AdminUnit.parent_code == area.province]
    return []


def rank_places(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    now: datetime,
    options: RankingOptions | None = None,
) -> list[dict]:
    """Every place of the area with data as full rows, best first (``rank(...).rows()``)."""
    return rank(session, scope, area, period, now, options).rows()
