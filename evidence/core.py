"""Coverage evidence for an area, a period and an operator: per H3 cell and per commune, the connectivity figures
(``reports.cells``, the same function as the OGC API's dead-spot cells) and whether each cell qualifies as
evidence (at least N readings on at least M distinct days by at least K teams). No Flask inside."""

from dataclasses import dataclass, field
from datetime import datetime

import h3
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from maps.filters import MapFilters, resolve_area
from reports.cells import PlaceFigures, cell_indicators, commune_indicators
from server.auth import Scope
from server.errors import InvalidInput
from server.models import AdminUnit, Operator, Site


@dataclass(frozen=True)
class Thresholds:
    """How a cell qualifies as evidence (settings ``FIELDOPS_EVIDENCE_MIN_*``)."""

    min_readings: int
    min_days: int
    min_teams: int

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        return cls(config["EVIDENCE_MIN_READINGS"], config["EVIDENCE_MIN_DAYS"], config["EVIDENCE_MIN_TEAMS"])

    def qualifies(self, figures: PlaceFigures) -> bool:
        return (
            figures.readings >= self.min_readings and figures.days >= self.min_days and figures.teams >= self.min_teams
        )


@dataclass
class Evidence:
    province: AdminUnit
    operator: Operator
    since: datetime | None
    until: datetime | None
    thresholds: Thresholds
    cells: list[PlaceFigures]
    communes: list[PlaceFigures]
    commune_names: dict[str, str]
    sites_by_cell: dict[str, list[Site]] = field(default_factory=dict)
    sites_by_commune: dict[str, list[Site]] = field(default_factory=dict)

    @property
    def qualifying(self) -> list[PlaceFigures]:
        return [cell for cell in self.cells if self.thresholds.qualifies(cell)]

    @property
    def not_qualifying(self) -> list[PlaceFigures]:
        return [cell for cell in self.cells if not self.thresholds.qualifies(cell)]


def operator_named(session: Session, code: str) -> Operator:
    """An operator of the operators table; any other code is refused (422)."""
    operator = session.get(Operator, code) if isinstance(code, str) and len(code) <= 7 else None
    if operator is None:
        raise InvalidInput({"operator": [_("No operator %(code)s in the operator table.", code=code)]})
    return operator


def build_evidence(
    session: Session,
    scope: Scope,
    *,
    province: str,
    operator: str,
    since: datetime | None,
    until: datetime | None,
    thresholds: Thresholds,
) -> Evidence:
    """The evidence of ``province`` (404 outside the caller's area) for ``operator`` (422 if unknown)."""
    found_operator = operator_named(session, operator)
    area = resolve_area(session, scope, province, None)
    filters = MapFilters(area=area, since=since, until=until, operator_code=found_operator.code)
    cells = cell_indicators(session, scope, filters)
    communes = commune_indicators(session, scope, filters)
    codes = sorted({code for row in cells for code in row.communes} | {row.key for row in communes})
    names = {}
    if codes:
        rows = session.execute(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes)))
        names = {code: name for code, name in rows}
    evidence = Evidence(
        province=session.get(AdminUnit, area.code),
        operator=found_operator,
        since=since,
        until=until,
        thresholds=thresholds,
        cells=cells,
        communes=communes,
        commune_names=names,
    )
    _sites_concerned(session, scope, evidence, codes)
    return evidence


def _sites_concerned(session: Session, scope: Scope, evidence: Evidence, communes: list[str]) -> None:
    """Villages and other sites inside each cell (at the readings' resolution) and in each commune."""
    if not evidence.cells:
        return
    resolution = h3.get_resolution(evidence.cells[0].key)
    wanted = {row.key for row in evidence.cells}
    query = select(Site).where(
        Site.admin_unit_code.in_(communes), scope.filter(Site.admin_unit_code, Site.province_code)
    )
    for site in session.scalars(query.order_by(Site.name, Site.id)):
        cell = h3.latlng_to_cell(site.lat, site.lon, resolution)
        if cell in wanted:
            evidence.sites_by_cell.setdefault(cell, []).append(site)
        evidence.sites_by_commune.setdefault(site.admin_unit_code, []).append(site)
