"""Provinces and communes/wards of the two-tier local government (since 1 July 2025)."""

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow

LEVELS = ("province", "commune")


class AdminUnit(db.Model):
    __tablename__ = "admin_units"
    __table_args__ = (
        enum_check("level", LEVELS),
        Index("ix_admin_units_parent_code", "parent_code"),
    )

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    codename: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))
    population: Mapped[int | None]
    boundary: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    centroid: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    parent: Mapped["AdminUnit | None"] = relationship(remote_side=[code])

    @property
    def province_code(self) -> str:
        return self.code if self.level == "province" else self.parent_code

    def __repr__(self) -> str:
        return f"<AdminUnit {self.code} {self.name}>"
