"""the readings of sync batches whose rollups and dead-spot rule run right after the sync's answer (each row
written with its batch, deleted by the transaction that applies it)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deferred_readings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reading_ids', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_readings')),
    )


def downgrade():
    op.drop_table('deferred_readings')
