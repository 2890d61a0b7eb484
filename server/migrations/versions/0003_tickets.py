"""tickets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:19:19.631687

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

# Defaults as first shipped; later edits go through the admin API, not this list.
DEFAULT_RULES = {
    "equipment": (10, "medium", "commune"),
    "connectivity": (30, "high", "province"),
    "power": (20, "high", "province"),
    "software": (5, "high", "province"),
    "staffing": (15, "medium", "commune"),
    "training": (20, "low", "commune"),
    "procedure": (10, "medium", "commune"),
    "facility": (20, "medium", "commune"),
}
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_rules',
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('sla_working_days', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('owning_level', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('equipment', 'connectivity', 'power', 'software', 'staffing', 'training', 'procedure', 'facility')", name=op.f('ck_ticket_rules_category_valid')),
    sa.CheckConstraint("owning_level IN ('commune', 'province')", name=op.f('ck_ticket_rules_owning_level_valid')),
    sa.CheckConstraint("priority IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_ticket_rules_priority_valid')),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_ticket_rules'))
    )
    op.create_table('days_off',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_days_off_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_days_off'))
    )
    op.create_geospatial_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owning_level', sa.String(length=10), nullable=False),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('h3_cell', sa.String(length=16), nullable=True),
    sa.Column('dedupe_key', sa.String(length=300), nullable=True),
    sa.Column('signal_count', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verification_evidence', sa.JSON(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("category IN ('equipment', 'connectivity', 'power', 'software', 'staffing', 'training', 'procedure', 'facility')", name=op.f('ck_tickets_category_valid')),
    sa.CheckConstraint("owning_level IN ('commune', 'province')", name=op.f('ck_tickets_owning_level_valid')),
    sa.CheckConstraint("priority IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_tickets_priority_valid')),
    sa.CheckConstraint("status IN ('open', 'assigned', 'in_progress', 'resolved', 'verified', 'closed', 'escalated', 'reopened')", name=op.f('ck_tickets_status_valid')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_tickets_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_tickets_province_code_admin_units')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_tickets_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_tickets_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_tickets_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_tickets_verified_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    op.create_geospatial_index('idx_tickets_geom', 'tickets', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_tickets_admin_unit_code_status', 'tickets', ['admin_unit_code', 'status'], unique=False)
    op.create_index(op.f('ix_tickets_assignee_id'), 'tickets', ['assignee_id'], unique=False)
    op.create_index('ix_tickets_dedupe_key', 'tickets', ['dedupe_key'], unique=False)
    op.create_index('ix_tickets_due_at', 'tickets', ['due_at'], unique=False)
    op.create_index('ix_tickets_province_code_status', 'tickets', ['province_code', 'status'], unique=False)
    op.create_index(op.f('ix_tickets_site_id'), 'tickets', ['site_id'], unique=False)
    op.create_index('ix_tickets_team_id_status', 'tickets', ['team_id', 'status'], unique=False)
    op.create_index('ix_tickets_updated_at', 'tickets', ['updated_at'], unique=False)
    op.create_index('uq_tickets_active_dedupe_key', 'tickets', ['dedupe_key'], unique=True, postgresql_where=sa.text("status IN ('open', 'assigned', 'in_progress', 'escalated', 'reopened')"), sqlite_where=sa.text("status IN ('open', 'assigned', 'in_progress', 'escalated', 'reopened')"))
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('source_kind', sa.String(length=30), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index('ix_ticket_events_ticket_id', 'ticket_events', ['ticket_id'], unique=False)
    op.create_index('uq_ticket_events_source', 'ticket_events', ['ticket_id', 'source_kind', 'source_id'], unique=True, postgresql_where=sa.text('source_id IS NOT NULL'), sqlite_where=sa.text('source_id IS NOT NULL'))
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch.alter_column("record_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_index(op.f("ix_attachments_ticket_id"), ["ticket_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_attachments_ticket_id_tickets"), "tickets", ["ticket_id"], ["id"], ondelete="CASCADE"
        )
        batch.drop_constraint(op.f("ck_attachments_record_kind_valid"), type_="check")
        batch.create_check_constraint("record_kind_valid", sa.text(
            "record_kind IN ('visit', 'equipment_check', 'connectivity_reading', 'assistance_log', 'finding', 'ticket')"
        ))
        batch.create_check_constraint(
            "ticket_id_for_tickets", sa.text("(record_kind = 'ticket') = (ticket_id IS NOT NULL)")
        )

    rules = sa.table(
        "ticket_rules",
        sa.column("category", sa.String),
        sa.column("sla_working_days", sa.Integer),
        sa.column("priority", sa.String),
        sa.column("owning_level", sa.String),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(rules, [
        {"category": category, "sla_working_days": days, "priority": priority, "owning_level": level,
         "updated_at": now}
        for category, (days, priority, level) in DEFAULT_RULES.items()
    ])

def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_constraint(op.f("ck_attachments_ticket_id_for_tickets"), type_="check")
        batch.drop_constraint(op.f("ck_attachments_record_kind_valid"), type_="check")
        batch.create_check_constraint("record_kind_valid", sa.text(
            "record_kind IN ('visit', 'equipment_check', 'connectivity_reading', 'assistance_log', 'finding')"
        ))
        batch.drop_constraint(op.f("fk_attachments_ticket_id_tickets"), type_="foreignkey")
        batch.drop_index(op.f("ix_attachments_ticket_id"))
        batch.alter_column("record_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("ticket_id")
    op.drop_index('uq_ticket_events_source', table_name='ticket_events', postgresql_where=sa.text('source_id IS NOT NULL'), sqlite_where=sa.text('source_id IS NOT NULL'))
    op.drop_index('ix_ticket_events_ticket_id', table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_index('uq_tickets_active_dedupe_key', table_name='tickets', postgresql_where=sa.text("status IN ('open', 'assigned', 'in_progress', 'escalated', 'reopened')"), sqlite_where=sa.text("status IN ('open', 'assigned', 'in_progress', 'escalated', 'reopened')"))
    op.drop_index('ix_tickets_updated_at', table_name='tickets')
    op.drop_index('ix_tickets_team_id_status', table_name='tickets')
    op.drop_index(op.f('ix_tickets_site_id'), table_name='tickets')
    op.drop_index('ix_tickets_province_code_status', table_name='tickets')
    op.drop_index('ix_tickets_due_at', table_name='tickets')
    op.drop_index('ix_tickets_dedupe_key', table_name='tickets')
    op.drop_index(op.f('ix_tickets_assignee_id'), table_name='tickets')
    op.drop_index('ix_tickets_admin_unit_code_status', table_name='tickets')
    op.drop_geospatial_index('idx_tickets_geom', table_name='tickets', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('tickets')
    op.drop_table('days_off')
    op.drop_table('ticket_rules')
