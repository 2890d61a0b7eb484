"""Follow-up tasks made from what teams find, their audit trail, the rules that make them, and days off."""

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow
from server.models.records import CATEGORIES
from server.spatial import lon_lat

# The status vocabulary, in one place.
STATUSES = ("open", "assigned", "in_progress", "resolved", "verified", "closed", "escalated", "reopened")
ACTIVE_STATUSES = ("open", "assigned", "in_progress", "escalated", "reopened")  # someone still has to act
DONE_STATUSES = ("resolved", "verified", "closed")
# Named groups a status filter (the API's ``status``, the HTML queue's) may give instead of statuses. There is no
# "all": leaving the filter out means every status in the API; the HTML queue's default is "active".
STATUS_GROUPS = {"active": ACTIVE_STATUSES, "done": DONE_STATUSES}


def expand_statuses(names) -> list[str]:
    """The statuses that ``names`` (statuses and group names) stand for, in vocabulary order; ``ValueError``
    names the first that is neither."""
    wanted = set()
    for name in names:
        if name in STATUS_GROUPS:
            wanted.update(STATUS_GROUPS[name])
        elif name in STATUSES:
            wanted.add(name)
        else:
            raise ValueError(name)
    return [status for status in STATUSES if status in wanted]


PRIORITIES = ("low", "medium", "high", "critical")
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
LEVELS = ("commune", "province")
ACTIONS = ("assign", "start", "resolve", "verify", "close", "reopen", "escalate")

ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES))


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        enum_check("status", STATUSES),
        enum_check("priority", PRIORITIES),
        enum_check("category", CATEGORIES),
        enum_check("owning_level", LEVELS),
        # At most one active ticket per signal key: the database itself refuses a duplicate.
        Index(
            "uq_tickets_active_dedupe_key",
            "dedupe_key",
            unique=True,
            postgresql_where=text(ACTIVE_SQL),
            sqlite_where=text(ACTIVE_SQL),
        ),
        Index("ix_tickets_dedupe_key", "dedupe_key"),
        Index("ix_tickets_province_code_status", "province_code", "status"),
        Index("ix_tickets_admin_unit_code_status", "admin_unit_code", "status"),
        Index("ix_tickets_team_id_status", "team_id", "status"),
        Index("ix_tickets_due_at", "due_at"),
        Index("ix_tickets_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Where the problem is, for the ticket's whole life: the commune (the province only for a ticket opened by
    # hand for a whole province), the site and the point.
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), index=True)
    # Who must act: changes by assignment and escalation, never the place. The column keeps its first name.
    owner_level: Mapped[str] = mapped_column("owning_level", String(10))
    owner_unit_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The team whose records caused the ticket: it hears back (sync feed) and may reopen.
    reported_by_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    owning_level = synonym("owner_level")  # the earlier name, still accepted
    geom: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    h3_cell: Mapped[str | None] = mapped_column(String(16))
    dedupe_key: Mapped[str | None] = mapped_column(String(300))
    signal_count: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    escalated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verification_evidence: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def lon(self) -> float | None:
        return lon_lat(self.geom)[0] if self.geom is not None else None

    @property
    def lat(self) -> float | None:
        return lon_lat(self.geom)[1] if self.geom is not None else None


class TicketEvent(db.Model):
    """The audit trail: every change of a ticket, who made it (null: a rule), before and after."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_id", "ticket_id"),
        # A field record joins a ticket once, however often its batch is retried.
        Index(
            "uq_ticket_events_source",
            "ticket_id",
            "source_kind",
            "source_id",
            unique=True,
            postgresql_where=text("source_id IS NOT NULL"),
            sqlite_where=text("source_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    source_kind: Mapped[str | None] = mapped_column(String(30))
    source_id: Mapped[str | None] = mapped_column(String(64))

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketRule(db.Model):
    """Per category: the SLA in working days, the priority and the level that owns the ticket."""

    __tablename__ = "ticket_rules"
    __table_args__ = (
        enum_check("category", CATEGORIES),
        enum_check("priority", PRIORITIES),
        enum_check("owning_level", LEVELS),
    )

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    sla_working_days: Mapped[int]
    priority: Mapped[str] = mapped_column(String(10))
    owning_level: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class DayOff(db.Model):
    """A day without office work that the national calendar does not know (local decision, disaster...)."""

    __tablename__ = "days_off"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


DEFAULT_RULES = {
    # category: (working days, priority, owning level)
    "equipment": (10, "medium", "commune"),
    "connectivity": (30, "high", "province"),
    "power": (20, "high", "province"),
    "software": (5, "high", "province"),
    "staffing": (15, "medium", "commune"),
    "training": (20, "low", "commune"),
    "procedure": (10, "medium", "commune"),
    "facility": (20, "medium", "commune"),
}
