"""the dead-spot readings of sync batches waiting for the cluster rule, which runs right after the sync's answer
(each row written with its batch, deleted when the rule has run)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:50:00

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
        'deferred_dead_spots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reading_ids', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_dead_spots')),
    )


def downgrade():
    op.drop_table('deferred_dead_spots')
