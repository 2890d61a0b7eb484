"""Attachments: bytes checked by their content (not the name or declared type), stored once by checksum
in the configured storage (``server.storage``: the upload folder or a bucket), recorded in the database with
their SHA-256, served only to those who may read the record."""

import hashlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import InvalidInput, ProblemError
from server.models import Attachment, User
from server.storage import LocalStorage, Storage, sha256_of


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
    storage: Storage,
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
    if storage.temp_dir:
        os.makedirs(storage.temp_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=storage.temp_dir, delete=False, prefix=".upload-") as temp:
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
        storage.put_file(attachment.storage_key, temp.name, content_type)
        session.add(attachment)
        session.flush()
        return attachment, True
    finally:
        if os.path.exists(temp.name):
            os.unlink(temp.name)


def verify_stored(storage: Storage, attachment: Attachment) -> bool:
    """The stored bytes still have the checksum recorded at upload."""
    try:
        return sha256_of(storage.open(attachment.storage_key)) == attachment.sha256
    except FileNotFoundError:
        return False


@dataclass
class MoveReport:
    """What ``move_to_storage`` did, per stored file (a checksum stored once serves every attachment of it)."""

    moved: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # bytes on disk differ from the recorded checksum
    failed: list[str] = field(default_factory=list)  # the copy in the target did not read back right

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.failed)


def move_to_storage(session: Session, source: LocalStorage, target: Storage, delete_local: bool = False) -> MoveReport:
    """Copy every attachment's bytes from the upload folder to ``target``, checking the SHA-256 recorded at upload
    before sending and after reading the copy back. Safe to run again: files already in place are checked, not
    sent twice. ``delete_local`` removes a local file once its copy is verified."""
    report = MoveReport()
    for (sha256,) in session.execute(select(Attachment.sha256).distinct().order_by(Attachment.sha256)):
        key = Attachment(sha256=sha256).storage_key
        on_disk = source.exists(key)
        if on_disk and sha256_of(source.open(key)) != sha256:
            report.corrupt.append(key)
            continue
        in_target = target.exists(key)
        if in_target and sha256_of(target.open(key)) == sha256:
            report.already_there.append(key)
        elif not on_disk:
            report.missing.append(key)
            continue
        else:
            if in_target:  # a broken copy from an earlier run: replace it
                target.delete(key)
            with tempfile.NamedTemporaryFile(dir=target.temp_dir, delete=False, prefix=".move-") as copy:
                with source.open(key) as original:
                    shutil.copyfileobj(original, copy)
            content_type = session.scalar(select(Attachment.content_type).where(Attachment.sha256 == sha256).limit(1))
            target.put_file(key, copy.name, content_type)
            if not (target.exists(key) and sha256_of(target.open(key)) == sha256):
                report.failed.append(key)
                continue
            report.moved.append(key)
        if delete_local and on_disk:
            source.delete(key)
    return report


def verify_all(session: Session, storage: Storage) -> tuple[int, list[str]]:
    """(files checked, keys missing or whose bytes differ from the recorded checksum) in ``storage``."""
    bad, checked = [], 0
    for (sha256,) in session.execute(select(Attachment.sha256).distinct()):
        checked += 1
        if not verify_stored(storage, Attachment(sha256=sha256)):
            bad.append(Attachment(sha256=sha256).storage_key)
    return checked, bad
