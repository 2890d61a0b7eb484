"""Where connectivity readings are kept: monthly partitions on PostGIS, one table on SpatiaLite.

On PostgreSQL ``connectivity_readings`` is partitioned by the month of ``observed_at`` (months of Viet Nam time,
Asia/Ho_Chi_Minh), one partition per month named ``connectivity_readings_yYYYYmMM`` plus a default partition for
months nobody created ahead. A partitioned table's unique indexes must hold the partition key, so its primary key
is ``(id, observed_at)``; the id alone is kept unique by ``connectivity_reading_ids`` (primary key ``id``), which
every reading references by ``(id, observed_at)``. One registry row per id, one reading per ``(id, observed_at)``
and the reference between them leave room for one reading per id, whoever writes: a second copy is impossible,
not merely avoided. Ingest registers the ids of a batch first (``ON CONFLICT DO NOTHING``) and stores the readings
whose ids it registered, in one statement; concurrent batches holding the same id wait on the registry's index,
and the later one finds the id taken.

Retention (off by default) drops whole monthly partitions older than N months, with their registry rows; the
daily rollups are separate tables and stay. SpatiaLite keeps one plain table, whose primary key is the id.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from server.models import ConnectivityReading
from server.models.records import READING_IDS, reading_ids

MONTH_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TABLE = ConnectivityReading.__tablename__
DEFAULT_PARTITION = f"{TABLE}_default"
REGISTRY = READING_IDS
DEFAULT_MONTHS_AHEAD = 3


def month_start(moment: datetime) -> datetime:
    """The first instant of the month (Viet Nam time) holding ``moment``."""
    local = moment.astimezone(MONTH_ZONE)
    return datetime(local.year, local.month, 1, tzinfo=MONTH_ZONE)


def add_months(month: datetime, months: int) -> datetime:
    index = month.year * 12 + month.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=MONTH_ZONE)


def partition_name(month: datetime) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def retention_cutoff(months: int, now: datetime | None = None) -> datetime | None:
    """Readings observed before this instant are dropped when ``months`` are kept (the current month and the
    ``months`` whole months before it); None when retention is off (0)."""
    if months <= 0:
        return None
    return add_months(month_start(now or datetime.now(UTC)), -months)


def is_partitioned(session: Session) -> bool:
    """Whether readings live in monthly partitions (PostgreSQL after migration 0010); asked once per database
    connection, since only a migration changes it."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    connection = session.connection()
    if "readings_partitioned" not in connection.info:
        kind = connection.execute(
            text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"), {"name": TABLE}
        ).scalar()
        if kind is None:  # no table at all (an unmigrated database): ask again next time
            return False
        connection.info["readings_partitioned"] = kind == "p"
    return connection.info["readings_partitioned"]


@dataclass(frozen=True)
class Partition:
    name: str
    since: datetime | None  # None: the default partition
    until: datetime | None
    rows: int | None = None


def partitions(session: Session) -> list[Partition]:
    """The monthly partitions in month order (the default partition last)."""
    if not is_partitioned(session):
        return []
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:name)"
        ),
        {"name": TABLE},
    )
    found, default = [], None
    for name, bound in rows:
        if bound == "DEFAULT":
            default = Partition(name, None, None)
            continue
        since, until = session.execute(
            text("SELECT CAST(:a AS timestamptz), CAST(:b AS timestamptz)"),
            dict(zip(("a", "b"), bound.split("'")[1::2], strict=True)),
        ).one()
        found.append(Partition(name, since, until))
    return sorted(found, key=lambda partition: partition.since) + ([default] if default else [])


def _literal(moment: datetime) -> str:
    return moment.isoformat()


def create_month(session: Session, month: datetime) -> bool:
    """Create the partition of ``month`` unless it exists; rows of that month waiting in the default partition
    move into it. True when it was created."""
    name, until = partition_name(month), add_months(month, 1)
    if session.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar() is not None:
        return False
    bounds = f"FROM ('{_literal(month)}') TO ('{_literal(until)}')"
    waiting = session.execute(
        text(f"SELECT EXISTS (SELECT FROM {DEFAULT_PARTITION} WHERE observed_at >= :since AND observed_at < :until)"),
        {"since": month, "until": until},
    ).scalar()
    if not waiting:
        session.execute(text(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES {bounds}"))
        return True
    # A partition cannot be created while the default one holds rows of its range: fill it apart, then attach.
    session.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE observed_at >= :since AND observed_at < :until "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        {"since": month, "until": until},
    )
    session.execute(text(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES {bounds}"))
    return True


def create_partitions(
    session: Session,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
    since: datetime | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Create the monthly partitions from ``since`` (default: last month, for phones that sync late) to
    ``months_ahead`` months after this one; returns the names created (none on SpatiaLite, which keeps one
    table). Idempotent."""
    if not is_partitioned(session):
        return []
    current = month_start(now or datetime.now(UTC))
    month = month_start(since) if since is not None else add_months(current, -1)
    last = add_months(current, months_ahead)
    created = []
    while month <= last:
        if create_month(session, month):
            created.append(partition_name(month))
        month = add_months(month, 1)
    return created


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    dropped_partitions: list[str]
    deleted_rows: int


def apply_retention(session: Session, months: int, now: datetime | None = None) -> RetentionResult | None:
    """Drop the raw readings observed before ``retention_cutoff(months)``: whole monthly partitions on PostGIS
    (and their ids in the registry, and any old rows of the default partition), rows on SpatiaLite. The rollups
    are other tables and keep their counts. None when ``months`` is 0 (retention off)."""
    cutoff = retention_cutoff(months, now)
    if cutoff is None:
        return None
    if not is_partitioned(session):
        table = ConnectivityReading.__table__
        deleted = session.execute(delete(table).where(table.c.observed_at < cutoff)).rowcount
        return RetentionResult(cutoff, [], deleted)
    dropped, deleted = [], 0
    for partition in partitions(session):
        if partition.until is not None and partition.until <= cutoff:
            deleted += session.execute(text(f"SELECT count(*) FROM {partition.name}")).scalar()
            session.execute(text(f"DROP TABLE {partition.name}"))
            dropped.append(partition.name)
    deleted += session.execute(
        text(f"DELETE FROM {DEFAULT_PARTITION} WHERE observed_at < :cutoff"), {"cutoff": cutoff}
    ).rowcount
    session.execute(delete(reading_ids).where(reading_ids.c.observed_at < cutoff))
    return RetentionResult(cutoff, dropped, deleted)


# Ingest on PostgreSQL: COPY (psycopg writes COPY rows in C) straight into the registry and the table, or, when a
# concurrent batch took one of the ids, into a temporary table, from which one statement takes the rows, registers
# their ids and stores the readings whose ids it registered.
STAGED_COLUMNS = (
    ("id", "uuid"),
    ("observed_at", "timestamptz"),
    ("received_at", "timestamptz"),
    ("lon", "double precision"),
    ("lat", "double precision"),
    ("accuracy_m", "double precision"),
    ("h3_cell", "varchar(16)"),
    ("device_id", "varchar(100)"),
    ("visit_id", "uuid"),
    ("author_id", "integer"),
    ("team_id", "integer"),
    ("site_id", "integer"),
    ("admin_unit_code", "varchar(5)"),
    ("province_code", "varchar(5)"),
    ("network", "varchar(20)"),
    ("operator_code", "varchar(7)"),
    ("operator", "varchar(100)"),
    ("signal_dbm", "integer"),
    ("down_mbps", "double precision"),
    ("up_mbps", "double precision"),
    ("latency_ms", "double precision"),
    ("power_available", "boolean"),
    ("dead_spot", "boolean"),
)
STAGED_NAMES = tuple(name for name, _ in STAGED_COLUMNS)
STAGING = "staged_connectivity_readings"
STORED_NAMES = tuple(name for name in STAGED_NAMES if name not in ("lon", "lat"))
STAGING_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ({', '.join(f'{n} {t}' for n, t in STAGED_COLUMNS)}) "
    "ON COMMIT DELETE ROWS"
)
STORE_STAGED = f"""
WITH staged AS (DELETE FROM {STAGING} RETURNING *),
registered AS (
    INSERT INTO {REGISTRY} (id, observed_at)
    SELECT id, observed_at FROM staged ORDER BY id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
INSERT INTO {TABLE} ({", ".join(STORED_NAMES)}, geom)
SELECT {", ".join(f"staged.{name}" for name in STORED_NAMES)}, ST_SetSRID(ST_MakePoint(staged.lon, staged.lat), 4326)
FROM staged JOIN registered USING (id)
RETURNING id
"""


DIRECT_NAMES = (*STORED_NAMES, "geom")
DIRECT_COPY = f"COPY {TABLE} ({', '.join(DIRECT_NAMES)}) FROM STDIN"


def insert_readings(session: Session, rows: list[dict]) -> list[uuid.UUID]:
    """Store readings on a partitioned table, skipping ids already stored; returns the ids stored. ``rows`` hold
    the staged columns (``lon``/``lat`` for the point) and ``geom``, the same point as EWKT; a missing key is
    NULL, ``operator`` defaults to "".

    The caller has left out the ids it found stored, so the batch is first copied straight into the registry and
    the table (in id order, the lock order of every writer) under a savepoint. Only when a concurrent batch stored
    one of the ids meanwhile does that fail on the registry's key; then the batch goes through the staging table
    and the statement that skips taken ids."""
    if not rows:
        return []
    rows = sorted(rows, key=lambda row: row["id"].int)
    for row in rows:
        if row.get("operator") is None:
            row["operator"] = ""
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute("SAVEPOINT readings_copy")
        try:
            with cursor.copy(f"COPY {REGISTRY} (id, observed_at) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["id"], row["observed_at"]))
            with cursor.copy(DIRECT_COPY) as copy:
                for row in rows:
                    copy.write_row(tuple(map(row.get, DIRECT_NAMES)))
        except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
            cursor.execute("ROLLBACK TO SAVEPOINT readings_copy")
        else:
            cursor.execute("RELEASE SAVEPOINT readings_copy")
            return [row["id"] for row in rows]
        cursor.execute(STAGING_DDL)
        with cursor.copy(f"COPY {STAGING} ({', '.join(STAGED_NAMES)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(map(row.get, STAGED_NAMES)))
        cursor.execute(STORE_STAGED)
        return [record_id for (record_id,) in cursor.fetchall()]
