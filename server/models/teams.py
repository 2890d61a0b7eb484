"""Teams that go to the field, and the admin units they answer for."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.admin_units import AdminUnit
from server.models.common import Timestamp, enum_check, utcnow

TEAM_KINDS = (
    "working_group",
    "community_digital_team",
    "youth_volunteer_team",
    "commune_staff",
    "province_department",
)

team_jurisdictions = Table(
    "team_jurisdictions",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("admin_unit_code", ForeignKey("admin_units.code"), primary_key=True),
)


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (enum_check("kind", TEAM_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    jurisdiction: Mapped[list[AdminUnit]] = relationship(secondary=team_jurisdictions, order_by=AdminUnit.code)

    @property
    def jurisdiction_codes(self) -> list[str]:
        return [unit.code for unit in self.jurisdiction]
