"""Review of what comes back from the field: survey responses and field records are received, then approved,
sent back with issues (a comment to the author's team), or rejected (kept, but left out of the indicators).

A record without a ``Review`` row is ``received`` at version 1; the first review creates the row. Every change
leaves a ``ReviewEvent``. A correction (a new survey response linked to the one it corrects) marks the old
review ``superseded_by`` it, so only the latest version counts.
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow

REVIEW_STATES = ("received", "approved", "has_issues", "rejected")
REVIEW_DECISIONS = ("approved", "has_issues", "rejected")  # what a reviewer may set
REVIEW_ACTIONS = ("reviewed", "corrected")
REVIEWED_KINDS = (
    "survey_response",
    "visit",
    "equipment_check",
    "connectivity_reading",
    "assistance_log",
    "finding",
)


class Review(db.Model):
    """The review state of one survey response or field record (``record_kind``, ``record_id``)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", name="uq_reviews_record_kind_record_id"),
        enum_check("state", REVIEW_STATES),
        enum_check("record_kind", REVIEWED_KINDS),
        Index("ix_reviews_updated_at", "updated_at"),
        Index("ix_reviews_team_id_updated_at", "team_id", "updated_at"),
        Index("ix_reviews_admin_unit_code", "admin_unit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(20), default="received")
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    events: Mapped[list["ReviewEvent"]] = relationship(
        back_populates="review", order_by="ReviewEvent.id", cascade="all, delete-orphan"
    )


class ReviewEvent(db.Model):
    """The audit trail of reviews: who set which state when, with the comment and the version it replaced."""

    __tablename__ = "review_events"
    __table_args__ = (
        enum_check("action", REVIEW_ACTIONS),
        Index("ix_review_events_review_id", "review_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20), default="reviewed")
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int]  # the version this event made
    correction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    review: Mapped[Review] = relationship(back_populates="events")
