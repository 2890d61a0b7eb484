"""Investment priorities: communes (and H3 cells where records have no commune) ranked by a gap score that an
officer can explain line by line.

For each part (see ``reports.parameters.PARTS``): ``normalised = min(raw / cap, 1)`` with a fixed cap (the
dead-spot share is already 0..1), so the same figures give the same score in every province and period;
``contribution = weight * normalised``; ``score = sum of contributions``. A part without data (no readings,
population unknown) has raw ``None`` and counts 0, and the row says why."""

import math
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


def score_parts(facts: dict, population: int | None, weights: Weights) -> tuple[list[dict], float]:
    """The parts of one place's score (raw, normalised, weight, contribution, note) and the score itself."""
    share = ratio(facts["dead_spot_readings"], facts["readings"])
    raws = {
        "dead_spot_share": share,
        "people_affected": round(population * share) if population is not None and share is not None else None,
        "broken_equipment": facts["assets_broken"] + facts["assets_missing"],
        "open_tickets": facts["tickets_open_now"],
        "overdue_tickets": facts["tickets_overdue_now"],
        "assistance_demand": facts["citizens_helped"],
    }
    parts = []
    for part in PARTS:
        raw = raws[part.name]
        normalised = 0.0 if raw is None else round(min(raw / part.cap, 1.0), 6)
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
    return parts, round(math.fsum(p["contribution"] for p in parts), 6)


def place_facts(
    session: Session, scope: Scope, area: Area, period: Period, level: str, now: datetime
) -> dict[str, dict]:
    """The raw figures the score needs, per commune or per ``province:h3_cell``, four GROUP BY queries."""
    sources = (
        connectivity.connectivity_by(session, scope, area, period, level),
        equipment.equipment_by(session, scope, area, period, level),
        tickets.tickets_by(session, scope, area, period, level, now, medians=False),
        assistance.assistance_by(session, scope, area, period, level),
    )
    facts: dict[str, dict] = {}
    for by_key in sources:
        for key, figures in by_key.items():
            entry = facts.setdefault(key, dict.fromkeys(FACT_FIELDS, 0))
            entry.update({name: figures[name] for name in FACT_FIELDS if name in figures})
    return {key: entry for key, entry in facts.items() if _has_gap_data(entry)}


def _has_gap_data(facts: dict) -> bool:
    return any(facts[name] for name in ("readings", "assets", "tickets_open_now", "citizens_helped"))


def _coarser_cells(facts: dict[str, dict], resolution: int) -> dict[tuple[str, str], dict]:
    """Add up ``province:cell`` figures into their parent cells at ``resolution``."""
    merged: dict[tuple[str, str], dict] = {}
    for key in sorted(facts)[: MAX_CELLS * 50]:
        province_code, _, cell = key.partition(":")
        if not h3.is_valid_cell(cell):
            continue
        if h3.get_resolution(cell) > resolution:
            cell = h3.cell_to_parent(cell, resolution)
        entry = merged.setdefault((province_code, cell), dict.fromkeys(FACT_FIELDS, 0))
        for name in FACT_FIELDS:
            entry[name] += facts[key][name]
    return merged


def rank_places(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    now: datetime,
    options: RankingOptions | None = None,
) -> list[dict]:
    """Every place of the area with data, best first by score (ties: communes before cells, then by code)."""
    options = options or RankingOptions()
    rows = []
    commune_facts = place_facts(session, scope, area, period, "commune", now)
    units = {
        code: (name, parent, population)
        for code, name, parent, population in session.execute(
            select(AdminUnit.code, AdminUnit.name, AdminUnit.parent_code, AdminUnit.population).where(
                AdminUnit.code.in_(sorted(commune_facts)), AdminUnit.level == "commune"
            )
        )
    }
    for code, facts in commune_facts.items():
        if code not in units:
            continue
        name, province_code, population = units[code]
        rows.append(_row("commune", code, name, province_code, population, facts, options.weights))
    if options.include_cells and area.commune is None:
        cell_facts = place_facts(session, scope, area, period, "h3", now)
        cells = _coarser_cells(cell_facts, options.cell_resolution)
        for (province_code, cell), facts in sorted(cells.items())[:MAX_CELLS]:
            rows.append(_row("h3_cell", cell, f"H3 cell {cell}", province_code, None, facts, options.weights))
    province_names = dict(
        session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_({row["province_code"] for row in rows}))
        ).all()
    )
    rows.sort(key=lambda row: (-row["score"], row["place_kind"], row["code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["province_name"] = province_names.get(row["province_code"])
    return rows


def _row(kind: str, code: str, name: str, province_code: str, population, facts: dict, weights: Weights) -> dict:
    parts, score = score_parts(facts, population, weights)
    return {
        "rank": None,
        "place_kind": kind,
        "code": code,
        "name": name,
        "province_code": province_code,
        "province_name": None,
        "population": population,
        "score": score,
        "parts": parts,
        "dead_spot_share": ratio(facts["dead_spot_readings"], facts["readings"]),
        **facts,
    }
