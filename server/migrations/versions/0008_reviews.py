"""reviews of survey responses and field records, their audit trail, and corrections of responses

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=30), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_by', sa.Uuid(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('received', 'approved', 'has_issues', 'rejected')", name=op.f('ck_reviews_state_valid')),
    sa.CheckConstraint("record_kind IN ('survey_response', 'visit', 'equipment_check', 'connectivity_reading', 'assistance_log', 'finding')", name=op.f('ck_reviews_record_kind_valid')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_reviews_reviewer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_reviews_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_reviews_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_reviews_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_reviews_province_code_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('record_kind', 'record_id', name='uq_reviews_record_kind_record_id')
    )
    op.create_index('ix_reviews_updated_at', 'reviews', ['updated_at'], unique=False)
    op.create_index('ix_reviews_team_id_updated_at', 'reviews', ['team_id', 'updated_at'], unique=False)
    op.create_index('ix_reviews_admin_unit_code', 'reviews', ['admin_unit_code'], unique=False)
    op.create_table('review_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('correction_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint("action IN ('reviewed', 'corrected')", name=op.f('ck_review_events_action_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_review_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_events_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_events'))
    )
    op.create_index('ix_review_events_review_id', 'review_events', ['review_id'], unique=False)
    op.add_column('survey_responses', sa.Column('corrects_id', sa.Uuid(), nullable=True))
    op.create_index('ix_survey_responses_corrects_id', 'survey_responses', ['corrects_id'], unique=False)


def downgrade():
    op.drop_index('ix_survey_responses_corrects_id', table_name='survey_responses')
    with op.batch_alter_table('survey_responses') as batch_op:
        batch_op.drop_column('corrects_id')
    op.drop_index('ix_review_events_review_id', table_name='review_events')
    op.drop_table('review_events')
    op.drop_index('ix_reviews_admin_unit_code', table_name='reviews')
    op.drop_index('ix_reviews_team_id_updated_at', table_name='reviews')
    op.drop_index('ix_reviews_updated_at', table_name='reviews')
    op.drop_table('reviews')
