"""Photos and files attached to field records; the bytes live outside the database."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.common import Timestamp, enum_check, utcnow

ATTACHABLE_KINDS = ("visit", "equipment_check", "connectivity_reading", "assistance_log", "finding", "ticket")


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        enum_check("record_kind", ATTACHABLE_KINDS),
        Index("ix_attachments_record", "record_kind", "record_id"),
        Index("uq_attachments_record_sha256", "record_kind", "record_id", "sha256", unique=True),
        CheckConstraint("(record_kind = 'ticket') = (ticket_id IS NOT NULL)", name="ticket_id_for_tickets"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    record_kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # field records
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    @property
    def storage_key(self) -> str:
        """Content-addressed path under the upload folder: the same bytes are stored once."""
        return f"{self.sha256[:2]}/{self.sha256}"
