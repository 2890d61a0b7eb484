"""Review of survey responses and field records: ``POST .../review`` with the version, ``GET .../review`` for the
current state and its history. The rules are in ``server.services.reviews``."""

import uuid

from flask_babel import gettext
from flask_smorest import Blueprint

from server.auth import current_scope, current_user, login_required
from server.errors import NotFound
from server.extensions import db
from server.models import RECORD_MODELS
from server.services import reviews
from surveys.api.schemas import ReviewSchema, ReviewStateSchema
from surveys.models import SurveyResponse

blp = Blueprint("reviews", __name__, description="Review of what comes back from the field")
SECURITY = [{"bearerAuth": []}]
PATHS = {
    "survey-responses": "survey_response",
    "visits": "visit",
    "equipment-checks": "equipment_check",
    "connectivity-readings": "connectivity_reading",
    "assistance-logs": "assistance_log",
    "findings": "finding",
}
KIND_PATH = "<any(" + ", ".join(f'"{path}"' for path in PATHS) + "):path>"


def load_subject(session, kind: str, record_id: uuid.UUID) -> reviews.Subject:
    model = SurveyResponse if kind == "survey_response" else RECORD_MODELS[kind]
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(gettext("No such record in your area."))
    return reviews.subject_of(row, kind)


def state_of(kind: str, record_id: uuid.UUID, review) -> dict:
    return {"record_kind": kind, "record_id": record_id, **reviews.current(review)}


@blp.route(f"/{KIND_PATH}/<uuid:record_id>/review", methods=["POST"])
@login_required()
@blp.arguments(ReviewSchema)
@blp.response(200, ReviewStateSchema)
@blp.doc(security=SECURITY)
def review(data, path, record_id):
    """Approve, send back with issues (a comment, which the author's team gets in its changes feed) or reject
    (kept, left out of the indicators). Coordinators and team leads of the area; `version` must be the current
    one (409 with the current state otherwise)."""
    kind = PATHS[path]
    subject = load_subject(db.session, kind, record_id)
    row = reviews.set_review(
        db.session, current_user(), current_scope(), subject, data["state"], data["version"], data["comment"]
    )
    db.session.commit()
    return state_of(kind, record_id, row)


@blp.route(f"/{KIND_PATH}/<uuid:record_id>/review", methods=["GET"])
@login_required()
@blp.response(200, ReviewStateSchema)
@blp.doc(security=SECURITY)
def review_state(path, record_id):
    """The review state of a response or record in your area (received, version 1, until first reviewed)."""
    kind = PATHS[path]
    subject = load_subject(db.session, kind, record_id)
    if not current_scope().covers_unit_codes(subject.admin_unit_code, subject.province_code):
        raise NotFound(gettext("No such record in your area."))
    return state_of(kind, record_id, reviews.review_of(db.session, kind, record_id))
