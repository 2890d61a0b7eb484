"""daily rollups of readings (per commune and site, per H3 cell and network, per operator and network), assistance and visits, built from
the records already stored

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30 17:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ('rollup_readings_daily', 'rollup_cells_daily', 'rollup_operators_daily', 'rollup_assistance_daily',
          'rollup_visits_daily')


def _table(name, key, columns):
    op.create_table(name,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    *columns,
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    sa.UniqueConstraint(*key, name=op.f(f'uq_{name}_{key[0]}')),
    )
    op.create_index(f'ix_{name}_admin_unit_code_day', name, ['admin_unit_code', 'day'], unique=False)
    op.create_index(f'ix_{name}_province_code_day', name, ['province_code', 'day'], unique=False)


def _count(name):
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade():
    _table('rollup_readings_daily', ('day', 'admin_unit_code', 'site_id'), [
        sa.Column('site_id', sa.Integer(), nullable=False),
        *map(_count, ('readings', 'dead_spots', 'broadband', 'power_off', 'power_on')),
    ])
    _table('rollup_cells_daily', ('day', 'h3_cell', 'admin_unit_code', 'network'), [
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('network', sa.String(length=20), nullable=False),
        *map(_count, ('readings', 'dead_spots', 'broadband')),
    ])
    op.create_index('ix_rollup_cells_daily_h3_cell', 'rollup_cells_daily', ['h3_cell'], unique=False)
    _table('rollup_operators_daily', ('day', 'admin_unit_code', 'operator_code', 'network'), [
        sa.Column('operator_code', sa.String(length=7), nullable=False),
        sa.Column('network', sa.String(length=20), nullable=False),
        *map(_count, ('readings', 'dead_spots')),
    ])
    _table('rollup_assistance_daily', ('day', 'admin_unit_code', 'h3_cell', 'team_id', 'service'), [
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('service', sa.String(length=30), nullable=False),
        *map(_count, ('logs', 'citizens_helped', 'language_support')),
    ])
    _table('rollup_visits_daily', ('day', 'admin_unit_code', 'h3_cell', 'team_id'), [
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        _count('visits'),
        sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=False),
    ])

    # The records already stored, rolled up as server.indicators.rollups.rebuild does (days in Viet Nam time;
    # assistance and visits keep their H3 cell only when placed at province level).
    if op.get_bind().dialect.name == 'postgresql':
        day = "date(timezone('Asia/Ho_Chi_Minh', observed_at))"
    else:
        day = "date(observed_at, '+7 hours')"
    unplaced_cell = "CASE WHEN admin_unit_code = province_code THEN coalesce(h3_cell, '') ELSE '' END"
    dead = "sum(CASE WHEN dead_spot THEN 1 ELSE 0 END)"
    broadband = "sum(CASE WHEN network IN ('fixed_broadband', 'fiber') THEN 1 ELSE 0 END)"
    op.execute(f"""
        INSERT INTO rollup_readings_daily (day, admin_unit_code, site_id, province_code,
            readings, dead_spots, broadband, power_off, power_on)
        SELECT {day}, admin_unit_code, coalesce(site_id, 0), max(province_code), count(*), {dead},
            {broadband}, sum(CASE WHEN power_available = false THEN 1 ELSE 0 END),
            sum(CASE WHEN power_available = true THEN 1 ELSE 0 END)
        FROM connectivity_readings GROUP BY {day}, admin_unit_code, coalesce(site_id, 0)
    """)
    op.execute(f"""
        INSERT INTO rollup_cells_daily (day, h3_cell, admin_unit_code, network, province_code,
            readings, dead_spots, broadband)
        SELECT {day}, coalesce(h3_cell, ''), admin_unit_code, network, max(province_code), count(*), {dead},
            {broadband}
        FROM connectivity_readings GROUP BY {day}, coalesce(h3_cell, ''), admin_unit_code, network
    """)
    op.execute(f"""
        INSERT INTO rollup_operators_daily (day, admin_unit_code, operator_code, network, province_code,
            readings, dead_spots)
        SELECT {day}, admin_unit_code, coalesce(operator_code, ''), network, max(province_code), count(*), {dead}
        FROM connectivity_readings GROUP BY {day}, admin_unit_code, coalesce(operator_code, ''), network
    """)
    op.execute(f"""
        INSERT INTO rollup_assistance_daily (day, admin_unit_code, h3_cell, team_id, service, province_code,
            logs, citizens_helped, language_support)
        SELECT {day}, admin_unit_code, {unplaced_cell}, coalesce(team_id, 0), service, max(province_code),
            count(*), sum(citizens_helped), sum(language_support)
        FROM assistance_logs GROUP BY {day}, admin_unit_code, {unplaced_cell}, coalesce(team_id, 0), service
    """)
    op.execute(f"""
        INSERT INTO rollup_visits_daily (day, admin_unit_code, h3_cell, team_id, province_code, visits,
            last_visit_at)
        SELECT {day}, admin_unit_code, {unplaced_cell}, coalesce(team_id, 0), max(province_code), count(*),
            max(observed_at)
        FROM visits GROUP BY {day}, admin_unit_code, {unplaced_cell}, coalesce(team_id, 0)
    """)


def downgrade():
    op.drop_index('ix_rollup_cells_daily_h3_cell', table_name='rollup_cells_daily')
    for table in reversed(TABLES):
        op.drop_index(f'ix_{table}_province_code_day', table_name=table)
        op.drop_index(f'ix_{table}_admin_unit_code_day', table_name=table)
        op.drop_table(table)
