"""Daily rollups of the field records: what the indicators read instead of the raw records.

One row per day (Viet Nam time) and key, holding sums that only ever grow as records arrive, so a batch adds to
them with one upsert and concurrent batches cannot lose each other's counts. Keys never hold NULL (a unique
index treats NULLs as distinct): no operator is ``''``, no site or team is ``0``. Each table has just the key its
indicators group by, so its size is bounded by places x days, not by the number of records. The coarse cell
rollups keep resolution-5 cells per province, per day and per month (the country map); the monthly place rollup
keeps each commune's month and the resolution-6 cells of readings placed at province level (the ranking). The H3
cell is the record's stored cell (resolution ``FIELDOPS_H3_RESOLUTION``, 8 by default); assistance and visits keep
it only for records placed at province level (the only ones ranked by cell), ``''`` otherwise. Maintained by
``server.indicators.rollups``; rebuilt from the raw records by ``flask --app wsgi rollups rebuild``."""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, UniqueConstraint, Uuid, column
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from server.extensions import db
from server.models.common import Timestamp


def month_bounds(day: date) -> tuple[date, date]:
    """The first day of the month ``day`` falls in, and the first day of the next month."""
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


class DailyRollup:
    """What every rollup has: the day, the commune (or the province, for records placed only there), and a unique
    key (``KEY``) whose rows hold the sums ``SUMS``; indexed by commune and by province, then day."""

    KEY: tuple[str, ...] = ()
    SUMS: tuple[str, ...] = ()
    MONTHLY = False  # one row per month (``day`` is its first day) instead of per day

    @classmethod
    def period_of(cls, day: date) -> tuple[date, date]:
        """The first day of the row ``day`` falls in (the day itself, or its month's first) and the day after it."""
        return month_bounds(day) if cls.MONTHLY else (day, day + timedelta(days=1))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    admin_unit_code: Mapped[str] = mapped_column(String(5))
    province_code: Mapped[str] = mapped_column(String(5))

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        name = cls.__tablename__
        return (
            UniqueConstraint(*cls.KEY),
            Index(f"ix_{name}_admin_unit_code_day", "admin_unit_code", "day"),
            Index(f"ix_{name}_province_code_day", "province_code", "day"),
            *getattr(cls, "__extra_table_args__", ()),
        )


class ReadingRollup(DailyRollup, db.Model):
    """Connectivity readings per day, commune and site: the commune, province and site figures (at most communes
    x sites x days rows, however many readings)."""

    __tablename__ = "rollup_readings_daily"
    KEY = ("day", "admin_unit_code", "site_id")
    SUMS = ("readings", "dead_spots", "broadband", "power_off", "power_on")

    site_id: Mapped[int] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)
    broadband: Mapped[int] = mapped_column(default=0)  # on fixed broadband or fibre
    power_off: Mapped[int] = mapped_column(default=0)  # the power was said to be off
    power_on: Mapped[int] = mapped_column(default=0)


class CellRollup(DailyRollup, db.Model):
    """Connectivity readings per day, H3 cell, commune and network: the dead-spot map and the cells ranked."""

    __tablename__ = "rollup_cells_daily"
    # The cells ranked are the readings placed at province level only (about 2% of the rows, spread over the whole
    # table): a partial index holding their sums lets the ranking read just them (an index-only scan on PostGIS),
    # by day first: it reads the days around the whole months of its period (``PlaceMonthlyRollup`` has those).
    __extra_table_args__ = (
        Index("ix_rollup_cells_daily_h3_cell", "h3_cell"),
        Index(
            "ix_rollup_cells_daily_province_level",
            "day",
            "province_code",
            postgresql_include=["h3_cell", "readings", "dead_spots", "broadband"],
            postgresql_where=column("admin_unit_code") == column("province_code"),
            sqlite_where=column("admin_unit_code") == column("province_code"),
        ),
    )
    KEY = ("day", "h3_cell", "admin_unit_code", "network")
    SUMS = ("readings", "dead_spots", "broadband")

    h3_cell: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(20))
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)
    broadband: Mapped[int] = mapped_column(default=0)


# The dead-spot map of a whole jurisdiction is drawn at resolution 6 or coarser (5 or 4 for the whole country), and
# the resolution-8 cell rollup grows like the readings (nearly one row per reading): the coarse rollups keep the
# resolution-5 parents of the cells (about 250 km², some 1,500 cells for the country), per province and network,
# per day and per month, so a country map reads a few ten thousand rows whatever the number of readings.
COARSE_RESOLUTION = 5


class CoarseCellRollup:
    """Connectivity readings per resolution-5 H3 cell (the parent of the stored cell; ``''`` without a cell),
    province and network. ``admin_unit_code`` is the province, so the jurisdiction filter works on it as on any
    rollup of records placed at province level; a map of a commune, or of a jurisdiction made of single communes,
    reads the fine cells instead (``server.indicators.connectivity.coarse_cells_readable``)."""

    RESOLUTION = COARSE_RESOLUTION
    KEY = ("day", "h3_cell", "admin_unit_code", "network")
    SUMS = ("readings", "dead_spots")

    h3_cell: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(20))
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)


class CoarseCellDailyRollup(CoarseCellRollup, DailyRollup, db.Model):
    """Per day: what the periods that do not cover whole months read (see ``CoarseCellMonthlyRollup``)."""

    __tablename__ = "rollup_cells_r5_daily"


class CoarseCellMonthlyRollup(CoarseCellRollup, DailyRollup, db.Model):
    """Per month (``day`` is the month's first day, Viet Nam time): the whole months of a period, so a map of every
    reading kept reads a row per cell, network and month."""

    __tablename__ = "rollup_cells_r5_monthly"
    MONTHLY = True


# The national ranking sums every commune's readings and the cells of the readings placed at province level only,
# over a period of months; from the daily rollups that is a row per site and day and one per reading placed so
# (their resolution-8 cells rarely repeat). Per month, commune and resolution-6 cell it is a few rows per place.
RANKED_CELL_RESOLUTION = 6  # the cells ranked where records have no commune (about 36 km² each)


class PlaceMonthlyRollup(DailyRollup, db.Model):
    """Connectivity readings per month (``day`` is its first day, Viet Nam time) and commune, over every network
    and site; for the readings placed at province level only (``admin_unit_code`` is the province), per
    resolution-``RANKED_CELL_RESOLUTION`` cell (``''`` for every other reading, and for one without a cell).
    What the ranking reads for the whole months of its period (``server.indicators.connectivity``), the days
    around them coming from the daily rollups."""

    __tablename__ = "rollup_places_monthly"
    MONTHLY = True
    RESOLUTION = RANKED_CELL_RESOLUTION
    KEY = ("day", "admin_unit_code", "h3_cell")
    SUMS = ("readings", "dead_spots", "broadband")

    h3_cell: Mapped[str] = mapped_column(String(16))
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)
    broadband: Mapped[int] = mapped_column(default=0)


class OperatorRollup(DailyRollup, db.Model):
    """Connectivity readings per day, commune, operator and network: the figures per operator."""

    __tablename__ = "rollup_operators_daily"
    KEY = ("day", "admin_unit_code", "operator_code", "network")
    SUMS = ("readings", "dead_spots")

    operator_code: Mapped[str] = mapped_column(String(7))
    network: Mapped[str] = mapped_column(String(20))
    readings: Mapped[int] = mapped_column(default=0)
    dead_spots: Mapped[int] = mapped_column(default=0)


class AssistanceRollup(DailyRollup, db.Model):
    """Assistance logs per day, commune, H3 cell (placed at province level only), team and service."""

    __tablename__ = "rollup_assistance_daily"
    KEY = ("day", "admin_unit_code", "h3_cell", "team_id", "service")
    SUMS = ("logs", "citizens_helped", "language_support")

    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(30))
    logs: Mapped[int] = mapped_column(default=0)
    citizens_helped: Mapped[int] = mapped_column(default=0)
    language_support: Mapped[int] = mapped_column(default=0)


class VisitRollup(DailyRollup, db.Model):
    """Visits per day, commune, H3 cell (placed at province level only) and team, with the day's latest visit."""

    __tablename__ = "rollup_visits_daily"
    KEY = ("day", "admin_unit_code", "h3_cell", "team_id")
    SUMS = ("visits",)

    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(default=0)
    last_visit_at: Mapped[datetime] = mapped_column(Timestamp)


class EquipmentRollup(DailyRollup, db.Model):
    """Equipment checks per day and asset (commune, site, kind, label): what the equipment indicators need to
    know an asset's latest condition at any day's end and its failures, without reading the checks.

    A day's failures depend on the order of its checks (a failure is a check finding the asset broken or missing
    when the check before did not), so the row keeps the failures after the day's first check
    (``failures_after_first``) and the first and last conditions of the day; whether the first check failed anew
    is decided when reading, against the last condition of the asset's previous day with checks. The latest check
    of the day gives ``last_condition``, ``last_checked_at``, ``last_age_years``, ``h3_cell`` and
    ``last_check_id`` (detail lists read its notes). Unlike the other rollups the row is not a sum: a check
    arriving late (or a review) recomputes the rows of its asset and day from the checks that count."""

    __tablename__ = "rollup_equipment_daily"
    KEY = ("day", "admin_unit_code", "site_id", "asset_kind", "asset_label")
    SUMS = ("checks", "failures_after_first")
    LATEST = ("h3_cell", "first_condition", "last_condition", "last_checked_at", "last_check_id")
    AGES = ("last_age_years", "max_age_years")

    site_id: Mapped[int] = mapped_column(Integer)
    asset_kind: Mapped[str] = mapped_column(String(30))
    asset_label: Mapped[str] = mapped_column(String(200))
    h3_cell: Mapped[str] = mapped_column(String(16))
    checks: Mapped[int] = mapped_column(default=0)
    failures_after_first: Mapped[int] = mapped_column(default=0)
    first_condition: Mapped[str] = mapped_column(String(20))
    last_condition: Mapped[str] = mapped_column(String(20))
    last_checked_at: Mapped[datetime] = mapped_column(Timestamp)
    last_check_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    last_age_years: Mapped[float | None]
    max_age_years: Mapped[float | None]


class TicketRollup(DailyRollup, db.Model):
    """Ticket events per day (Viet Nam time) of the event, place, owner team and category: tickets opened
    (created that day), escalated (escalated that day), resolved (resolved that day and still resolved, verified
    or closed) and resolved on time (no later than the due date). The ticket's place is its unit, and for a
    ticket placed at province level also its site and H3 cell (``0``/``''`` otherwise), from which the indicators
    find its commune (``server.indicators.tickets.ticket_commune``). A ticket's current state decides what it
    contributes: when it changes, its old contribution is taken off and the new one added (one upsert each, so
    concurrent changes of other tickets never lose each other's counts)."""

    __tablename__ = "rollup_tickets_daily"
    KEY = ("day", "admin_unit_code", "site_id", "h3_cell", "team_id", "category")
    SUMS = ("opened", "escalated", "resolved", "resolved_on_time")

    site_id: Mapped[int] = mapped_column(Integer)
    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    opened: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    resolved_on_time: Mapped[int] = mapped_column(default=0)


class TicketDurationRollup(DailyRollup, db.Model):
    """Resolved tickets per day of resolution, place, owner team, category and whole seconds from creation to
    resolution (each moment truncated to its second): the median time to resolve read exactly from counts (a
    median cannot be summed from daily medians). Rows grow with distinct durations, at most one per resolved
    ticket."""

    __tablename__ = "rollup_ticket_durations_daily"
    KEY = ("day", "admin_unit_code", "site_id", "h3_cell", "team_id", "category", "seconds")
    SUMS = ("resolved",)

    site_id: Mapped[int] = mapped_column(Integer)
    h3_cell: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    seconds: Mapped[int] = mapped_column(BigInteger)
    resolved: Mapped[int] = mapped_column(default=0)


# Record kind -> its rollups, in the one order every batch updates them (so concurrent batches cannot deadlock).
ROLLUPS = (
    ("connectivity_reading", ReadingRollup),
    ("connectivity_reading", CellRollup),
    ("connectivity_reading", CoarseCellDailyRollup),
    ("connectivity_reading", CoarseCellMonthlyRollup),
    ("connectivity_reading", OperatorRollup),
    ("connectivity_reading", PlaceMonthlyRollup),
    ("assistance_log", AssistanceRollup),
    ("visit", VisitRollup),
)
ROLLUP_KINDS = frozenset(kind for kind, _ in ROLLUPS)
# Rollups recomputed per key from the records (not summed), and the ticket rollups kept from the tickets' states.
RECOMPUTED_ROLLUPS = (("equipment_check", EquipmentRollup),)
TICKET_ROLLUPS = (TicketRollup, TicketDurationRollup)


class DeferredReadings(db.Model):
    """The readings of one sync batch whose rollups and dead-spot rule run right after the sync's answer
    (``server.services.after_sync``). Written in the batch's transaction, deleted by the transaction that applies
    them, so a batch is counted once whoever applies it; until then the recomputations from raw records (``rollups
    rebuild``, a review's refresh) leave these readings out, as the rollups do."""

    __tablename__ = "deferred_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(Timestamp)  # the batch's time of receipt
    reading_ids: Mapped[list] = mapped_column(JSON)  # the readings' ids, 32 hex digits each
