"""Notifications: the outbox of events (written in the transaction of the change that causes them), who hears
about them and how (settings per person and per team, webhooks of an area), each delivery (one per event,
recipient and channel) and every webhook attempt; and the audit trail of the settings."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow

# The events people and systems can hear about, in one place (labels in server.labels "notification_event").
EVENT_KINDS = (
    "ticket_assigned",
    "ticket_due_soon",
    "ticket_overdue",
    "ticket_escalated",
    "ticket_resolved",
    "ticket_verified",
    "ticket_reopened",
    "review_has_issues",
    "visit_plan_missed",
    "webhook_paused",
)
# What a person or team may subscribe to (a paused webhook is told to its owner, always).
SUBSCRIBABLE_KINDS = EVENT_KINDS[:-1]
CHANNELS = ("email", "digest", "webhook")
DELIVERY_STATUSES = ("pending", "sent", "failed", "skipped")
TEAM_EMAIL_MODES = ("each", "digest", "off")
SETTING_ACTIONS = (
    "changed",
    "webhook_created",
    "webhook_changed",
    "webhook_deleted",
    "webhook_paused",
    "webhook_resumed",
)


class NotificationEvent(db.Model):
    """The outbox: one row per thing that happened, in the same transaction as the change. The worker (or the
    in-process runner) fans it out into deliveries and marks it dispatched; nothing is lost if the broker is down."""

    __tablename__ = "notification_events"
    __table_args__ = (
        enum_check("kind", EVENT_KINDS),
        Index("ix_notification_events_pending", "dispatched_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where it happened (commune and province codes), for the webhooks of an area.
    admin_unit_code: Mapped[str | None] = mapped_column(String(10))
    province_code: Mapped[str | None] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Scheduled events (due soon, overdue...) are recorded once per key, however often the job runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(Timestamp)
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)


class NotificationSetting(db.Model):
    """How one person (``user_id``) or one team (``team_id``) wants to hear: an e-mail address, the events, and
    for a team whether each event is mailed or gathered in a daily digest."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        enum_check("team_email_mode", TEAM_EMAIL_MODES),
        UniqueConstraint("user_id", name="uq_notification_settings_user_id"),
        UniqueConstraint("team_id", name="uq_notification_settings_team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(254))
    events: Mapped[list] = mapped_column(JSON, default=list)
    team_email_mode: Mapped[str] = mapped_column(String(10), default="each")
    locale: Mapped[str] = mapped_column(String(5), default="vi")  # a team's messages; a person's follow their account
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Webhook(db.Model):
    """A receiver registered by a coordinator or admin for the events of their area (a province or commune)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    area_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))  # None: everywhere (admins)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(Timestamp)
    failure_streak: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)

    owner = relationship("User")


class Delivery(db.Model):
    """One message: an event to one recipient over one channel, at most once (the unique constraint), claimed by
    one worker at a time (row lock, or a lease on SQLite), retried with backoff."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        enum_check("channel", CHANNELS),
        enum_check("status", DELIVERY_STATUSES),
        UniqueConstraint("event_id", "recipient", "channel", name="uq_notification_deliveries_event_recipient"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_webhook_id", "webhook_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(40))  # "user:5", "team:3", "webhook:7"
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(2000))
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))  # digests
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[NotificationEvent] = relationship()


class WebhookAttempt(db.Model):
    """Every POST to a receiver, with its answer (status code) or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_webhook_id_at", "webhook_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)


class NotificationSettingEvent(db.Model):
    """The audit trail of notification settings and webhooks: who changed what, before and after."""

    __tablename__ = "notification_setting_events"
    __table_args__ = (enum_check("action", SETTING_ACTIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: the system
    action: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


class PeriodicRun(db.Model):
    """The last run of each periodic job: the in-process timer and the scheduler both look here, so a job runs
    once per period even with several web processes."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(Timestamp)
