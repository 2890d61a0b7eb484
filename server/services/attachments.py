"""Attachments: bytes checked by their content (not the name or declared type), stored once by checksum
under the upload folder, recorded in the database, served only to those who may read the record."""

import hashlib
import os
import tempfile
import uuid
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import InvalidInput, ProblemError
from server.models import Attachment, User


class UnsupportedMediaType(ProblemError):
    http_status = 415


class PayloadTooLarge(ProblemError):
    http_status = 413


def sniff(head: bytes) -> str | None:
    """The media type the first bytes prove, for the types field teams send: photos and PDF reports."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _safe_filename(name: str | None) -> str:
    base = os.path.basename(name or "").strip().replace("\x00", "")
    return base[:200] or "attachment"


def store_attachment(
    session: Session,
    upload_folder: str,
    *,
    record_kind: str,
    stream,
    filename: str | None,
    max_bytes: int,
    uploaded_by: User,
    record_id: uuid.UUID | None = None,
    ticket_id: int | None = None,
) -> tuple[Attachment, bool]:
    """Store an upload for a field record (``record_id``) or a ticket (``ticket_id``).

    Returns (attachment, created); the same bytes twice give the first one."""
    digest = hashlib.sha256()
    size = 0
    folder = Path(upload_folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".upload-") as temp:
        head = b""
        while chunk := stream.read(64 * 1024):
            if len(head) < 16:
                head = (head + chunk)[:16]
            size += len(chunk)
            if size > max_bytes:
                temp.close()
                os.unlink(temp.name)
                raise PayloadTooLarge(
                    gettext("Attachments are limited to %(limit)s bytes.", limit=max_bytes),
                    errors={"file": [gettext("Too large.")]},
                )
            digest.update(chunk)
            temp.write(chunk)
    try:
        if size == 0:
            raise InvalidInput({"file": [gettext("The file is empty.")]})
        content_type = sniff(head)
        if content_type is None:
            raise UnsupportedMediaType(
                gettext("Only JPEG, PNG, WebP, HEIC photos and PDF files are accepted."),
                errors={"file": [gettext("The content is not a JPEG, PNG, WebP, HEIC image or a PDF.")]},
            )
        sha256 = digest.hexdigest()
        same_owner = Attachment.ticket_id == ticket_id if record_kind == "ticket" else Attachment.record_id == record_id
        existing = session.scalar(
            select(Attachment).where(Attachment.record_kind == record_kind, same_owner, Attachment.sha256 == sha256)
        )
        if existing is not None:
            return existing, False
        attachment = Attachment(
            record_kind=record_kind,
            record_id=record_id,
            ticket_id=ticket_id,
            filename=_safe_filename(filename),
            content_type=content_type,
            size=size,
            sha256=sha256,
            uploaded_by_id=uploaded_by.id,
        )
        target = folder / attachment.storage_key
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.replace(temp.name, target)
        session.add(attachment)
        session.flush()
        return attachment, True
    finally:
        if os.path.exists(temp.name):
            os.unlink(temp.name)


def attachment_path(upload_folder: str, attachment: Attachment) -> Path:
    return Path(upload_folder) / attachment.storage_key
