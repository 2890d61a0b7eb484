"""What a map shows: the area (the caller's whole jurisdiction, a province or a commune), the period and the
per-map choices, and the SQL conditions they make on a table's columns."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

import server
from server.auth import Scope
from server.i18n import local_date
from server.indicators.areas import Area, Period, resolve_area
from server.labels import label

VIETNAM_CENTRE = (16.0, 106.0)
CAPITALS_FILE = Path(server.__file__).parent / "data" / "province_capitals.json"


@dataclass(frozen=True)
class MapFilters:
    """Filters shared by every map; ``since``/``until`` are aware datetimes (``until`` exclusive)."""

    area: Area = field(default_factory=Area)
    since: datetime | None = None
    until: datetime | None = None
    network: str | None = None
    operator_code: str | None = None  # MCC-MNC of the readings' operator
    category: str | None = None
    asset_kind: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def days(self) -> Period:
        """The period as the indicators count it (whole days, Viet Nam time)."""
        return Period(self.since, self.until)

    def period(self, column) -> ColumnElement[bool]:
        return self.days.contains(column)

    def describe(self) -> list[str]:
        """The filters in words, for the map's caption."""
        parts = [str(self.area.name or (_("all of your area")))]
        days = self.days
        if days.since or days.until:
            since = local_date(days.since) if days.since else _("the start")
            last = local_date(days.until - timedelta(microseconds=1)) if days.until else _("now")
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


@cache
def province_capitals() -> dict[str, tuple[float, float]]:
    data = json.loads(CAPITALS_FILE.read_text(encoding="utf-8"))
    return {code: (value["lat"], value["lon"]) for code, value in data.items() if not code.startswith("_")}


def area_centre(area: Area) -> tuple[float, float]:
    """Somewhere sensible to centre an empty map: the province capital, else the middle of the country."""
    return province_capitals().get(area.province or "", VIETNAM_CENTRE)


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
