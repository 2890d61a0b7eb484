"""notifications: the outbox of events, settings per person and team, webhooks, deliveries and attempts

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-30 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_runs',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_periodic_runs'))
    )
    op.create_table('notification_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('team_email_mode', sa.String(length=10), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("team_email_mode IN ('each', 'digest', 'off')", name=op.f('ck_notification_settings_team_email_mode_valid')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_notification_settings_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_settings')),
    sa.UniqueConstraint('team_id', name='uq_notification_settings_team_id'),
    sa.UniqueConstraint('user_id', name='uq_notification_settings_user_id')
    )
    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('area_code', sa.String(length=5), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure_streak', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_code'], ['admin_units.code'], name=op.f('fk_webhooks_area_code_admin_units')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhooks_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks'))
    )
    op.create_index('ix_webhooks_owner_id', 'webhooks', ['owner_id'], unique=False)

    op.create_table('notification_setting_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('webhook_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.CheckConstraint("action IN ('changed', 'webhook_created', 'webhook_changed', 'webhook_deleted', 'webhook_paused', 'webhook_resumed')", name=op.f('ck_notification_setting_events_action_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notification_setting_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_notification_setting_events_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_setting_events_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_notification_setting_events_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_setting_events'))
    )
    op.create_index('ix_notification_setting_events_team_id', 'notification_setting_events', ['team_id'], unique=False)
    op.create_index('ix_notification_setting_events_user_id', 'notification_setting_events', ['user_id'], unique=False)
    op.create_index('ix_notification_setting_events_webhook_id', 'notification_setting_events', ['webhook_id'], unique=False)

    op.create_table('notification_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=10), nullable=True),
    sa.Column('province_code', sa.String(length=10), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('ticket_assigned', 'ticket_due_soon', 'ticket_overdue', 'ticket_escalated', 'ticket_resolved', 'ticket_verified', 'ticket_reopened', 'review_has_issues', 'visit_plan_missed', 'webhook_paused')", name=op.f('ck_notification_events_kind_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notification_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_notification_events_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notification_events_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_events_dedupe_key'))
    )
    op.create_index('ix_notification_events_pending', 'notification_events', ['dispatched_at', 'id'], unique=False)
    op.create_index('ix_notification_events_ticket_id', 'notification_events', ['ticket_id'], unique=False)

    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=2000), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('webhook_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'digest', 'webhook')", name=op.f('ck_notification_deliveries_channel_valid')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name=op.f('ck_notification_deliveries_status_valid')),
    sa.ForeignKeyConstraint(['event_id'], ['notification_events.id'], name=op.f('fk_notification_deliveries_event_id_notification_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_notification_deliveries_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_notification_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('event_id', 'recipient', 'channel', name='uq_notification_deliveries_event_recipient')
    )
    op.create_index('ix_notification_deliveries_due', 'notification_deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_notification_deliveries_webhook_id', 'notification_deliveries', ['webhook_id'], unique=False)

    op.create_table('webhook_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['notification_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_notification_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_attempts_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    op.create_index('ix_webhook_attempts_delivery_id', 'webhook_attempts', ['delivery_id'], unique=False)
    op.create_index('ix_webhook_attempts_webhook_id_at', 'webhook_attempts', ['webhook_id', 'at'], unique=False)



def downgrade():
    op.drop_index('ix_webhook_attempts_webhook_id_at', table_name='webhook_attempts')
    op.drop_index('ix_webhook_attempts_delivery_id', table_name='webhook_attempts')

    op.drop_table('webhook_attempts')
    op.drop_index('ix_notification_deliveries_webhook_id', table_name='notification_deliveries')
    op.drop_index('ix_notification_deliveries_due', table_name='notification_deliveries')

    op.drop_table('notification_deliveries')
    op.drop_index('ix_notification_events_ticket_id', table_name='notification_events')
    op.drop_index('ix_notification_events_pending', table_name='notification_events')

    op.drop_table('notification_events')
    op.drop_index('ix_notification_setting_events_webhook_id', table_name='notification_setting_events')
    op.drop_index('ix_notification_setting_events_user_id', table_name='notification_setting_events')
    op.drop_index('ix_notification_setting_events_team_id', table_name='notification_setting_events')

    op.drop_table('notification_setting_events')
    op.drop_index('ix_webhooks_owner_id', table_name='webhooks')

    op.drop_table('webhooks')
    op.drop_table('notification_settings')
    op.drop_table('periodic_runs')
