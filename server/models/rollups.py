"""Daily rollups of the field records: what the indicators read instead of the raw records.

One row per day (Viet Nam time) and key, holding sums that only ever grow as records arrive, so a batch adds to
them with one upsert and concurrent batches cannot lose each other's counts. Keys never hold NULL (a unique
index treats NULLs as distinct): no operator is ``''``, no site or team is ``0``. The H3 cell is the record's
stored cell (resolution ``FIELDOPS_H3_RESOLUTION``, 8 by default). Maintained by ``server.indicators.rollups``;
rebuilt from the raw records by ``flask --app wsgi rollups rebuild``."""

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.common import Timestamp


class ReadingRollup(db.Model):
    """Connectivity readings per day, commune, H3 cell, operator, network and site."""

    __tablename__ = "rollup_readings_daily"
    __table_args__ = (
        UniqueConstraint("day", "admin_unit_code", "h3_cell", "operator_code", "network", "site_id"),
        Index("ix_rollup_readings_daily_admin_unit_code_day", "admin_unit_code", "day"),
        Index("ix_rollup_readings_daily_province_code_day", "province_code", "day"),
        Index("ix_rollup_readings_daily_h3_cell", "h3_cell"),
    )
    KEY = ("day", "admin_unit_code", "h3_cell", "operator_code", "network", "site_id")
    SUMS = ("readings", "dead_spots", "broadband", "power_off", "power_on")

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    admin_unit_code: Mapped[str] = mapped_column(String(5))
    province_code: Mapped[str] = mapped_column(String(5))
    h3_cell: Mapped[str] = mapped_column(String(16))
    operator_code: Mapped[str] = mapped_column(String(7))
    network: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)
    broadband: Mapped[int] = mapped_column(default=0)  # on fixed broadband or fibre
    power_off: Mapped[int] = mapped_column(default=0)  # the power was said to be off
    power_on: Mapped[int] = mapped_column(default=0)


class AssistanceRollup(db.Model):
    """Assistance logs per day, commune, H3 cell, team and service."""

    __tablename__ = "rollup_assistance_daily"
    __table_args__ = (
        UniqueConstraint("day", "admin_unit_code", "h3_cell", "team_id", "service"),
        Index("ix_rollup_assistance_daily_admin_unit_code_day", "admin_unit_code", "day"),
        Index("ix_rollup_assistance_daily_province_code_day", "province_code", "day"),
    )
    KEY = ("day", "admin_unit_code", "h3_cell", "team_id", "service")
    SUMS = ("logs", "citizens_helped", "language_support")

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    admin_unit_code: Mapped[str] = mapped_column(String(5))
    province_code: Mapped[str] = mapped_column(String(5))
    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(30))
    logs: Mapped[int] = mapped_column(default=0)
    citizens_helped: Mapped[int] = mapped_column(default=0)
    language_support: Mapped[int] = mapped_column(default=0)


class VisitRollup(db.Model):
    """Visits per day, commune, H3 cell and team, with the latest visit of the day."""

    __tablename__ = "rollup_visits_daily"
    __table_args__ = (
        UniqueConstraint("day", "admin_unit_code", "h3_cell", "team_id"),
        Index("ix_rollup_visits_daily_admin_unit_code_day", "admin_unit_code", "day"),
        Index("ix_rollup_visits_daily_province_code_day", "province_code", "day"),
    )
    KEY = ("day", "admin_unit_code", "h3_cell", "team_id")
    SUMS = ("visits",)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    admin_unit_code: Mapped[str] = mapped_column(String(5))
    province_code: Mapped[str] = mapped_column(String(5))
    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(default=0)
    last_visit_at: Mapped[datetime] = mapped_column(Timestamp)


ROLLUP_MODELS = {
    "connectivity_reading": ReadingRollup,
    "assistance_log": AssistanceRollup,
    "visit": VisitRollup,
}
