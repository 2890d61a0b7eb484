"""Field records: what teams observe on site. Each has a client-generated UUID, so a phone can retry
a send any number of times and the record is stored once."""

import uuid
from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    insert,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow
from server.spatial import lon_lat

ASSET_KINDS = (
    "computer",
    "laptop",
    "printer",
    "scanner",
    "queue_display",
    "network_device",
    "power_backup",
    "id_card_reader",
    "other",
)
CONDITIONS = ("working", "degraded", "broken", "missing")
FAILED_CONDITIONS = ("broken", "missing")
NETWORKS = ("none", "2g", "3g", "4g", "5g", "fixed_broadband", "fiber", "satellite")
SERVICES = ("digital_id", "online_public_service", "e_payment", "other")
CATEGORIES = ("equipment", "connectivity", "power", "software", "staffing", "training", "procedure", "facility")
SEVERITIES = ("low", "medium", "high", "critical")


class FieldRecord:
    """Columns every field record has. The admin unit is derived from the point at ingest and stored,
    so aggregation is a plain GROUP BY."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(Timestamp)
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    h3_cell: Mapped[str] = mapped_column(String(16))
    accuracy_m: Mapped[float | None] = mapped_column(Float)  # of the phone's GPS fix (metres, as the phone says)
    device_id: Mapped[str | None] = mapped_column(String(100))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @declared_attr
    def author_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def team_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))

    @declared_attr
    def site_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))

    @declared_attr
    def admin_unit_code(cls) -> Mapped[str]:
        return mapped_column(ForeignKey("admin_units.code"))

    @declared_attr
    def province_code(cls) -> Mapped[str]:
        return mapped_column(ForeignKey("admin_units.code"))

    @declared_attr
    def __table_args__(cls):
        name = cls.__tablename__
        return (
            Index(f"ix_{name}_observed_at", "observed_at"),
            Index(f"ix_{name}_received_at", "received_at"),
            Index(f"ix_{name}_admin_unit_code_observed_at", "admin_unit_code", "observed_at"),
            Index(f"ix_{name}_province_code_observed_at", "province_code", "observed_at"),
            Index(f"ix_{name}_team_id", "team_id"),
            Index(f"ix_{name}_site_id", "site_id"),
            Index(f"ix_{name}_h3_cell", "h3_cell"),
            *cls.__extra_table_args__,
        )

    __extra_table_args__: tuple = ()

    @property
    def lon(self) -> float:
        return lon_lat(self.geom)[0]

    @property
    def lat(self) -> float:
        return lon_lat(self.geom)[1]


class Visit(FieldRecord, db.Model):
    __tablename__ = "visits"
    kind = "visit"
    __extra_table_args__ = (CheckConstraint("attendees >= 0", name="attendees_not_negative"),)

    purpose: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[int | None]


class EquipmentCheck(FieldRecord, db.Model):
    __tablename__ = "equipment_checks"
    kind = "equipment_check"
    __extra_table_args__ = (
        enum_check("asset_kind", ASSET_KINDS),
        enum_check("condition", CONDITIONS),
        Index("ix_equipment_checks_site_id_asset", "site_id", "asset_kind", "asset_label"),
    )

    asset_kind: Mapped[str] = mapped_column(String(30))
    asset_label: Mapped[str] = mapped_column(String(200), default="")
    condition: Mapped[str] = mapped_column(String(20))
    age_years: Mapped[float | None]
    notes: Mapped[str] = mapped_column(Text, default="")


class ConnectivityReading(FieldRecord, db.Model):
    __tablename__ = "connectivity_readings"
    kind = "connectivity_reading"
    __extra_table_args__ = (
        enum_check("network", NETWORKS),
        Index("ix_connectivity_readings_dead_spot_observed_at", "dead_spot", "observed_at"),
    )

    network: Mapped[str] = mapped_column(String(20))
    operator_code: Mapped[str | None] = mapped_column(String(7))
    operator: Mapped[str] = mapped_column(String(100), default="")
    signal_dbm: Mapped[int | None]
    down_mbps: Mapped[float | None]
    up_mbps: Mapped[float | None]
    latency_ms: Mapped[float | None]
    power_available: Mapped[bool | None]
    dead_spot: Mapped[bool]


# PostgreSQL only: the registry that keeps a reading's id unique across the monthly partitions (see
# server/services/readings_store.py). Outside the models' metadata, since SpatiaLite has no such table.
READING_IDS = "connectivity_reading_ids"
reading_ids = Table(
    READING_IDS,
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("observed_at", Timestamp, nullable=False),
)


@event.listens_for(ConnectivityReading, "before_insert")
def _register_reading_id(_mapper, connection, target) -> None:
    """A reading added through the ORM (tests, tools) gets its registry row first on PostgreSQL, as ingest does."""
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": READING_IDS}).scalar():
        connection.execute(insert(reading_ids).values(id=target.id, observed_at=target.observed_at))


class AssistanceLog(FieldRecord, db.Model):
    """Counts and services only: never a citizen's name or identity number."""

    __tablename__ = "assistance_logs"
    kind = "assistance_log"
    __extra_table_args__ = (
        enum_check("service", SERVICES),
        CheckConstraint("citizens_helped >= 0", name="citizens_helped_not_negative"),
        CheckConstraint("language_support >= 0 AND language_support <= citizens_helped", name="language_support_range"),
    )

    service: Mapped[str] = mapped_column(String(30))
    citizens_helped: Mapped[int]
    language_support: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(500), default="")


class Finding(FieldRecord, db.Model):
    __tablename__ = "findings"
    kind = "finding"
    __extra_table_args__ = (enum_check("category", CATEGORIES), enum_check("severity", SEVERITIES))

    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    beyond_local_authority: Mapped[bool] = mapped_column(default=False)


RECORD_MODELS: dict[str, type[FieldRecord]] = {
    model.kind: model for model in (Visit, EquipmentCheck, ConnectivityReading, AssistanceLog, Finding)
}
