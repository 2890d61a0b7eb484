"""SQL pieces the indicators share, written once for PostgreSQL and SQLite."""

from sqlalchemy import ColumnElement, DateTime, Float, case, cast, func, literal
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.models.reviews import REVIEWED_KINDS
from server.services.reviews import counted

LEVELS = ("commune", "province", "h3")
BROADBAND_NETWORKS = ("fixed_broadband", "fiber")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def key_column(model, level: str, cell_resolution: int | None = None):
    """What a report groups by: the commune, the province, or ``province:h3_cell`` (a cell may straddle a
    provincial border; its parts are ranked apart), the cell taken at ``cell_resolution`` when given (see
    ``h3_parent``)."""
    if level == "h3":
        cell = model.h3_cell if cell_resolution is None else h3_parent(model.h3_cell, cell_resolution)
        return model.province_code + ":" + cell
    return {"commune": model.admin_unit_code, "province": model.province_code}[level]


HEX_DIGITS = "0123456789abcdef"


def h3_parent(cell, resolution: int):
    """SQL: an H3 cell (its 15-digit hex index, as stored) at ``resolution``: its parent when it is finer, itself
    otherwise; what ``h3.cell_to_parent`` gives, computed in the database on either backend so that reports can
    group fine cells into coarser ones without reading them. An index holds the resolution in its second hex digit
    and one 3-bit digit per resolution below it; the parent has the resolution changed and every digit past it set
    to 7 (all bits 1), i.e. the last ``3 * (15 - resolution)`` bits set. No cell (``''``) stays ``''``."""
    if not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution {resolution} out of range")
    unused_bits = 3 * (15 - resolution)
    whole, partial = divmod(unused_bits, 4)  # trailing hex digits all 1 bits, and bits set in the one before
    kept = 15 - whole - (1 if partial else 0)  # hex digits kept as they are (the first two are rewritten)
    parts = [func.substr(cell, 1, 1), literal(HEX_DIGITS[resolution])]
    if kept > 2:
        parts.append(func.substr(cell, 3, kept - 2))
    if partial:
        mask = (1 << partial) - 1
        digit = func.substr(cell, kept + 1, 1)
        # the simple CASE form reads the digit once (a searched CASE would take the substring once per branch)
        parts.append(case({d: HEX_DIGITS[int(d, 16) | mask] for d in HEX_DIGITS}, value=digit, else_=digit))
    parts.append(literal("f" * whole))
    parent = parts[0]
    for part in parts[1:]:
        parent = parent.concat(part)
    coarser_or_same = func.substr(cell, 2, 1).in_(list(HEX_DIGITS[: resolution + 1]))
    return case((cell == "", ""), (coarser_or_same, cell), else_=parent)


def place_conditions(model, scope: Scope, area: Area, level: str) -> list[ColumnElement[bool]]:
    """Inside the caller's jurisdiction and the asked area, and counted by their review (see
    ``server.services.reviews.counted``). Commune rows leave out records placed only at province level (their
    ``admin_unit_code`` is the province); H3 rows are made of exactly those records."""
    conditions = [scope.filter(model.admin_unit_code, model.province_code)]
    if getattr(model, "kind", None) in REVIEWED_KINDS:  # field records: rejected ones never count
        conditions.append(counted(model, model.kind, area.reviewed_only))
    if area.commune:
        conditions.append(model.admin_unit_code == area.commune)
    elif area.province:
        conditions.append(model.province_code == area.province)
    if level == "commune":
        conditions.append(model.admin_unit_code != model.province_code)
    elif level == "h3":
        conditions.append(model.admin_unit_code == model.province_code)
        conditions.append(func.coalesce(model.h3_cell, "") != "")
    return conditions


def count_if(condition):
    """How many rows meet the condition (0 when none), as a portable ``SUM(CASE ...)``."""
    return func.sum(case((condition, 1), else_=0))


def in_period(column, period: Period) -> ColumnElement[bool]:
    return period.contains(column)


def seconds_between(session: Session, start, end):
    """``end - start`` in seconds as a float, on either backend."""
    if is_postgres(session):
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def week_start(session: Session, day):
    """The Monday of the week a day (a date column: rollups count in Viet Nam days) falls in, as a date."""
    if is_postgres(session):
        return func.date(func.date_trunc("week", cast(day, DateTime)))
    return func.date(day, "-6 days", "weekday 1")


def ratio(numerator, denominator) -> float | None:
    """``numerator / denominator`` rounded to 6 places; None when there is nothing to divide by. Every share
    (dead-spot share, share working, on-time rate...) is this, so every page shows the same digits."""
    if not denominator:
        return None
    return round(numerator / denominator, 6)
