"""What a map shows: the area (the caller's whole jurisdiction, a province or a commune), the period and the
per-map choices, and the SQL conditions they make on a table's columns."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import Session

import server
from server.auth import Scope
from server.errors import InvalidInput, NotFound
from server.i18n import local_date
from server.labels import label
from server.models import AdminUnit

VIETNAM_CENTRE = (16.0, 106.0)
CAPITALS_FILE = Path(server.__file__).parent / "data" / "province_capitals.json"


@dataclass(frozen=True)
class Area:
    """Where a map looks: ``level`` is ``scope`` (all the caller may see), ``province`` or ``commune``."""

    level: str
    code: str | None = None
    name: str = "your jurisdiction"
    province_code: str | None = None

    def filter(self, unit_column, province_column) -> ColumnElement[bool]:
        if self.level == "commune":
            return unit_column == self.code
        if self.level == "province":
            return province_column == self.code
        return true()


@dataclass(frozen=True)
class MapFilters:
    """Filters shared by every map; ``since``/``until`` are aware datetimes (``until`` exclusive)."""

    area: Area = field(default_factory=lambda: Area("scope"))
    since: datetime | None = None
    until: datetime | None = None
    network: str | None = None
    operator_code: str | None = None  # MCC-MNC of the readings' operator
    category: str | None = None
    asset_kind: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def period(self, column) -> ColumnElement[bool]:
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return and_(true(), *conditions)

    def describe(self) -> list[str]:
        """The filters in words, for the map's caption."""
        parts = [str(self.area.name)]
        if self.since or self.until:
            since = local_date(self.since) if self.since else _("the start")
            last = local_date(self.until - timedelta(microseconds=1)) if self.until else _("now")
            parts.append(_("from %(start)s to %(end)s", start=since, end=last))
        if self.network:
            parts.append(_("network: %(value)s", value=label(self.network, "network")))
        if self.category:
            parts.append(_("category: %(value)s", value=label(self.category, "category")))
        if self.asset_kind:
            parts.append(_("equipment: %(value)s", value=label(self.asset_kind, "asset_kind")))
        if self.bbox:
            parts.append(_("box %(box)s", box=",".join(f"{v:g}" for v in self.bbox)))
        return parts


def resolve_area(session: Session, scope: Scope, province: str | None, commune: str | None) -> Area:
    """The area asked for, checked against the caller's jurisdiction (outside it, a unit does not exist)."""
    if commune:
        unit = session.get(AdminUnit, commune)
        if unit is None or unit.level != "commune" or not scope.covers(unit):
            raise NotFound(_("No commune %(code)s in your jurisdiction.", code=commune))
        if province and unit.parent_code != province:
            raise InvalidInput({"commune": [f"Commune {commune} is not in province {province}."]})
        return Area("commune", unit.code, unit.name, unit.parent_code)
    if province:
        unit = session.get(AdminUnit, province)
        if unit is None or unit.level != "province" or not _sees_part_of(session, scope, unit):
            raise NotFound(_("No province %(code)s in your jurisdiction.", code=province))
        return Area("province", unit.code, unit.name, unit.code)
    return Area("scope", name=_l("all of your area") if not scope.everywhere else _l("all provinces"))


def _sees_part_of(session: Session, scope: Scope, province: AdminUnit) -> bool:
    if scope.covers(province):
        return True
    if not scope.communes:
        return False
    query = select(AdminUnit.code).where(
        AdminUnit.code.in_(sorted(scope.communes)), AdminUnit.parent_code == province.code
    )
    return session.scalar(query.limit(1)) is not None


def visible_units(session: Session, scope: Scope, area: Area, level: str) -> list[AdminUnit]:
    """Admin units of ``level`` inside both the area and the scope, by code."""
    query = select(AdminUnit).where(AdminUnit.level == level, scope.unit_filter())
    if area.level == "commune":
        query = query.where(AdminUnit.code == area.code)
    elif area.level == "province":
        query = query.where((AdminUnit.parent_code == area.code) | (AdminUnit.code == area.code))
    return list(session.scalars(query.order_by(AdminUnit.code)))


@cache
def province_capitals() -> dict[str, tuple[float, float]]:
    data = json.loads(CAPITALS_FILE.read_text(encoding="utf-8"))
    return {code: (value["lat"], value["lon"]) for code, value in data.items() if not code.startswith("_")}


def area_centre(area: Area) -> tuple[float, float]:
    """Somewhere sensible to centre an empty map: the province capital, else the middle of the country."""
    return province_capitals().get(area.province_code or "", VIETNAM_CENTRE)


def filters_from_args(session: Session, scope: Scope, args: dict) -> MapFilters:
    """MapFilters from loaded query arguments (see ``maps.schemas``), the area checked against the scope."""
    return MapFilters(
        area=resolve_area(session, scope, args.get("province"), args.get("commune")),
        since=args.get("since"),
        until=args.get("until"),
        network=args.get("network"),
        category=args.get("category"),
        asset_kind=args.get("asset_kind"),
        bbox=args.get("bbox"),
    )
