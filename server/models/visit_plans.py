"""Recurring visit plans: a team visits communes or sites every N days, weeks or months. Each window of a plan
and target is a ``PlannedVisit``: due until its window ends, fulfilled by a visit of that team there within the
window, missed (overdue) otherwise."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow
from server.models.sites import Site
from server.models.teams import Team

PLAN_STATUSES = ("active", "paused")
INTERVAL_UNITS = ("day", "week", "month")
PLANNED_VISIT_STATUSES = ("due", "fulfilled", "missed", "cancelled")
WAITING_STATUSES = ("due", "missed")  # no visit yet: a visit in the window still fulfils it
PLAN_ACTIONS = ("created", "changed", "paused", "resumed")
EVERY_MAX = 366


class VisitPlan(db.Model):
    __tablename__ = "visit_plans"
    __table_args__ = (
        enum_check("status", PLAN_STATUSES),
        enum_check("unit", INTERVAL_UNITS),
        CheckConstraint(f"every >= 1 AND every <= {EVERY_MAX}", name="every_range"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        Index("ix_visit_plans_team_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    every: Mapped[int]
    unit: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # Windows that end before this day are never made: a plan resumed or rescheduled does not owe the past.
    active_from: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    targets: Mapped[list["VisitPlanTarget"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="VisitPlanTarget.key"
    )


class VisitPlanTarget(db.Model):
    """A commune (``site_id`` null) or a site the plan's team visits; ``key`` names it within the plan."""

    __tablename__ = "visit_plan_targets"
    __table_args__ = (UniqueConstraint("plan_id", "key", name="uq_visit_plan_targets_plan_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20))  # "site:12" or "commune:04603"
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))

    plan: Mapped[VisitPlan] = relationship(back_populates="targets")
    site: Mapped[Site | None] = relationship()


class PlannedVisit(db.Model):
    """One due visit: a plan's target in one window ``[starts_at, ends_at)`` (Viet Nam days ``window_start`` to
    ``due_on``). ``updated_at`` orders the phones' changes feed."""

    __tablename__ = "planned_visits"
    __table_args__ = (
        enum_check("status", PLANNED_VISIT_STATUSES),
        UniqueConstraint("plan_id", "target_key", "window_start", name="uq_planned_visits_window"),
        Index("ix_planned_visits_team_id_status", "team_id", "status"),
        Index("ix_planned_visits_status_ends_at", "status", "ends_at"),
        Index("ix_planned_visits_admin_unit_code", "admin_unit_code"),
        Index("ix_planned_visits_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    target_key: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    window_start: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(Timestamp)
    ends_at: Mapped[datetime] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(10), default="due")
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    fulfilled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    missed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    plan: Mapped[VisitPlan] = relationship()
    team: Mapped[Team] = relationship()
    site: Mapped[Site | None] = relationship()


class VisitPlanEvent(db.Model):
    """The audit trail of plans: who created, changed, paused or resumed which plan, and what changed."""

    __tablename__ = "visit_plan_events"
    __table_args__ = (enum_check("action", PLAN_ACTIONS), Index("ix_visit_plan_events_plan_id", "plan_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plans.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")
