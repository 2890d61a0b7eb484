"""Provinces and communes/wards of the two-tier local government (since 1 July 2025), the units they replaced
(the pre-2025 provinces and communes, kept for looking up old codes) and the crosswalk between the two."""

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
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
    area_km2: Mapped[float | None]
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    parent: Mapped["AdminUnit | None"] = relationship(remote_side=[code])

    @property
    def province_code(self) -> str:
        return self.code if self.level == "province" else self.parent_code

    def __repr__(self) -> str:
        return f"<AdminUnit {self.code} {self.name}>"


class HistoricalUnit(db.Model):
    """A province or commune of the three-tier system that ended on 30 June 2025. Its code lives in its own
    namespace: pre-2025 codes were reused, so old commune 00004 is not the current commune 00004."""

    __tablename__ = "historical_units"
    __table_args__ = (enum_check("level", LEVELS), Index("ix_historical_units_province_code", "province_code"))

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    codename: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(40))
    district_name: Mapped[str | None] = mapped_column(String(120))
    province_code: Mapped[str | None] = mapped_column(String(2))
    valid_to: Mapped[date] = mapped_column(Date)

    successions: Mapped[list["Succession"]] = relationship(
        back_populates="old_unit", order_by="Succession.new_code", lazy="selectin"
    )

    @property
    def successors(self) -> list["Succession"]:
        return self.successions


class Succession(db.Model):
    """One line of the official crosswalk: a pre-2025 unit went (wholly, or in part when ``partial``) into a
    current unit."""

    __tablename__ = "admin_unit_successions"
    __table_args__ = (Index("ix_admin_unit_successions_new_code", "new_code"),)

    old_code: Mapped[str] = mapped_column(ForeignKey("historical_units.code"), primary_key=True)
    new_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"), primary_key=True)
    partial: Mapped[bool] = mapped_column(default=False)

    old_unit: Mapped[HistoricalUnit] = relationship(back_populates="successions")
    new_unit: Mapped[AdminUnit] = relationship(lazy="joined")


class AdminUnitMove(db.Model):
    """The audit record of one ``admin-units load --apply`` that moved references from old codes to new ones."""

    __tablename__ = "admin_unit_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    applied_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)
    changes: Mapped[list] = mapped_column(JSON)
