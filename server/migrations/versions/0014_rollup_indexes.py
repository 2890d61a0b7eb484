"""rollup indexes: the cells placed at province level (what the ranking reads), with their sums

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 19:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PROVINCE_LEVEL = sa.text('admin_unit_code = province_code')


def upgrade():
    op.create_index(
        'ix_rollup_cells_daily_province_level', 'rollup_cells_daily', ['province_code', 'day'], unique=False,
        postgresql_include=['h3_cell', 'readings', 'dead_spots', 'broadband'],
        postgresql_where=PROVINCE_LEVEL, sqlite_where=PROVINCE_LEVEL,
    )


def downgrade():
    op.drop_index('ix_rollup_cells_daily_province_level', table_name='rollup_cells_daily')
