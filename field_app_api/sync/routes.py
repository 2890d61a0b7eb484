"""Offline sync: a phone sends a batch of mixed records and pulls what changed since its cursor."""

import uuid
from dataclasses import replace
from functools import partial

import marshmallow as ma
from flask import current_app, jsonify
from flask_smorest import Blueprint

from field_app_api.records import examples
from field_app_api.records.schemas import RECORD_SCHEMAS
from field_app_api.sites import examples as site_examples
from field_app_api.sync.columns import load_readings
from field_app_api.sync.schemas import ChangesQueryArgsSchema, ChangesSchema, SyncRequestSchema, SyncResponseSchema
from field_app_api.tickets import examples as ticket_examples
from field_app_api.visit_plans import examples as plan_examples
from server.auth import current_scope, current_user, login_required
from server.errors import InvalidInput
from server.extensions import db
from server.services.after_sync import DEFERRED_KEY, run_after_response
from server.services.changes import changes_since
from server.services.ingest import Candidate, IngestSettings, Outcome, ingest, stored_ids
from surveys.api import examples as survey_examples
from surveys.sync import RECORD_TYPE as SURVEY_RESPONSE
from surveys.sync import store_sync_responses

blp = Blueprint("sync", __name__, description="Offline sync for phones")
SECURITY = [{"bearerAuth": []}]
SCHEMAS = {kind: schema_class() for kind, schema_class in RECORD_SCHEMAS.items()}
KINDS = ", ".join([*SCHEMAS, SURVEY_RESPONSE])


def _identify(index: int, raw) -> tuple[str | None, uuid.UUID | None, Outcome | None]:
    """The kind and id of a raw record, or the reason it cannot be identified."""
    if not isinstance(raw, dict):
        return None, None, Outcome(None, "rejected", {"_schema": ["Each record must be a JSON object."]})
    kind, raw_id = raw.get("type"), raw.get("id")
    errors = {}
    if kind not in SCHEMAS and kind != SURVEY_RESPONSE:
        errors["type"] = [f"Must be one of: {KINDS}."]
    try:
        record_id = uuid.UUID(str(raw_id))
    except ValueError:
        record_id = None
        errors["id"] = ["Must be a UUID generated on the device."]
    if errors:
        return None, None, Outcome(None if raw_id is None else str(raw_id), "rejected", errors)
    return kind, record_id, None


def validate_batch(raw_records: list) -> tuple[list[Candidate], dict[int, Outcome]]:
    """Split a batch into valid candidates and settled outcomes (rejected, or already stored)."""
    outcomes: dict[int, Outcome] = {}
    identified = []
    for index, raw in enumerate(raw_records):
        kind, record_id, outcome = _identify(index, raw)
        if outcome:
            outcomes[index] = outcome
        elif kind != SURVEY_RESPONSE:  # survey answers are stored after the records (see sync)
            identified.append((index, kind, record_id, raw))
    ids_by_kind: dict[str, list[uuid.UUID]] = {}
    for _, kind, record_id, _ in identified:
        ids_by_kind.setdefault(kind, []).append(record_id)
    already = stored_ids(db.session, ids_by_kind)
    fresh = []
    for index, kind, record_id, raw in identified:
        if record_id in already:
            outcomes[index] = Outcome(str(record_id), "duplicate")
        else:
            fresh.append((index, kind, record_id, raw))
    # Readings, most of a batch, are loaded column-wise; what that leaves (None) goes through the schema.
    readings = [(raw, record_id) for _, kind, record_id, raw in fresh if kind == "connectivity_reading"]
    fast = iter(
        load_readings(
            [raw for raw, _ in readings],
            current_app.config["CLOCK_SKEW_SECONDS"],
            ids=[record_id for _, record_id in readings],
        )
    )
    candidates, seen = [], set()
    for index, kind, record_id, raw in fresh:
        record = next(fast) if kind == "connectivity_reading" else None
        if record_id in seen:
            outcomes[index] = Outcome(str(record_id), "duplicate")
            continue
        if record is None:
            try:
                record = SCHEMAS[kind].load({name: value for name, value in raw.items() if name != "type"})
            except ma.ValidationError as error:
                outcomes[index] = Outcome(str(record_id), "rejected", error.normalized_messages())
                continue
        seen.add(record_id)
        candidates.append(Candidate(index, kind, record))
    return candidates, outcomes


SYNC_EXAMPLE = {"device_id": "phone-7f3a", "records": examples.sync_records()}
# The answer to SYNC_EXAMPLE when the reading had already arrived in an earlier batch.
SYNC_RESPONSE_EXAMPLE = {
    "results": [
        {
            "index": index,
            "id": record["id"],
            "status": "duplicate" if record["type"] == "connectivity_reading" else "created",
        }
        for index, record in enumerate(SYNC_EXAMPLE["records"])
    ],
    "created": len(SYNC_EXAMPLE["records"]) - 1,
    "duplicate": 1,
    "rejected": 0,
}
# One pull of the changes feed: what changed for the caller's team since its last cursor, from the other
# endpoints' examples.
CHANGES_EXAMPLE = {
    "cursor": "eyJzaXRlcyI6WyIyMDI2LTExLTIwVDAzOjAyOjQ1KzAwOjAwIiw0MV19",
    "has_more": False,
    "sites": [site_examples.SITE],
    "tickets": [ticket_examples.TICKET],
    "surveys": [survey_examples.VERSION],
    "planned_visits": [plan_examples.PLANNED_VISIT],
    "reviews": [
        {
            "id": 17,
            **{k: v for k, v in survey_examples.review_state("equipment_check").items() if k != "reviewer_id"},
            "updated_at": "2026-11-21T02:40:00+00:00",
        }
    ],
}


@blp.route("/sync", methods=["POST"])
@login_required()
@blp.arguments(SyncRequestSchema, example=SYNC_EXAMPLE)
@blp.response(200, SyncResponseSchema, example=SYNC_RESPONSE_EXAMPLE)
@blp.doc(security=SECURITY)
def sync(data):
    """Store a batch of mixed records; each is answered created, duplicate or rejected (with field errors).

    One bad record never blocks the others, and retrying the same batch is always safe. The batch's connectivity
    readings reach the maps and reports (and the dead-spot rule) right after the answer. The body may be sent with
    `Content-Encoding: gzip`: the size limit holds for the inflated body too (413 past it), a corrupt gzip body gets
    400 and any other content coding 415."""
    raw_records = data["records"]
    limit = current_app.config["SYNC_MAX_RECORDS"]
    if len(raw_records) > limit:
        raise InvalidInput({"records": [f"At most {limit} records per batch; split the batch."]})
    candidates, outcomes = validate_batch(raw_records)
    settings = replace(IngestSettings.from_config(current_app.config), defer_readings=True)
    outcomes.update(ingest(db.session, current_user(), current_scope(), candidates, settings, data["device_id"]))
    answers = [(index, raw) for index, raw in enumerate(raw_records) if index not in outcomes]
    if answers:  # after the records, so a visit sent in the same batch is there for its answers
        outcomes.update(
            store_sync_responses(db.session, current_user(), current_scope(), answers, settings, data["device_id"])
        )
    db.session.commit()
    deferred = db.session.info.pop(DEFERRED_KEY, [])
    results = []
    counts = {"created": 0, "duplicate": 0, "rejected": 0}
    for index in range(len(raw_records)):
        outcome = outcomes[index]
        counts[outcome.status] += 1
        results.append(outcome.as_dict(index))
    # Already in SyncResponseSchema's shape (which documents it): sent as is, not dumped again record by record.
    response = jsonify({"results": results, **counts})
    if deferred:  # once the answer is sent (the server closes it): the readings' rollups and dead-spot rule
        response.call_on_close(partial(run_after_response, current_app._get_current_object(), deferred))
    return response


@blp.route("/sync/changes")
@login_required()
@blp.arguments(ChangesQueryArgsSchema, location="query")
@blp.response(200, ChangesSchema, example=CHANGES_EXAMPLE)
@blp.doc(security=SECURITY)
def changes(args):
    """What the phone needs since its cursor: sites of its jurisdiction, its tickets, surveys, and the visits its
    team's plans ask for (`planned_visits`, each with its due date)."""
    return changes_since(db.session, current_user(), current_scope(), args.get("cursor"), args["limit"])
