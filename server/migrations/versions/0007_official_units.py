"""official units: effective dates, centroid areas, the pre-2025 units and their crosswalk, moves, operators

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('admin_units', sa.Column('area_km2', sa.Float(), nullable=True))
    op.add_column('admin_units', sa.Column('valid_from', sa.Date(), nullable=True))
    op.add_column('admin_units', sa.Column('valid_to', sa.Date(), nullable=True))
    op.create_table('historical_units',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('codename', sa.String(length=120), nullable=False),
    sa.Column('division_type', sa.String(length=40), nullable=False),
    sa.Column('district_name', sa.String(length=120), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.CheckConstraint("level IN ('province', 'commune')", name=op.f('ck_historical_units_level_valid')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_historical_units'))
    )
    op.create_index('ix_historical_units_province_code', 'historical_units', ['province_code'], unique=False)
    op.create_table('admin_unit_successions',
    sa.Column('old_code', sa.String(length=5), nullable=False),
    sa.Column('new_code', sa.String(length=5), nullable=False),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['new_code'], ['admin_units.code'], name=op.f('fk_admin_unit_successions_new_code_admin_units')),
    sa.ForeignKeyConstraint(['old_code'], ['historical_units.code'], name=op.f('fk_admin_unit_successions_old_code_historical_units')),
    sa.PrimaryKeyConstraint('old_code', 'new_code', name=op.f('pk_admin_unit_successions'))
    )
    op.create_index('ix_admin_unit_successions_new_code', 'admin_unit_successions', ['new_code'], unique=False)
    op.create_table('admin_unit_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_by', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit_moves'))
    )
    op.create_table('operators',
    sa.Column('code', sa.String(length=7), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('operational', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_operators'))
    )


def downgrade():
    op.drop_table('operators')
    op.drop_table('admin_unit_moves')
    op.drop_index('ix_admin_unit_successions_new_code', table_name='admin_unit_successions')
    op.drop_table('admin_unit_successions')
    op.drop_index('ix_historical_units_province_code', table_name='historical_units')
    op.drop_table('historical_units')
    with op.batch_alter_table('admin_units') as batch_op:
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
        batch_op.drop_column('area_km2')
