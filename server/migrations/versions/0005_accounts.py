"""accounts: passwords, language setting and the account audit trail

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both backends: a batch rebuild of `users` on SQLite would drop a table that many
    # foreign keys point at (foreign_keys is on).
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.add_column(
        "users", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE users ADD COLUMN locale VARCHAR(5) "
            "CONSTRAINT ck_users_locale_valid CHECK (locale IN ('vi', 'en'))"
        )
    else:
        op.add_column("users", sa.Column("locale", sa.String(length=5), nullable=True))
        op.create_check_constraint(op.f("ck_users_locale_valid"), "users", sa.text("locale IN ('vi', 'en')"))
    op.create_table('account_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.CheckConstraint(
        "action IN ('created', 'password_set', 'password_reset', 'changed', 'disabled', 'enabled', "
        "'device_enrolled', 'device_revoked')",
        name=op.f('ck_account_events_action_valid'),
    ),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_account_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_events'))
    )
    op.create_index('ix_account_events_user_id', 'account_events', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_account_events_user_id', table_name='account_events')
    op.drop_table('account_events')
    if op.get_bind().dialect.name == "sqlite":
        for column in ("locale", "must_change_password", "password_hash"):
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
    else:
        op.drop_constraint(op.f("ck_users_locale_valid"), "users", type_="check")
        for column in ("locale", "must_change_password", "password_hash"):
            op.drop_column("users", column)
