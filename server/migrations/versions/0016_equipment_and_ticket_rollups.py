"""daily rollups of equipment checks (per asset) and of tickets (per place, owner team and category, with the
resolution times), built from the checks and tickets already stored

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TABLES = ('rollup_equipment_daily', 'rollup_tickets_daily', 'rollup_ticket_durations_daily')
TICKET_PLACE = ('site_id', 'h3_cell', 'team_id', 'category')


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


def _ticket_place():
    return [
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
    ]


def upgrade():
    _table('rollup_equipment_daily', ('day', 'admin_unit_code', 'site_id', 'asset_kind', 'asset_label'), [
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('asset_kind', sa.String(length=30), nullable=False),
        sa.Column('asset_label', sa.String(length=200), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        _count('checks'),
        _count('failures_after_first'),
        sa.Column('first_condition', sa.String(length=20), nullable=False),
        sa.Column('last_condition', sa.String(length=20), nullable=False),
        sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_check_id', sa.Uuid(), nullable=False),
        sa.Column('last_age_years', sa.Float(), nullable=True),
        sa.Column('max_age_years', sa.Float(), nullable=True),
    ])
    _table('rollup_tickets_daily', ('day', 'admin_unit_code', *TICKET_PLACE), [
        *_ticket_place(),
        *map(_count, ('opened', 'escalated', 'resolved', 'resolved_on_time')),
    ])
    _table('rollup_ticket_durations_daily', ('day', 'admin_unit_code', *TICKET_PLACE, 'seconds'), [
        *_ticket_place(),
        sa.Column('seconds', sa.BigInteger(), nullable=False),
        _count('resolved'),
    ])

    # The checks and tickets already stored, rolled up as server.indicators.rollups.rebuild does (days in Viet Nam
    # time; rejected or superseded checks never count; whole seconds to resolve).
    postgres = op.get_bind().dialect.name == 'postgresql'

    def day(column):
        if postgres:
            return f"date(timezone('Asia/Ho_Chi_Minh', {column}))"
        return f"date({column}, '+7 hours')"

    def whole_seconds(column):
        if postgres:
            return f"CAST(floor(extract(epoch FROM {column})) AS BIGINT)"
        return f"CAST(strftime('%s', {column}) AS BIGINT)"

    failed = "('broken', 'missing')"
    asset_day = f"admin_unit_code, coalesce(site_id, 0), asset_kind, asset_label, {day('observed_at')}"
    op.execute(f"""
        WITH checks AS (
            SELECT {day('observed_at')} AS day, admin_unit_code, coalesce(site_id, 0) AS site_id, asset_kind,
                asset_label, province_code, coalesce(h3_cell, '') AS h3_cell, condition, observed_at, id, age_years,
                row_number() OVER (PARTITION BY {asset_day} ORDER BY observed_at, id) AS position,
                row_number() OVER (PARTITION BY {asset_day} ORDER BY observed_at DESC, id DESC) AS newest,
                lag(condition) OVER (PARTITION BY {asset_day} ORDER BY observed_at, id) AS previous
            FROM equipment_checks c
            WHERE NOT EXISTS (
                SELECT 1 FROM reviews r WHERE r.record_kind = 'equipment_check' AND r.record_id = c.id
                AND (r.state NOT IN ('received', 'approved', 'has_issues') OR r.superseded_by IS NOT NULL))
        ), days AS (
            SELECT day, admin_unit_code, site_id, asset_kind, asset_label, count(*) AS checks,
                sum(CASE WHEN position > 1 AND condition IN {failed} AND previous NOT IN {failed} THEN 1 ELSE 0 END)
                    AS failures_after_first,
                max(CASE WHEN position = 1 THEN condition END) AS first_condition,
                max(age_years) AS max_age_years
            FROM checks GROUP BY day, admin_unit_code, site_id, asset_kind, asset_label
        )
        INSERT INTO rollup_equipment_daily (day, admin_unit_code, site_id, asset_kind, asset_label, province_code,
            checks, failures_after_first, h3_cell, first_condition, last_condition, last_checked_at, last_check_id,
            last_age_years, max_age_years)
        SELECT d.day, d.admin_unit_code, d.site_id, d.asset_kind, d.asset_label, l.province_code, d.checks,
            d.failures_after_first, l.h3_cell, d.first_condition, l.condition, l.observed_at, l.id, l.age_years,
            d.max_age_years
        FROM days d JOIN checks l ON l.newest = 1 AND l.day = d.day AND l.admin_unit_code = d.admin_unit_code
            AND l.site_id = d.site_id AND l.asset_kind = d.asset_kind AND l.asset_label = d.asset_label
    """)

    place = """admin_unit_code,
        CASE WHEN admin_unit_code = province_code THEN coalesce(site_id, 0) ELSE 0 END AS site_id,
        CASE WHEN admin_unit_code = province_code THEN coalesce(h3_cell, '') ELSE '' END AS h3_cell,
        coalesce(team_id, 0) AS team_id, category, province_code"""
    done = "status IN ('resolved', 'verified', 'closed') AND resolved_at IS NOT NULL"
    key = 'day, admin_unit_code, site_id, h3_cell, team_id, category'
    op.execute(f"""
        INSERT INTO rollup_tickets_daily ({key}, province_code, opened, escalated, resolved, resolved_on_time)
        SELECT {key}, max(province_code), sum(opened), sum(escalated), sum(resolved), sum(resolved_on_time)
        FROM (
            SELECT {day('created_at')} AS day, {place}, 1 AS opened, 0 AS escalated, 0 AS resolved,
                0 AS resolved_on_time FROM tickets
            UNION ALL
            SELECT {day('escalated_at')}, {place}, 0, 1, 0, 0 FROM tickets WHERE escalated_at IS NOT NULL
            UNION ALL
            SELECT {day('resolved_at')}, {place}, 0, 0, 1, CASE WHEN resolved_at <= due_at THEN 1 ELSE 0 END
            FROM tickets WHERE {done}
        ) events
        GROUP BY {key}
    """)
    op.execute(f"""
        INSERT INTO rollup_ticket_durations_daily ({key}, seconds, province_code, resolved)
        SELECT {key}, seconds, max(province_code), count(*)
        FROM (
            SELECT {day('resolved_at')} AS day, {place},
                {whole_seconds('resolved_at')} - {whole_seconds('created_at')} AS seconds
            FROM tickets WHERE {done}
        ) resolutions
        GROUP BY {key}, seconds
    """)


def downgrade():
    for table in reversed(TABLES):
        op.drop_index(f'ix_{table}_province_code_day', table_name=table)
        op.drop_index(f'ix_{table}_admin_unit_code_day', table_name=table)
        op.drop_table(table)
