"""Surveys, their immutable versions, and the responses that answer one version."""

import uuid
from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow
from server.spatial import lon_lat

SOURCES = ("builtin", "api", "xlsform")


class Survey(db.Model):
    """A checklist or questionnaire, known by a stable ``code``; its content lives in its versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list["SurveyVersion"]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> "SurveyVersion | None":
        return self.versions[-1] if self.versions else None


class SurveyVersion(db.Model):
    """One frozen content of a survey. Never edited: new content is a new version, and every response keeps
    the version it answered. ``updated_at`` equals ``created_at``; it orders the phones' changes feed."""

    __tablename__ = "survey_versions"
    __table_args__ = (
        UniqueConstraint("survey_id", "number", name="uq_survey_versions_survey_id_number"),
        enum_check("source", SOURCES),
        Index("ix_survey_versions_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    definition: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default="api")
    source_name: Mapped[str] = mapped_column(String(300), default="")
    import_report: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")

    @property
    def code(self) -> str:
        return self.survey.code

    @property
    def title(self) -> str:
        from surveys.definition import label_text

        return label_text(self.definition.get("title", ""), "vi")


class SurveyResponse(db.Model):
    """A set of answers to one survey version, with a client-generated UUID so a retried send is stored once.

    It is placed like a field record (through the visit it belongs to) and lists the records it made."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_survey_version_id", "survey_version_id"),
        Index("ix_survey_responses_survey_id_observed_at", "survey_id", "observed_at"),
        Index("ix_survey_responses_admin_unit_code_observed_at", "admin_unit_code", "observed_at"),
        Index("ix_survey_responses_province_code_observed_at", "province_code", "observed_at"),
        Index("ix_survey_responses_visit_id", "visit_id"),
        Index("ix_survey_responses_corrects_id", "corrects_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="CASCADE"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    answers: Mapped[dict] = mapped_column(JSON)
    records: Mapped[list] = mapped_column(JSON, default=list)
    observed_at: Mapped[datetime] = mapped_column(Timestamp)
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    admin_unit_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_units.code"))
    device_id: Mapped[str | None] = mapped_column(String(100))
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the response this one corrects (after review)

    version: Mapped[SurveyVersion] = relationship()

    @property
    def version_number(self) -> int:
        return self.version.number

    @property
    def lon(self) -> float:
        return lon_lat(self.geom)[0]

    @property
    def lat(self) -> float:
        return lon_lat(self.geom)[1]
