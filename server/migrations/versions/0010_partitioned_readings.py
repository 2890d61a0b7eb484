"""connectivity readings partitioned by month on PostGIS, with an id registry

On PostgreSQL ``connectivity_readings`` becomes a declaratively partitioned table (``PARTITION BY RANGE
(observed_at)``), one partition per month of Viet Nam time (``connectivity_readings_yYYYYmMM``), from the month of
the oldest stored reading (or last month) to three months ahead, plus ``connectivity_readings_default`` for months nobody created
(``flask --app wsgi readings create-partitions`` creates them ahead, and moves rows waiting in the default one).

Why a registry table: PostgreSQL requires every unique index of a partitioned table to include the partition
key, so the readings' primary key becomes ``(id, observed_at)``, which alone would let one id be stored twice
with two times (a phone retrying a reading whose clock was corrected, in another month). The id stays unique
through ``connectivity_reading_ids`` (primary key ``id``, unique ``(id, observed_at)``): every reading references
its row by ``(id, observed_at)``. One registry row per id, each reading matching that row, and at most one
reading per ``(id, observed_at)`` leave room for exactly one reading per id, whatever writes it. The other way,
an ``(id, observed_at)`` key and uniqueness checked by ingest alone, holds only as long as every writer goes
through ingest. The registry is small (an id and a time) and drops its old rows with the partitions
(retention), with a BRIN index on ``observed_at`` that costs next to nothing to keep.

SpatiaLite keeps one plain table: nothing changes there.

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-30 17:40:00

"""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MONTHS_AHEAD = 3
COLUMNS = """
    network varchar(20) NOT NULL,
    operator_code varchar(7),
    operator varchar(100) NOT NULL,
    signal_dbm integer,
    down_mbps double precision,
    up_mbps double precision,
    latency_ms double precision,
    power_available boolean,
    dead_spot boolean NOT NULL,
    id uuid NOT NULL,
    observed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    geom geometry(POINT, 4326) NOT NULL,
    h3_cell varchar(16) NOT NULL,
    device_id varchar(100),
    visit_id uuid,
    author_id integer,
    team_id integer,
    site_id integer,
    admin_unit_code varchar(5) NOT NULL,
    province_code varchar(5) NOT NULL,
    CONSTRAINT ck_connectivity_readings_network_valid
        CHECK (network IN ('none', '2g', '3g', '4g', '5g', 'fixed_broadband', 'fiber', 'satellite')),
    CONSTRAINT fk_connectivity_readings_admin_unit_code_admin_units
        FOREIGN KEY (admin_unit_code) REFERENCES admin_units (code),
    CONSTRAINT fk_connectivity_readings_author_id_users
        FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_connectivity_readings_province_code_admin_units
        FOREIGN KEY (province_code) REFERENCES admin_units (code),
    CONSTRAINT fk_connectivity_readings_site_id_sites
        FOREIGN KEY (site_id) REFERENCES sites (id) ON DELETE SET NULL,
    CONSTRAINT fk_connectivity_readings_team_id_teams
        FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL
"""
NAMES = (
    "network, operator_code, operator, signal_dbm, down_mbps, up_mbps, latency_ms, power_available, dead_spot, id, "
    "observed_at, received_at, geom, h3_cell, device_id, visit_id, author_id, team_id, site_id, admin_unit_code, "
    "province_code"
)
INDEXES = (
    ("ix_connectivity_readings_admin_unit_code_observed_at", "(admin_unit_code, observed_at)"),
    ("ix_connectivity_readings_dead_spot_observed_at", "(dead_spot, observed_at)"),
    ("ix_connectivity_readings_h3_cell", "(h3_cell)"),
    ("ix_connectivity_readings_observed_at", "(observed_at)"),
    ("ix_connectivity_readings_province_code_observed_at", "(province_code, observed_at)"),
    ("ix_connectivity_readings_received_at", "(received_at)"),
    ("ix_connectivity_readings_site_id", "(site_id)"),
    ("ix_connectivity_readings_team_id", "(team_id)"),
    ("idx_connectivity_readings_geom", "USING gist (geom)"),
)


def _month(moment):
    local = moment.astimezone(ZONE)
    return datetime(local.year, local.month, 1, tzinfo=ZONE)


def _next(month):
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=ZONE)


def _create_indexes():
    for name, definition in INDEXES:
        op.execute(f"CREATE INDEX {name} ON connectivity_readings {definition}")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    bind = op.get_bind()
    oldest = bind.execute(sa.text("SELECT min(observed_at) FROM connectivity_readings")).scalar()
    op.execute("ALTER TABLE connectivity_readings RENAME TO connectivity_readings_unpartitioned")
    op.execute(
        f"CREATE TABLE connectivity_readings ({COLUMNS}) PARTITION BY RANGE (observed_at)"
    )
    op.execute("CREATE TABLE connectivity_readings_default PARTITION OF connectivity_readings DEFAULT")
    now = datetime.now(UTC)
    last = _month(now)
    previous = _month(last.replace(day=1) - timedelta(days=1))  # phones sync late: last month too
    month = min(_month(oldest), previous) if oldest else previous
    for _ in range(MONTHS_AHEAD):
        last = _next(last)
    while month <= last:
        name = f"connectivity_readings_y{month.year:04d}m{month.month:02d}"
        op.execute(
            f"CREATE TABLE {name} PARTITION OF connectivity_readings "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{_next(month).isoformat()}')"
        )
        month = _next(month)
    op.execute(
        "CREATE TABLE connectivity_reading_ids (id uuid NOT NULL, observed_at timestamptz NOT NULL, "
        "CONSTRAINT pk_connectivity_reading_ids PRIMARY KEY (id), "
        "CONSTRAINT uq_connectivity_reading_ids_id_observed_at UNIQUE (id, observed_at))"
    )
    op.execute(
        "INSERT INTO connectivity_reading_ids (id, observed_at) "
        "SELECT id, observed_at FROM connectivity_readings_unpartitioned"
    )
    op.execute(
        f"INSERT INTO connectivity_readings ({NAMES}) SELECT {NAMES} FROM connectivity_readings_unpartitioned"
    )
    op.execute("DROP TABLE connectivity_readings_unpartitioned")
    op.execute(
        "CREATE INDEX ix_connectivity_reading_ids_observed_at ON connectivity_reading_ids USING brin (observed_at)"
    )
    op.execute(
        "ALTER TABLE connectivity_readings ADD CONSTRAINT pk_connectivity_readings PRIMARY KEY (id, observed_at)"
    )
    op.execute(
        "ALTER TABLE connectivity_readings ADD CONSTRAINT fk_connectivity_readings_id_connectivity_reading_ids "
        "FOREIGN KEY (id, observed_at) REFERENCES connectivity_reading_ids (id, observed_at)"
    )
    _create_indexes()


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE connectivity_readings RENAME TO connectivity_readings_partitioned")
    for name, _ in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_partitioned")
    op.execute("ALTER INDEX pk_connectivity_readings RENAME TO pk_connectivity_readings_partitioned")
    op.execute(f"CREATE TABLE connectivity_readings ({COLUMNS}, CONSTRAINT pk_connectivity_readings PRIMARY KEY (id))")
    op.execute(
        f"INSERT INTO connectivity_readings ({NAMES}) SELECT {NAMES} FROM connectivity_readings_partitioned"
    )
    op.execute("DROP TABLE connectivity_readings_partitioned")
    op.execute("DROP TABLE connectivity_reading_ids")
    _create_indexes()
