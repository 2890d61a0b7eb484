"""Places that teams visit."""

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.admin_units import AdminUnit
from server.models.common import Timestamp, enum_check, utcnow
from server.spatial import lon_lat

SITE_KINDS = (
    "commune_service_centre",
    "village",
    "school",
    "health_station",
    "cell_tower",
    "other",
)


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (
        enum_check("kind", SITE_KINDS),
        Index("ix_sites_admin_unit_code", "admin_unit_code"),
        Index("ix_sites_province_code", "province_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    admin_unit: Mapped[AdminUnit] = relationship(foreign_keys=[admin_unit_code])

    @property
    def lon(self) -> float:
        return lon_lat(self.geom)[0]

    @property
    def lat(self) -> float:
        return lon_lat(self.geom)[1]
