"""coarse cell rollups: readings and dead spots per resolution-5 H3 cell, province and network, by day and by month
(the country dead-spot map), built from the cell rollup already kept

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('rollup_cells_r5_daily', 'rollup_cells_r5_monthly')
KEY = ('day', 'h3_cell', 'admin_unit_code', 'network')

# The resolution-5 parent of a stored cell (15 lowercase hex digits), as server.indicators.sql.h3_parent
# writes it: resolution digit 5, the 3-bit digits 6 to 15 (the lowest 30 bits) set to 1; '' stays, and a cell
# already at resolution 5 or coarser is its own parent.
PARENT = """CASE WHEN h3_cell = '' THEN ''
    WHEN substr(h3_cell, 2, 1) IN ('0', '1', '2', '3', '4', '5') THEN h3_cell
    ELSE substr(h3_cell, 1, 1) || '5' || substr(h3_cell, 3, 5)
        || substr('33337777bbbbffff', {position}('0123456789abcdef', substr(h3_cell, 8, 1)), 1) || 'fffffff' END"""


def _table(name):
    op.create_table(name,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('readings', sa.Integer(), nullable=False),
    sa.Column('dead_spots', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    sa.UniqueConstraint(*KEY, name=op.f(f'uq_{name}_day')),
    )
    op.create_index(f'ix_{name}_admin_unit_code_day', name, ['admin_unit_code', 'day'], unique=False)
    op.create_index(f'ix_{name}_province_code_day', name, ['province_code', 'day'], unique=False)


def upgrade():
    for name in TABLES:
        _table(name)
    postgres = op.get_bind().dialect.name == 'postgresql'
    parent = PARENT.format(position='strpos' if postgres else 'instr')
    month = "date(date_trunc('month', day))" if postgres else "date(day, 'start of month')"
    # Per province (which stands in the commune column): the sums of the resolution-8 cells kept per commune.
    op.execute(f"""
        INSERT INTO rollup_cells_r5_daily (day, h3_cell, admin_unit_code, network, province_code, readings,
            dead_spots)
        SELECT day, {parent}, province_code, network, province_code, sum(readings), sum(dead_spots)
        FROM rollup_cells_daily GROUP BY day, {parent}, province_code, network
    """)
    op.execute(f"""
        INSERT INTO rollup_cells_r5_monthly (day, h3_cell, admin_unit_code, network, province_code, readings,
            dead_spots)
        SELECT {month}, h3_cell, admin_unit_code, network, province_code, sum(readings), sum(dead_spots)
        FROM rollup_cells_r5_daily GROUP BY {month}, h3_cell, admin_unit_code, network, province_code
    """)
    if postgres:
        for name in TABLES:
            op.execute(f'ANALYZE {name}')


def downgrade():
    for name in reversed(TABLES):
        op.drop_index(f'ix_{name}_province_code_day', table_name=name)
        op.drop_index(f'ix_{name}_admin_unit_code_day', table_name=name)
        op.drop_table(name)
