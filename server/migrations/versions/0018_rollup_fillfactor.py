"""rollup tables keep 30% of each page free: their rows are mostly updated in place (n = n + new), which
PostgreSQL can then do without new index entries (heap-only tuples); pages written from now on

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TABLES = (
    'rollup_readings_daily', 'rollup_cells_daily', 'rollup_cells_r5_daily', 'rollup_cells_r5_monthly',
    'rollup_places_monthly', 'rollup_operators_daily', 'rollup_assistance_daily', 'rollup_visits_daily',
    'rollup_equipment_daily', 'rollup_tickets_daily', 'rollup_ticket_durations_daily',
)


def _set(fillfactor: int) -> None:
    if op.get_bind().dialect.name != 'postgresql':  # SQLite has no such setting
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} SET (fillfactor = {fillfactor})')


def upgrade():
    _set(70)


def downgrade():
    _set(100)
