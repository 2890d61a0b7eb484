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
from surveys.api import examples
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


def load_subject(session, kind: str, record_id: uuid.UUID) -> reviews.Subject:
    model = SurveyResponse if kind == "survey_response" else RECORD_MODELS[kind]
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(gettext("No such record in your area."))
    return reviews.subject_of(row, kind)


def state_of(kind: str, record_id: uuid.UUID, review) -> dict:
    return {"record_kind": kind, "record_id": record_id, **reviews.current(review)}


def _review_routes(path: str, kind: str) -> None:
    """POST and GET ``/<path>/<uuid>/review`` for one kind of record."""

    @blp.route(f"/{path}/<uuid:record_id>/review", methods=["POST"], endpoint=f"review_{kind}")
    @login_required()
    @blp.arguments(ReviewSchema, example=examples.REVIEW)
    @blp.response(200, ReviewStateSchema, example=examples.review_state(kind))
    @blp.doc(
        security=SECURITY,
        summary=f"Review a {kind.replace('_', ' ')}",
        description="Approve, send back with issues (a comment, which the author's team gets in its changes feed) "
        "or reject (kept, left out of the indicators). Coordinators and team leads of the area; `version` must be "
        "the current one (409 with the current state otherwise).",
    )
    def review(data, record_id):
        subject = load_subject(db.session, kind, record_id)
        row = reviews.set_review(
            db.session, current_user(), current_scope(), subject, data["state"], data["version"], data["comment"]
        )
        db.session.commit()
        return state_of(kind, record_id, row)

    @blp.route(f"/{path}/<uuid:record_id>/review", methods=["GET"], endpoint=f"review_state_{kind}")
    @login_required()
    @blp.response(200, ReviewStateSchema, example=examples.review_state(kind))
    @blp.doc(
        security=SECURITY,
        summary=f"The review state of a {kind.replace('_', ' ')}",
        description="Received, version 1, until first reviewed; only in your jurisdiction.",
    )
    def review_state(record_id):
        subject = load_subject(db.session, kind, record_id)
        if not current_scope().covers_unit_codes(subject.admin_unit_code, subject.province_code):
            raise NotFound(gettext("No such record in your area."))
        return state_of(kind, record_id, reviews.review_of(db.session, kind, record_id))


for _path, _kind in PATHS.items():
    _review_routes(_path, _kind)
