"""field records and attachments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:13:53.827193

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_kind', sa.String(length=30), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("record_kind IN ('visit', 'equipment_check', 'connectivity_reading', 'assistance_log', 'finding')", name=op.f('ck_attachments_record_kind_valid')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_record', 'attachments', ['record_kind', 'record_id'], unique=False)
    op.create_index('uq_attachments_record_sha256', 'attachments', ['record_kind', 'record_id', 'sha256'], unique=True)
    op.create_geospatial_table('assistance_logs',
    sa.Column('service', sa.String(length=30), nullable=False),
    sa.Column('citizens_helped', sa.Integer(), nullable=False),
    sa.Column('language_support', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.CheckConstraint("service IN ('digital_id', 'online_public_service', 'e_payment', 'other')", name=op.f('ck_assistance_logs_service_valid')),
    sa.CheckConstraint('citizens_helped >= 0', name=op.f('ck_assistance_logs_citizens_helped_not_negative')),
    sa.CheckConstraint('language_support >= 0 AND language_support <= citizens_helped', name=op.f('ck_assistance_logs_language_support_range')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_assistance_logs_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_assistance_logs_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_assistance_logs_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_assistance_logs_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_assistance_logs_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_logs'))
    )
    op.create_geospatial_index('idx_assistance_logs_geom', 'assistance_logs', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_assistance_logs_admin_unit_code_observed_at', 'assistance_logs', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_assistance_logs_h3_cell', 'assistance_logs', ['h3_cell'], unique=False)
    op.create_index('ix_assistance_logs_observed_at', 'assistance_logs', ['observed_at'], unique=False)
    op.create_index('ix_assistance_logs_province_code_observed_at', 'assistance_logs', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_assistance_logs_received_at', 'assistance_logs', ['received_at'], unique=False)
    op.create_index('ix_assistance_logs_site_id', 'assistance_logs', ['site_id'], unique=False)
    op.create_index('ix_assistance_logs_team_id', 'assistance_logs', ['team_id'], unique=False)
    op.create_geospatial_table('connectivity_readings',
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('operator_code', sa.String(length=7), nullable=True),
    sa.Column('operator', sa.String(length=100), nullable=False),
    sa.Column('signal_dbm', sa.Integer(), nullable=True),
    sa.Column('down_mbps', sa.Double(), nullable=True),
    sa.Column('up_mbps', sa.Double(), nullable=True),
    sa.Column('latency_ms', sa.Double(), nullable=True),
    sa.Column('power_available', sa.Boolean(), nullable=True),
    sa.Column('dead_spot', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.CheckConstraint("network IN ('none', '2g', '3g', '4g', '5g', 'fixed_broadband', 'fiber', 'satellite')", name=op.f('ck_connectivity_readings_network_valid')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_connectivity_readings_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_connectivity_readings_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_connectivity_readings_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_connectivity_readings_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_connectivity_readings_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connectivity_readings'))
    )
    op.create_geospatial_index('idx_connectivity_readings_geom', 'connectivity_readings', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_connectivity_readings_admin_unit_code_observed_at', 'connectivity_readings', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_connectivity_readings_dead_spot_observed_at', 'connectivity_readings', ['dead_spot', 'observed_at'], unique=False)
    op.create_index('ix_connectivity_readings_h3_cell', 'connectivity_readings', ['h3_cell'], unique=False)
    op.create_index('ix_connectivity_readings_observed_at', 'connectivity_readings', ['observed_at'], unique=False)
    op.create_index('ix_connectivity_readings_province_code_observed_at', 'connectivity_readings', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_connectivity_readings_received_at', 'connectivity_readings', ['received_at'], unique=False)
    op.create_index('ix_connectivity_readings_site_id', 'connectivity_readings', ['site_id'], unique=False)
    op.create_index('ix_connectivity_readings_team_id', 'connectivity_readings', ['team_id'], unique=False)
    op.create_geospatial_table('equipment_checks',
    sa.Column('asset_kind', sa.String(length=30), nullable=False),
    sa.Column('asset_label', sa.String(length=200), nullable=False),
    sa.Column('condition', sa.String(length=20), nullable=False),
    sa.Column('age_years', sa.Double(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.CheckConstraint("asset_kind IN ('computer', 'laptop', 'printer', 'scanner', 'queue_display', 'network_device', 'power_backup', 'id_card_reader', 'other')", name=op.f('ck_equipment_checks_asset_kind_valid')),
    sa.CheckConstraint("condition IN ('working', 'degraded', 'broken', 'missing')", name=op.f('ck_equipment_checks_condition_valid')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_equipment_checks_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_equipment_checks_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_equipment_checks_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_equipment_checks_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_equipment_checks_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_checks'))
    )
    op.create_geospatial_index('idx_equipment_checks_geom', 'equipment_checks', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_equipment_checks_admin_unit_code_observed_at', 'equipment_checks', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_equipment_checks_h3_cell', 'equipment_checks', ['h3_cell'], unique=False)
    op.create_index('ix_equipment_checks_observed_at', 'equipment_checks', ['observed_at'], unique=False)
    op.create_index('ix_equipment_checks_province_code_observed_at', 'equipment_checks', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_equipment_checks_received_at', 'equipment_checks', ['received_at'], unique=False)
    op.create_index('ix_equipment_checks_site_id', 'equipment_checks', ['site_id'], unique=False)
    op.create_index('ix_equipment_checks_site_id_asset', 'equipment_checks', ['site_id', 'asset_kind', 'asset_label'], unique=False)
    op.create_index('ix_equipment_checks_team_id', 'equipment_checks', ['team_id'], unique=False)
    op.create_geospatial_table('findings',
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('beyond_local_authority', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.CheckConstraint("category IN ('equipment', 'connectivity', 'power', 'software', 'staffing', 'training', 'procedure', 'facility')", name=op.f('ck_findings_category_valid')),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_findings_severity_valid')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_findings_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_findings_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_findings_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_findings_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_findings_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    op.create_geospatial_index('idx_findings_geom', 'findings', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_findings_admin_unit_code_observed_at', 'findings', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_findings_h3_cell', 'findings', ['h3_cell'], unique=False)
    op.create_index('ix_findings_observed_at', 'findings', ['observed_at'], unique=False)
    op.create_index('ix_findings_province_code_observed_at', 'findings', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_findings_received_at', 'findings', ['received_at'], unique=False)
    op.create_index('ix_findings_site_id', 'findings', ['site_id'], unique=False)
    op.create_index('ix_findings_team_id', 'findings', ['team_id'], unique=False)
    op.create_geospatial_table('visits',
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=5), nullable=False),
    sa.CheckConstraint('attendees >= 0', name=op.f('ck_visits_attendees_not_negative')),
    sa.ForeignKeyConstraint(['admin_unit_code'], ['admin_units.code'], name=op.f('fk_visits_admin_unit_code_admin_units')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_visits_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_code'], ['admin_units.code'], name=op.f('fk_visits_province_code_admin_units')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_visits_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_visits_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    op.create_geospatial_index('idx_visits_geom', 'visits', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_visits_admin_unit_code_observed_at', 'visits', ['admin_unit_code', 'observed_at'], unique=False)
    op.create_index('ix_visits_h3_cell', 'visits', ['h3_cell'], unique=False)
    op.create_index('ix_visits_observed_at', 'visits', ['observed_at'], unique=False)
    op.create_index('ix_visits_province_code_observed_at', 'visits', ['province_code', 'observed_at'], unique=False)
    op.create_index('ix_visits_received_at', 'visits', ['received_at'], unique=False)
    op.create_index('ix_visits_site_id', 'visits', ['site_id'], unique=False)
    op.create_index('ix_visits_team_id', 'visits', ['team_id'], unique=False)


def downgrade():
    op.drop_index('ix_visits_team_id', table_name='visits')
    op.drop_index('ix_visits_site_id', table_name='visits')
    op.drop_index('ix_visits_received_at', table_name='visits')
    op.drop_index('ix_visits_province_code_observed_at', table_name='visits')
    op.drop_index('ix_visits_observed_at', table_name='visits')
    op.drop_index('ix_visits_h3_cell', table_name='visits')
    op.drop_index('ix_visits_admin_unit_code_observed_at', table_name='visits')
    op.drop_geospatial_index('idx_visits_geom', table_name='visits', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('visits')
    op.drop_index('ix_findings_team_id', table_name='findings')
    op.drop_index('ix_findings_site_id', table_name='findings')
    op.drop_index('ix_findings_received_at', table_name='findings')
    op.drop_index('ix_findings_province_code_observed_at', table_name='findings')
    op.drop_index('ix_findings_observed_at', table_name='findings')
    op.drop_index('ix_findings_h3_cell', table_name='findings')
    op.drop_index('ix_findings_admin_unit_code_observed_at', table_name='findings')
    op.drop_geospatial_index('idx_findings_geom', table_name='findings', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('findings')
    op.drop_index('ix_equipment_checks_team_id', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_site_id_asset', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_site_id', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_received_at', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_province_code_observed_at', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_observed_at', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_h3_cell', table_name='equipment_checks')
    op.drop_index('ix_equipment_checks_admin_unit_code_observed_at', table_name='equipment_checks')
    op.drop_geospatial_index('idx_equipment_checks_geom', table_name='equipment_checks', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('equipment_checks')
    op.drop_index('ix_connectivity_readings_team_id', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_site_id', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_received_at', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_province_code_observed_at', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_observed_at', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_h3_cell', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_dead_spot_observed_at', table_name='connectivity_readings')
    op.drop_index('ix_connectivity_readings_admin_unit_code_observed_at', table_name='connectivity_readings')
    op.drop_geospatial_index('idx_connectivity_readings_geom', table_name='connectivity_readings', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('connectivity_readings')
    op.drop_index('ix_assistance_logs_team_id', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_site_id', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_received_at', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_province_code_observed_at', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_observed_at', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_h3_cell', table_name='assistance_logs')
    op.drop_index('ix_assistance_logs_admin_unit_code_observed_at', table_name='assistance_logs')
    op.drop_geospatial_index('idx_assistance_logs_geom', table_name='assistance_logs', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('assistance_logs')
    op.drop_index('uq_attachments_record_sha256', table_name='attachments')
    op.drop_index('ix_attachments_record', table_name='attachments')
    op.drop_table('attachments')
