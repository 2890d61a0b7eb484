"""daily rollups of readings, assistance and visits, built from the records already stored

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30 17:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def _key_columns(*extra):
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
        sa.Column('province_code', sa.String(length=5), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        *extra,
    ]


def _indexes(table):
    op.create_index(f'ix_{table}_admin_unit_code_day', table, ['admin_unit_code', 'day'], unique=False)
    op.create_index(f'ix_{table}_province_code_day', table, ['province_code', 'day'], unique=False)


def upgrade():
    op.create_table('rollup_readings_daily',
    *_key_columns(
        sa.Column('operator_code', sa.String(length=7), nullable=False),
        sa.Column('network', sa.String(length=20), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('readings', sa.Integer(), nullable=False),
        sa.Column('dead_spots', sa.Integer(), nullable=False),
        sa.Column('broadband', sa.Integer(), nullable=False),
        sa.Column('power_off', sa.Integer(), nullable=False),
        sa.Column('power_on', sa.Integer(), nullable=False),
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_readings_daily')),
    sa.UniqueConstraint('day', 'admin_unit_code', 'h3_cell', 'operator_code', 'network', 'site_id',
                        name=op.f('uq_rollup_readings_daily_day')),
    )
    _indexes('rollup_readings_daily')
    op.create_index('ix_rollup_readings_daily_h3_cell', 'rollup_readings_daily', ['h3_cell'], unique=False)
    op.create_table('rollup_assistance_daily',
    *_key_columns(
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('service', sa.String(length=30), nullable=False),
        sa.Column('logs', sa.Integer(), nullable=False),
        sa.Column('citizens_helped', sa.Integer(), nullable=False),
        sa.Column('language_support', sa.Integer(), nullable=False),
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_assistance_daily')),
    sa.UniqueConstraint('day', 'admin_unit_code', 'h3_cell', 'team_id', 'service',
                        name=op.f('uq_rollup_assistance_daily_day')),
    )
    _indexes('rollup_assistance_daily')
    op.create_table('rollup_visits_daily',
    *_key_columns(
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=False),
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_visits_daily')),
    sa.UniqueConstraint('day', 'admin_unit_code', 'h3_cell', 'team_id', name=op.f('uq_rollup_visits_daily_day')),
    )
    _indexes('rollup_visits_daily')

    # The records already stored, rolled up as server.indicators.rollups.rebuild does (days in Viet Nam time).
    if op.get_bind().dialect.name == 'postgresql':
        day = "date(timezone('Asia/Ho_Chi_Minh', observed_at))"
    else:
        day = "date(observed_at, '+7 hours')"
    op.execute(f"""
        INSERT INTO rollup_readings_daily (day, admin_unit_code, h3_cell, operator_code, network, site_id,
            province_code, readings, dead_spots, broadband, power_off, power_on)
        SELECT {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(operator_code, ''), network,
            coalesce(site_id, 0), max(province_code), count(*),
            sum(CASE WHEN dead_spot THEN 1 ELSE 0 END),
            sum(CASE WHEN network IN ('fixed_broadband', 'fiber') THEN 1 ELSE 0 END),
            sum(CASE WHEN power_available = false THEN 1 ELSE 0 END),
            sum(CASE WHEN power_available = true THEN 1 ELSE 0 END)
        FROM connectivity_readings
        GROUP BY {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(operator_code, ''), network,
            coalesce(site_id, 0)
    """)
    op.execute(f"""
        INSERT INTO rollup_assistance_daily (day, admin_unit_code, h3_cell, team_id, service, province_code,
            logs, citizens_helped, language_support)
        SELECT {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(team_id, 0), service, max(province_code),
            count(*), sum(citizens_helped), sum(language_support)
        FROM assistance_logs
        GROUP BY {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(team_id, 0), service
    """)
    op.execute(f"""
        INSERT INTO rollup_visits_daily (day, admin_unit_code, h3_cell, team_id, province_code, visits,
            last_visit_at)
        SELECT {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(team_id, 0), max(province_code),
            count(*), max(observed_at)
        FROM visits
        GROUP BY {day}, admin_unit_code, coalesce(h3_cell, ''), coalesce(team_id, 0)
    """)


def downgrade():
    op.drop_index('ix_rollup_readings_daily_h3_cell', table_name='rollup_readings_daily')
    for table in ('rollup_visits_daily', 'rollup_assistance_daily', 'rollup_readings_daily'):
        op.drop_index(f'ix_{table}_province_code_day', table_name=table)
        op.drop_index(f'ix_{table}_admin_unit_code_day', table_name=table)
        op.drop_table(table)
