"""field records keep the accuracy of the phone's GPS fix

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('visits', 'equipment_checks', 'connectivity_readings', 'assistance_logs', 'findings')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('accuracy_m', sa.Float(), nullable=True))


def downgrade():
    for table in TABLES:
        op.drop_column(table, 'accuracy_m')
