"""Storing a survey response: validate the answers against their version, place the response through its
visit, and store the field records its answers make through the one ingest path (so the ticket rules run).

A response belongs to a visit. When the phone names one (``visit_id``), it must already be stored (send the
visit before its answers, or in the same sync batch). Otherwise a visit is recorded for it, with an id derived
from the response's, through ingest: the response is then placed, authorised and counted exactly like a
record. Everything a response makes is stored in one savepoint: all of it, or nothing.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import marshmallow as ma
from flask import has_request_context
from flask_babel import get_locale, gettext
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from field_app_api.records.schemas import RECORD_SCHEMAS
from server.auth import Scope
from server.errors import InvalidInput, NotFound
from server.models import User, Visit
from server.services import access, reviews
from server.services.ingest import Candidate, IngestSettings, ingest, insert_ignoring_duplicates
from server.services.records import decode_cursor, encode_cursor  # noqa: F401  (same keyset as field records)
from surveys.answers import validate_answers
from surveys.definition import CompiledDefinition, compile_definition
from surveys.mapping import derive_records
from surveys.models import SurveyResponse, SurveyVersion

RECORD_LABELS = {
    "equipment_check": "an equipment check",
    "connectivity_reading": "a connectivity reading",
    "assistance_log": "an assistance log",
    "finding": "a finding",
}
RECORD_SCHEMA_INSTANCES = {kind: schema_class() for kind, schema_class in RECORD_SCHEMAS.items()}
_COMPILED: dict[str, CompiledDefinition] = {}


@dataclass
class ResponseOutcome:
    status: str  # created | duplicate | rejected
    response: SurveyResponse | None = None
    errors: dict | None = None
    warnings: dict | None = None
    forbidden: bool = False


def compiled_version(version: SurveyVersion) -> CompiledDefinition:
    """The checked definition of a version (versions never change, so it is kept by content hash)."""
    compiled = _COMPILED.get(version.content_hash)
    if compiled is None:
        if len(_COMPILED) > 200:
            _COMPILED.clear()
        compiled = _COMPILED[version.content_hash] = compile_definition(version.definition)
    return compiled


def _rejected(errors: dict, forbidden: bool = False) -> ResponseOutcome:
    return ResponseOutcome("rejected", errors=errors, forbidden=forbidden)


def submit_response(
    session: Session,
    user: User,
    scope: Scope,
    version: SurveyVersion,
    data: dict,
    settings: IngestSettings,
    device_id: str | None = None,
    now: datetime | None = None,
) -> ResponseOutcome:
    """Validate and store one response (``data`` as loaded by the response schema); never raises for bad input.

    ``now`` is the time of receipt (default: the clock), as for ``ingest``."""
    now = now or datetime.now(UTC)
    stored = session.get(SurveyResponse, data["id"])
    if stored is not None:
        return ResponseOutcome("duplicate", stored)
    compiled = compiled_version(version)
    language = str(get_locale()) if has_request_context() else None
    answers, errors = validate_answers(compiled, data.get("answers"), language)
    if errors:
        return _rejected({"answers": errors})
    corrected = _corrected(session, scope, version, data.get("corrects_id"))
    if isinstance(corrected, ResponseOutcome):
        return corrected
    place = _place(session, scope, data)
    if isinstance(place, ResponseOutcome):
        return place
    savepoint = session.begin_nested()
    outcome = _store(session, user, scope, version, compiled, data, answers, place, settings, device_id, now)
    if outcome.status == "created" and corrected is not None:
        reviews.record_correction(session, user, reviews.subject_of(corrected, "survey_response"), data["id"])
    if outcome.status == "created":
        savepoint.commit()
        outcome.response = session.get(SurveyResponse, data["id"])
    else:
        savepoint.rollback()
        if outcome.status == "duplicate":
            outcome.response = session.get(SurveyResponse, data["id"])
    return outcome


def _corrected(
    session: Session, scope: Scope, version: SurveyVersion, old_id
) -> SurveyResponse | ResponseOutcome | None:
    """The response a correction replaces: of the same survey, in the caller's area, not corrected already."""
    if old_id is None:
        return None
    old = session.get(SurveyResponse, old_id)
    if old is None or not scope.covers_unit_codes(old.admin_unit_code, old.province_code):
        return _rejected({"corrects": [gettext("No survey response %(id)s in your jurisdiction.", id=old_id)]})
    if old.survey_id != version.survey_id:
        return _rejected({"corrects": [gettext("A correction answers the same survey as the response it corrects.")]})
    review = reviews.review_of(session, "survey_response", old.id)
    if review is not None and review.superseded_by is not None:
        return _rejected(
            {"corrects": [gettext("Already corrected by %(id)s: correct that one.", id=review.superseded_by)]}
        )
    return old


def _place(session: Session, scope: Scope, data: dict) -> dict | ResponseOutcome:
    """Point, site and visit of the response, from its own fields, its visit, or its site. A visit or site
    outside the caller's area is refused exactly like one that does not exist."""
    lat, lon, site_id = data.get("lat"), data.get("lon"), data.get("site_id")
    visit = site = None
    try:
        if data.get("visit_id") is not None:
            visit = access.referencable_visit(session, scope, data["visit_id"])
        if site_id is not None:
            site = access.referencable_site(session, scope, site_id)
    except InvalidInput as error:
        if "visit_id" in error.errors:
            error.errors["visit_id"].append("Send the visit before its answers, or in the same batch.")
        return _rejected(error.errors)
    if visit is not None:
        site_id = site_id if site_id is not None else visit.site_id
        if lat is None or lon is None:
            lat, lon = visit.lat, visit.lon
    elif lat is None or lon is None:
        if site is None:
            return _rejected({"lat": ["Give lat and lon, a site_id or a visit_id."]})
        lon, lat = site.lon, site.lat
    return {"lat": lat, "lon": lon, "site_id": site_id, "visit": visit}


def _store(session, user, scope, version, compiled, data, answers, place, settings, device_id, now) -> ResponseOutcome:
    response_id = data["id"]
    warnings = None
    visit = place["visit"]
    if visit is None:
        visit_data = {
            "id": uuid.uuid5(response_id, "visit"),
            "observed_at": data["observed_at"],
            "lat": place["lat"],
            "lon": place["lon"],
            "site_id": place["site_id"],
            "visit_id": None,
            "team_id": data.get("team_id"),
            "device_id": data.get("device_id"),
            "purpose": f"Survey: {version.title} (version {version.number})"[:500],
            "notes": "",
            "attendees": None,
        }
        result = ingest(session, user, scope, [Candidate(0, "visit", visit_data)], settings, device_id, now)[0]
        if result.status == "rejected":
            return _rejected(result.errors, result.forbidden)
        warnings = result.warnings
        visit = session.get(Visit, visit_data["id"])
    base = {
        "observed_at": data["observed_at"],
        "lat": place["lat"],
        "lon": place["lon"],
        "site_id": place["site_id"],
        "visit_id": visit.id,
        "team_id": visit.team_id,
        "device_id": data.get("device_id"),
    }
    made = derive_records(compiled, answers, response_id, base)
    candidates, problems = _check_records(made)
    if problems:
        return _rejected({"answers": problems})
    row = {
        "id": response_id,
        "survey_id": version.survey_id,
        "survey_version_id": version.id,
        "visit_id": visit.id,
        "answers": answers,
        "records": [{"type": kind, "id": str(record["id"]), "question": name} for name, kind, record in made],
        "observed_at": data["observed_at"],
        "received_at": now,
        "geom": f"SRID=4326;POINT({place['lon']!r} {place['lat']!r})",
        "site_id": place["site_id"],
        "author_id": user.id,
        "team_id": visit.team_id,
        "admin_unit_code": visit.admin_unit_code,
        "province_code": visit.province_code,
        "device_id": data.get("device_id") or device_id,
        "corrects_id": data.get("corrects_id"),
    }
    if not list(session.scalars(insert_ignoring_duplicates(session, SurveyResponse.__table__), [row])):
        return ResponseOutcome("duplicate")
    if candidates:
        results = ingest(session, user, scope, candidates, settings, device_id, now)
        refused = {index: result for index, result in results.items() if result.status == "rejected"}
        if refused:
            errors: dict = {}
            for index, result in refused.items():
                name, kind = made[index][0], made[index][1]
                errors.setdefault(name, []).append(
                    f"Cannot record {RECORD_LABELS[kind]} here: {_flatten(result.errors)}"
                )
            return _rejected({"answers": errors}, any(result.forbidden for result in refused.values()))
    return ResponseOutcome("created", warnings=warnings)


def _plain(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _flatten(errors: dict) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in errors.items())


def _check_records(made: list) -> tuple[list[Candidate], dict]:
    """Derived records go through the same schemas as records sent by phones."""
    candidates, problems = [], {}
    for index, (name, kind, record) in enumerate(made):
        try:
            loaded = RECORD_SCHEMA_INSTANCES[kind].load({key: _plain(value) for key, value in record.items()})
        except ma.ValidationError as error:
            message = f"Cannot record {RECORD_LABELS[kind]}: {_flatten(error.normalized_messages())}"
            problems.setdefault(name, []).append(message)
            continue
        candidates.append(Candidate(index, kind, loaded))
    return candidates, problems


def visible_responses(scope: Scope):
    return select(SurveyResponse).where(scope.filter(SurveyResponse.admin_unit_code, SurveyResponse.province_code))


def query_responses(session: Session, scope: Scope, survey_id: int, args: dict, limit: int) -> list[SurveyResponse]:
    """Newest first, ``limit + 1`` rows so the caller knows whether more exist."""
    query = visible_responses(scope).where(SurveyResponse.survey_id == survey_id)
    if "admin_unit" in args:
        code = args["admin_unit"]
        query = query.where(or_(SurveyResponse.admin_unit_code == code, SurveyResponse.province_code == code))
    if "since" in args:
        query = query.where(SurveyResponse.observed_at >= args["since"])
    if "until" in args:
        query = query.where(SurveyResponse.observed_at < args["until"])
    if "after" in args:
        observed_at, response_id = decode_cursor(args["after"])
        query = query.where(
            or_(
                SurveyResponse.observed_at < observed_at,
                and_(SurveyResponse.observed_at == observed_at, SurveyResponse.id < response_id),
            )
        )
    query = query.options(selectinload(SurveyResponse.version))
    return list(
        session.scalars(query.order_by(SurveyResponse.observed_at.desc(), SurveyResponse.id.desc()).limit(limit + 1))
    )


def get_response(session: Session, scope: Scope, response_id: uuid.UUID) -> SurveyResponse:
    response = session.get(SurveyResponse, response_id)
    if response is None or not scope.covers_unit_codes(response.admin_unit_code, response.province_code):
        raise NotFound(gettext("No survey response %(id)s in your jurisdiction.", id=response_id))
    return response
