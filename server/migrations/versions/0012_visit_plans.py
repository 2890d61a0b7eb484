"""visit plans: recurring visits of a team to communes or sites, their due visits and audit trail

Revision ID: 0012
Revises: 0007
Create Date: 2026-11-30 17:09:05.528799

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('every', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('active_from', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused')", name=op.f('ck_visit_plans_status_valid')),
    sa.CheckConstraint("unit IN ('day', 'week', 'month')", name=op.f('ck_visit_plans_unit_valid')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_visit_plans_ends_after_start')),
    sa.CheckConstraint('every >= 1 AND every <= 366', name=op.f('ck_visit_plans_every_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visit_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_visit_plans_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plans'))
    )
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.create_index('ix_visit_plans_team_id', ['team_id'], unique=False)

    op.create_table('planned_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('target_key', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('due', 'fulfilled', 'missed', 'cancelled')", name=op.f('ck_planned_visits_status_valid')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_planned_visits_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['plan_id'], ['visit_plans.id'], name=op.f('fk_planned_visits_plan_id_visit_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_planned_visits_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_planned_visits_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_planned_visits_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_visits')),
    sa.UniqueConstraint('plan_id', 'target_key', 'window_start', name='uq_planned_visits_window')
    )
    with op.batch_alter_table('planned_visits', schema=None) as batch_op:
        batch_op.create_index('ix_planned_visits_admin_unit_code', ['admin_unit_code'], unique=False)
        batch_op.create_index('ix_planned_visits_status_ends_at', ['status', 'ends_at'], unique=False)
        batch_op.create_index('ix_planned_visits_team_id_status', ['team_id', 'status'], unique=False)
        batch_op.create_index('ix_planned_visits_updated_at', ['updated_at'], unique=False)

    op.create_table('visit_plan_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.CheckConstraint("action IN ('created', 'changed', 'paused', 'resumed')", name=op.f('ck_visit_plan_events_action_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_visit_plan_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['visit_plans.id'], name=op.f('fk_visit_plan_events_plan_id_visit_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plan_events'))
    )
    with op.batch_alter_table('visit_plan_events', schema=None) as batch_op:
        batch_op.create_index('ix_visit_plan_events_plan_id', ['plan_id'], unique=False)

    op.create_table('visit_plan_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_visit_plan_targets_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['plan_id'], ['visit_plans.id'], name=op.f('fk_visit_plan_targets_plan_id_visit_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_visit_plan_targets_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_visit_plan_targets_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plan_targets')),
    sa.UniqueConstraint('plan_id', 'key', name='uq_visit_plan_targets_plan_key')
    )


def downgrade():
    op.drop_table('visit_plan_targets')
    with op.batch_alter_table('visit_plan_events', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_plan_events_plan_id')

    op.drop_table('visit_plan_events')
    with op.batch_alter_table('planned_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_planned_visits_updated_at')
        batch_op.drop_index('ix_planned_visits_team_id_status')
        batch_op.drop_index('ix_planned_visits_status_ends_at')
        batch_op.drop_index('ix_planned_visits_admin_unit_code')

    op.drop_table('planned_visits')
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_plans_team_id')

    op.drop_table('visit_plans')
