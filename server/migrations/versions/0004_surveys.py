"""surveys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:39:50.255918

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('code', name=op.f('uq_surveys_code'))
    )
    op.create_table('survey_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_name', sa.String(length=300), nullable=False),
    sa.Column('import_report', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('builtin', 'api', 'xlsform')", name=op.f('ck_survey_versions_source_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_survey_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_versions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_versions')),
    sa.UniqueConstraint('survey_id', 'number', name='uq_survey_versions_survey_id_number')
    )
    op.create_index('ix_survey_versions_updated_at', 'survey_versions', ['updated_at'], unique=False)
    op.create_geospatial_table('survey_responses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('survey_version_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('records', sa.JSON(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_survey_responses_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_survey_responses_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_survey_responses_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_survey_responses_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_version_id'], ['survey_versions.id'], name=op.f('fk_survey_responses_survey_version_id_survey_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_survey_responses_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses'))
    )
    op.create_geospatial_index('idx_survey_responses_geom', 'survey_responses', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_survey_responses_admin_unit_code_observed_at', 'survey_responses', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_survey_responses_province_code_observed_at', 'survey_responses', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_survey_responses_survey_id_observed_at', 'survey_responses', ['survey_id', 'observed_at'], unique=False)
    op.create_index('ix_survey_responses_survey_version_id', 'survey_responses', ['survey_version_id'], unique=False)
    op.create_index('ix_survey_responses_visit_id', 'survey_responses', ['visit_id'], unique=False)


def downgrade():
    op.drop_index('ix_survey_responses_visit_id', table_name='survey_responses')
    op.drop_index('ix_survey_responses_survey_version_id', table_name='survey_responses')
    op.drop_index('ix_survey_responses_survey_id_observed_at', table_name='survey_responses')
    op.drop_index('ix_survey_responses_province_code_observed_at', table_name='survey_responses')
    op.drop_index('ix_survey_responses_admin_unit_code_observed_at', table_name='survey_responses')
    op.drop_geospatial_index('idx_survey_responses_geom', table_name='survey_responses', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('survey_responses')
    op.drop_index('ix_survey_versions_updated_at', table_name='survey_versions')
    op.drop_table('survey_versions')
    op.drop_table('surveys')
