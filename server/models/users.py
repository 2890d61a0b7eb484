"""People who use the service, the API tokens they hold (stored hashed only), and the audit trail of accounts."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.admin_units import AdminUnit
from server.models.common import Timestamp, enum_check, utcnow
from server.models.teams import Team

ROLES = ("field_member", "team_lead", "coordinator", "admin")
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"
LOCALES = ("vi", "en")  # the languages a person may choose for pages


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (enum_check("role", ROLES), enum_check("locale", LOCALES))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # argon2 hash (None: no password, the account signs in with tokens only)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # a temporary password set by a manager: the next page after signing in is the password change
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(5))  # None: the browser's language decides

    team: Mapped[Team | None] = relationship()
    jurisdiction: Mapped[AdminUnit | None] = relationship()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship()


# What can happen to an account; every change leaves one event.
ACCOUNT_ACTIONS = (
    "created",
    "password_set",
    "password_reset",
    "changed",
    "disabled",
    "enabled",
    "device_enrolled",
    "device_revoked",
)


class AccountEvent(db.Model):
    """The audit trail of accounts: who changed whose account, when, and what (before and after)."""

    __tablename__ = "account_events"
    __table_args__ = (enum_check("action", ACCOUNT_ACTIONS), Index("ix_account_events_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: command line
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
