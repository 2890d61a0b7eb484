"""Survey answers in a sync batch: records of type ``survey_response``, each answered like any other record
(created, duplicate, or rejected with errors per field and, under ``answers``, per question)."""

import uuid

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.models import User
from server.services.ingest import IngestSettings, Outcome
from surveys.api.schemas import SurveyResponseSyncSchema
from surveys.models import SurveyResponse, SurveyVersion
from surveys.responses import submit_response

RECORD_TYPE = "survey_response"
_schema = SurveyResponseSyncSchema()


def store_sync_responses(
    session: Session,
    user: User,
    scope: Scope,
    items: list[tuple[int, dict]],
    settings: IngestSettings,
    device_id: str | None = None,
) -> dict[int, Outcome]:
    """Store the ``survey_response`` records of a batch, given as (index in the batch, raw record)."""
    outcomes: dict[int, Outcome] = {}
    ids = [_uuid(raw.get("id")) for _, raw in items]
    stored = set(session.scalars(select(SurveyResponse.id).where(SurveyResponse.id.in_([i for i in ids if i]))))
    versions: dict[tuple[int, int], SurveyVersion | None] = {}
    seen: set[uuid.UUID] = set()
    for (index, raw), response_id in zip(items, ids, strict=True):
        if response_id in stored or response_id in seen:
            outcomes[index] = Outcome(str(response_id), "duplicate")
            continue
        try:
            data = _schema.load({name: value for name, value in raw.items() if name != "type"})
        except ma.ValidationError as error:
            outcomes[index] = Outcome(str(raw.get("id")), "rejected", error.normalized_messages())
            continue
        key = (data["survey_id"], data["version"])
        if key not in versions:
            versions[key] = session.scalar(
                select(SurveyVersion).where(SurveyVersion.survey_id == key[0], SurveyVersion.number == key[1])
            )
        version = versions[key]
        if version is None:
            message = f"No version {key[1]} of survey {key[0]}: pull the changes feed for current surveys."
            outcomes[index] = Outcome(str(response_id), "rejected", {"version": [message]})
            continue
        seen.add(response_id)
        result = submit_response(session, user, scope, version, data, settings, device_id)
        outcomes[index] = Outcome(str(response_id), result.status, result.errors, result.warnings, result.forbidden)
    return outcomes


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
