"""Reading field records: visibility by jurisdiction, filters and keyset pagination."""

import uuid
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from server import cursors
from server.auth import MANAGER_ROLES, Scope
from server.errors import NotFound
from server.labels import label
from server.models import FieldRecord, User
from server.models.common import in_admin_unit
from server.spatial import within_bbox

# Records (and survey responses) are listed newest first by (observed_at, id).
CURSOR_SHAPE = (cursors.MOMENT, cursors.UUID)


def encode_cursor(record: FieldRecord) -> str:
    return cursors.encode((record.observed_at, record.id), CURSOR_SHAPE)


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    return cursors.decode(cursor, CURSOR_SHAPE)


def visible(model: type[FieldRecord], scope: Scope) -> Select:
    return select(model).where(scope.filter(model.admin_unit_code, model.province_code))


def query_records(
    session: Session, model: type[FieldRecord], scope: Scope, args: dict, filters: tuple[str, ...], limit: int
) -> Select:
    """Newest first; ``after`` continues from a cursor; ``limit + 1`` rows so the caller knows if more exist."""
    query = visible(model, scope)
    if "bbox" in args:
        query = query.where(within_bbox(session, model.geom, args["bbox"]))
    if "admin_unit" in args:
        code = args["admin_unit"]
        query = query.where(in_admin_unit(model, code))
    if "team" in args:
        query = query.where(model.team_id == args["team"])
    if "site" in args:
        query = query.where(model.site_id == args["site"])
    if "since" in args:
        query = query.where(model.observed_at >= args["since"])
    if "until" in args:
        query = query.where(model.observed_at < args["until"])
    for name in filters:
        if name in args and hasattr(model, name):
            query = query.where(getattr(model, name) == args[name])
    if "after" in args:
        observed_at, record_id = decode_cursor(args["after"])
        query = query.where(
            or_(model.observed_at < observed_at, and_(model.observed_at == observed_at, model.id < record_id))
        )
    return query.order_by(model.observed_at.desc(), model.id.desc()).limit(limit + 1)


def may_attach(user: User, record: FieldRecord) -> bool:
    """Photos and files go on a record from its author or team, or from a coordinator or admin of its area
    (the caller has checked the area): another team's record is read-only to a field member or lead."""
    if user.role in MANAGER_ROLES or record.author_id == user.id:
        return True
    return user.team_id is not None and record.team_id == user.team_id


def get_record(session: Session, model: type[FieldRecord], scope: Scope, record_id: uuid.UUID) -> FieldRecord:
    record = session.get(model, record_id)
    if record is None or not scope.covers_unit_codes(record.admin_unit_code, record.province_code):
        raise NotFound(
            _("No %(kind)s %(id)s in your jurisdiction.", kind=label(model.kind, "record_kind").lower(), id=record_id)
        )
    return record
