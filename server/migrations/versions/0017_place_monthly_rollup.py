"""monthly place rollup: readings per month and commune, and per resolution-6 cell of the readings placed at
province level (the national ranking), built from the cell rollup already kept; the partial index of the cells
placed at province level leads with the day (the ranking now reads only the days around whole months from it)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

NAME = 'rollup_places_monthly'
KEY = ('day', 'admin_unit_code', 'h3_cell')

# The resolution-6 parent of a stored cell (15 lowercase hex digits), as server.indicators.sql.h3_parent writes
# it: resolution digit 6, the 3-bit digits 7 to 15 (the lowest 27 bits) set to 1; '' stays, and a cell already
# at resolution 6 or coarser is its own parent. Only readings placed at province level keep a cell.
CELL = """CASE WHEN admin_unit_code <> province_code OR h3_cell = '' THEN ''
    WHEN substr(h3_cell, 2, 1) IN ('0', '1', '2', '3', '4', '5', '6') THEN h3_cell
    ELSE substr(h3_cell, 1, 1) || '6' || substr(h3_cell, 3, 6)
        || substr('77777777ffffffff', {position}('0123456789abcdef', substr(h3_cell, 9, 1)), 1) || 'ffffff' END"""


PROVINCE_LEVEL = sa.text('admin_unit_code = province_code')
PROVINCE_LEVEL_INDEX = 'ix_rollup_cells_daily_province_level'


def _province_level_index(columns):
    op.drop_index(PROVINCE_LEVEL_INDEX, table_name='rollup_cells_daily')
    op.create_index(
        PROVINCE_LEVEL_INDEX, 'rollup_cells_daily', columns, unique=False,
        postgresql_include=['h3_cell', 'readings', 'dead_spots', 'broadband'],
        postgresql_where=PROVINCE_LEVEL, sqlite_where=PROVINCE_LEVEL,
    )


def upgrade():
    _province_level_index(['day', 'province_code'])
    op.create_table(NAME,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('readings', sa.Integer(), nullable=False),
    sa.Column('dead_spots', sa.Integer(), nullable=False),
    sa.Column('broadband', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{NAME}')),
    sa.UniqueConstraint(*KEY, name=op.f(f'uq_{NAME}_day')),
    )
    op.create_index(f'ix_{NAME}_admin_unit_code_day', NAME, ['admin_unit_code', 'day'], unique=False)
    op.create_index(f'ix_{NAME}_province_code_day', NAME, ['province_code', 'day'], unique=False)
    postgres = op.get_bind().dialect.name == 'postgresql'
    cell = CELL.format(position='strpos' if postgres else 'instr')
    month = "date(date_trunc('month', day))" if postgres else "date(day, 'start of month')"
    op.execute(f"""
        INSERT INTO {NAME} (day, admin_unit_code, h3_cell, province_code, readings, dead_spots, broadband)
        SELECT {month}, admin_unit_code, {cell}, max(province_code), sum(readings), sum(dead_spots), sum(broadband)
        FROM rollup_cells_daily GROUP BY {month}, admin_unit_code, {cell}
    """)
    if postgres:
        op.execute(f'ANALYZE {NAME}')


def downgrade():
    _province_level_index(['province_code', 'day'])
    op.drop_index(f'ix_{NAME}_province_code_day', table_name=NAME)
    op.drop_index(f'ix_{NAME}_admin_unit_code_day', table_name=NAME)
    op.drop_table(NAME)
