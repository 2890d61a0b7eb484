"""Where and when indicators look: one ``Area`` (the caller's whole jurisdiction, a province or a commune), one
``Period`` (whole days, Viet Nam time) and one resolver that checks an asked area against the jurisdiction.

An unknown code and a real unit outside the caller's jurisdiction are the same answer, 404 (a unit one may not
see does not exist for them), on every map, report, page and API; a commune asked with a province it is not in
is invalid input (422, naming ``commune``). A user whose jurisdiction is some communes of a province may ask for
that province: the figures then cover only their communes."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import Session

from server.auth import Scope
from server.errors import InvalidInput, NotFound
from server.models import AdminUnit

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_PERIOD_DAYS = 90


@dataclass(frozen=True)
class Area:
    """One commune, one province, or (both None) the caller's whole jurisdiction. ``name`` is for people;
    with ``reviewed_only`` only approved records count."""

    province: str | None = None
    commune: str | None = None
    name: str = field(default="", compare=False)
    # Only what a reviewer approved counts (rejected and superseded records never count; see
    # ``server.services.reviews.counted``).
    reviewed_only: bool = False

    @property
    def level(self) -> str:
        """``commune``, ``province`` or ``scope``."""
        return "commune" if self.commune else "province" if self.province else "scope"

    @property
    def code(self) -> str | None:
        return self.commune or self.province

    @property
    def province_code(self) -> str | None:
        return self.province

    def filter(self, unit_column, province_column) -> ColumnElement[bool]:
        """SQL: a row of a table with these columns lies in the area."""
        if self.commune:
            return unit_column == self.commune
        if self.province:
            return province_column == self.province
        return true()

    def as_dict(self) -> dict:
        return {"province": self.province, "commune": self.commune, "reviewed_only": self.reviewed_only}


def local_day(moment: datetime) -> date:
    """The calendar day (Viet Nam time) a moment falls on."""
    return moment.astimezone(VIETNAM).date()


def day_start(day: date) -> datetime:
    """Midnight, Viet Nam time, at the start of ``day``."""
    return datetime.combine(day, time(), VIETNAM)


def _floor(moment: datetime | None) -> datetime | None:
    return None if moment is None else day_start(local_day(moment))


def _ceil(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    start = _floor(moment)
    return start if start == moment else day_start(local_day(moment) + timedelta(days=1))


@dataclass(frozen=True)
class Period:
    """Records observed in ``[since, until)``, counted in whole days of Viet Nam time: ``since`` is moved back to
    the start of its day and ``until`` forward to the end of its day (indicators are kept per day). ``None``
    leaves that side open."""

    since: datetime | None
    until: datetime | None

    def __post_init__(self):
        object.__setattr__(self, "since", _floor(self.since))
        object.__setattr__(self, "until", _ceil(self.until))

    @classmethod
    def ending(cls, until: datetime, days: int = DEFAULT_PERIOD_DAYS) -> "Period":
        """The ``days`` days up to and including the day of ``until``."""
        end = _ceil(until)
        return cls(end - timedelta(days=days), end)

    @property
    def first_day(self) -> date | None:
        return local_day(self.since) if self.since is not None else None

    @property
    def end_day(self) -> date | None:
        """The day after the last day of the period."""
        return local_day(self.until) if self.until is not None else None

    def contains(self, column) -> ColumnElement[bool]:
        """SQL: a timestamp column lies in the period."""
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return and_(true(), *conditions)

    def before_end(self, column) -> ColumnElement[bool]:
        """SQL: a timestamp column lies before the end of the period (or the period is open-ended)."""
        return column < self.until if self.until is not None else true()

    def from_start(self, column) -> ColumnElement[bool]:
        """SQL: a timestamp column lies at or after the start of the period (or it has no start)."""
        return column >= self.since if self.since is not None else true()

    def contains_day(self, column) -> ColumnElement[bool]:
        """SQL: a date column (a rollup's day) lies in the period."""
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.first_day)
        if self.until is not None:
            conditions.append(column < self.end_day)
        return and_(true(), *conditions)

    def day_before_end(self, column) -> ColumnElement[bool]:
        """SQL: a date column (a rollup's day) lies before the end of the period (or it has no end)."""
        return column < self.end_day if self.until is not None else true()

    def day_from_start(self, column) -> ColumnElement[bool]:
        """SQL: a date column (a rollup's day) lies at or after the start of the period (or it has no start)."""
        return column >= self.first_day if self.since is not None else true()

    def as_dict(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def province_visible(session: Session, scope: Scope, code: str) -> bool:
    """The caller sees the province, or at least one of its communes."""
    if scope.covers_province(code):
        return True
    if not scope.communes:
        return False
    query = select(AdminUnit.code).where(AdminUnit.code.in_(sorted(scope.communes)), AdminUnit.parent_code == code)
    return session.scalar(query.limit(1)) is not None


def resolve_area(session: Session, scope: Scope, province: str | None = None, commune: str | None = None) -> Area:
    """The area asked for, checked against the caller's jurisdiction: 404 for a unit that does not exist for
    them, 422 for a commune not in the province asked with it."""
    if commune:
        unit = session.get(AdminUnit, commune)
        if unit is None or unit.level != "commune" or not scope.covers(unit):
            raise NotFound(_("No commune %(code)s in your jurisdiction.", code=commune))
        if province and unit.parent_code != province:
            raise InvalidInput(
                {
                    "commune": [
                        _("Commune %(commune)s is not in province %(province)s.", commune=commune, province=province)
                    ]
                }
            )
        return Area(unit.parent_code, unit.code, unit.name)
    if province:
        unit = session.get(AdminUnit, province)
        if unit is None or unit.level != "province" or not province_visible(session, scope, unit.code):
            raise NotFound(_("No province %(code)s in your jurisdiction.", code=province))
        return Area(unit.code, name=unit.name)
    return Area()


def communes_in(scope: Scope, area: Area) -> list[ColumnElement[bool]]:
    """SQL conditions on ``AdminUnit``: the communes of the area that lie in the caller's jurisdiction."""
    conditions = [AdminUnit.level == "commune", scope.unit_filter()]
    if area.commune:
        conditions.append(AdminUnit.code == area.commune)
    elif area.province:
        conditions.append(AdminUnit.parent_code == area.province)
    return conditions


def visible_units(session: Session, scope: Scope, area: Area, level: str) -> list[AdminUnit]:
    """Admin units of ``level`` inside both the area and the scope, by code."""
    query = select(AdminUnit).where(AdminUnit.level == level, scope.unit_filter())
    if area.commune:
        query = query.where(AdminUnit.code == area.commune)
    elif area.province:
        query = query.where((AdminUnit.parent_code == area.province) | (AdminUnit.code == area.province))
    return list(session.scalars(query.order_by(AdminUnit.code)))
