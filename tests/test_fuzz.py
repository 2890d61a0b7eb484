"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis).

Every operation in ``/api/v1/openapi.json`` gets generated requests, valid and invalid, sent with an admin's
and with a field member's bearer token to an application of its own (a SpatiaLite file made here, so nothing it
writes reaches the other tests). Every schemathesis check runs (no server error, responses and headers as
documented, invalid input refused, valid input accepted, ...), and every error must be a problem document. The
run is derandomised and bounded: the same cases in CI on every run.

Valid input may still be refused by a rule the schema cannot express; ``BUSINESS_RULES`` lists each such
operation and rule with its reason, and only a 4xx naming that rule's field is excused, only from the check
that valid input is accepted.
"""

import os

import flask_migrate
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import update

from server import create_app
from server.auth import Scope, issue_token
from server.extensions import db
from server.models import AdminUnit, ApiToken, Site, User
from server.services.admin_units import load_official_units
from server.services.teams import create_team
from server.spatial import point
from tests import records_factory

PROBLEM = "application/problem+json"
EXAMPLES = int(os.environ.get("FIELDOPS_FUZZ_EXAMPLES", "12"))  # per operation, mode and role: ~4,000 cases
ROLES = ("admin", "field_member")

# Schema-valid input refused by a rule the OpenAPI document cannot express, by the field it names and why. A
# rule applies to every operation whose parameters or body have that field; ``OPERATION_RULES`` adds rules of one
# operation. Only a 4xx whose ``errors`` name nothing but such fields is excused, and only from the check that
# valid input is accepted.
FIELD_RULES = {
    "down_mbps": "a reading on network none has no download speed",
    "after": "a cursor must be one the server made; other text of its alphabet is refused",
    "cursor": "a cursor must be one the server made; other text of its alphabet is refused",
    "since": "dates fall in the supported years (2000-2099); maps take a date or an ISO date-time",
    "until": "dates fall in the supported years (2000-2099) and after `since`",
    "due_at": "dates fall in the supported years (2000-2099)",
    "observed_at": "not before 2020 and not in the future: the device clock is probably wrong",
    "bbox": "four numbers west,south,east,north, in range, west <= east and south <= north",
    "admin_unit_code": "must name a loaded admin unit (or a boundary must contain the point)",
    "jurisdiction": "must name loaded admin units",
    "province": "must name a loaded province",
    "commune": "must name a loaded commune",
    "parent": "must name a loaded province",
    "operator": "a coverage-evidence operator must be in the operator table (MCC-MNC)",
    "admin_unit": "must name a loaded admin unit",
    "attributes": "JSON keys of 1-64 characters, size and depth limits (x-max-bytes, x-max-depth): OpenAPI 3.0 "
    "has no propertyNames, nor a size of a whole value",
    "answers": "as `attributes`, and must answer the questions of that version",
    "definition": "as `attributes`, and the survey definition language: title, questions, expressions",
    "team_id": "must name a team; a team lead or member must have one",
    "jurisdiction_code": "must name a loaded admin unit; a coordinator must have one",
    "assignee_id": "must name a user of the team",
    "lat": "(0, 0) is no place: the phone had no position fix",
    "lon": "(0, 0) is no place: the phone had no position fix",
    "file": "a photo or PDF recognised by its content (JPEG, PNG, WebP, HEIC, PDF); an import takes an XLSForm",
    "communes": "must name loaded communes inside the caller's and the team's area",
    "site_ids": "must name sites inside the caller's and the team's area",
    "starts_on": "dates fall in the supported years (2000-2099)",
    "ends_on": "dates fall in the supported years (2000-2099), not before `starts_on`",
    "email": "an e-mail address (name@domain.tld), or empty",
    "url": "a webhook URL is http(s) and reaches neither this server, localhost nor a private range",
    "area_code": "must name a loaded province or commune of the caller's area",
}
OPERATION_RULES: dict[tuple[str, str], dict[str, str]] = {
    ("DELETE", "/api/v1/days-off/{day}"): {"day": "the path segment must be a date YYYY-MM-DD"},
    ("GET", "/api/v1/speedtest/download"): {"bytes": "at most FIELDOPS_SPEED_TEST_MAX_BYTES, a setting (413 above)"},
}
# Text no column can hold (PostgreSQL text refuses U+0000), refused in any field.
NUL_RULE = "NUL (U+0000)"
# The other way round: query parameters the document does not name are ignored, not refused, so that a proxy's or
# a browser's cache-buster never breaks a phone. A request whose only flaw is such a parameter is excused from the
# check that invalid input is refused.


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """An application on its own SpatiaLite file with an admin, a team, a site, records and a ticket."""
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'fuzz.sqlite'}",
            "SECRET_KEY": "fuzz",
            "TESTING": True,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "TOKEN_RATE_LIMIT": None,
            "REQUEST_LOG": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        team = create_team(
            db.session, Scope(everywhere=True), name="fuzz team", kind="working_group", jurisdiction=["15"]
        )
        admin = User(username="fuzz-admin", role="admin")
        member = User(username="fuzz-member", role="field_member", team=team)
        phone = User(username="fuzz-phone", role="field_member", team=team)
        unit = db.session.get(AdminUnit, "04603")
        site = Site(
            name="fuzz site",
            kind="village",
            geom=point(104.92, 21.72),
            admin_unit_code=unit.code,
            province_code=unit.province_code,
        )
        db.session.add_all([admin, member, phone, site])
        db.session.flush()
        admin_row, admin_token = issue_token(db.session, admin, "fuzz", ttl_days=None)
        member_row, fuzz_member_token = issue_token(db.session, member, "fuzz", ttl_days=None)
        _, member_token = issue_token(db.session, phone, "fuzz", ttl_days=None)
        db.session.commit()
        app.config["FUZZ_USERS"] = {
            "admin": (admin.id, admin_row.id, admin_token, "admin", None),
            "field_member": (member.id, member_row.id, fuzz_member_token, "field_member", team.id),
        }
        db.session.remove()
    client = app.test_client()
    records = [builder(site_id=1) for builder in records_factory.BUILDERS]
    response = client.post(
        "/api/v1/sync", json={"records": records}, headers={"Authorization": f"Bearer {member_token}"}
    )
    assert response.status_code == 200 and response.get_json()["created"] == len(records), response.get_json()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


def keep_the_users(app) -> None:
    """Generated requests may disable, demote or revoke the fuzzing users; put them back before each case."""
    with app.app_context():
        for user_id, token_id, _, role, team_id in app.config["FUZZ_USERS"].values():
            db.session.execute(update(User).where(User.id == user_id).values(active=True, role=role, team_id=team_id))
            db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=None, expires_at=None))
        db.session.commit()
        db.session.remove()


def errors_are_problem_documents(ctx, response, case) -> None:
    """Every 4xx and 5xx is ``application/problem+json`` with the status in its body."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM, f"{response.status_code} with {content_type!r}"
    body = response.json()
    assert body["status"] == response.status_code and body["title"], body


def excused(label: str, response) -> bool:
    """Whether a refusal of schema-valid input comes from the rules above: a 4xx naming only their fields."""
    method, path = label.split(" ", 1)
    if not 400 <= response.status_code < 500:
        return False
    try:
        errors = response.json().get("errors") or {}
    except ValueError:
        return False
    rules = {**FIELD_RULES, **OPERATION_RULES.get((method, path), {})}
    return bool(errors) and all(name in rules or NUL_RULE in str(errors[name]) for name in errors)


def documented_spec() -> dict:
    """The OpenAPI document, read from an app without a database."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
            "SECRET_KEY": "fuzz",
            "STARTUP_CHECK": False,
            "REQUEST_LOG": False,
        }
    )
    return app.test_client().get("/api/v1/openapi.json").get_json()


SPEC = documented_spec()
METHODS = ("get", "put", "post", "delete", "patch")


def has_unknown_query_parameters(label: str, case) -> bool:
    method, path = label.split(" ", 1)
    operation = SPEC["paths"][path][method.lower()]
    documented = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
    return bool(set(case.query or {}) - documented)


def documented_operations() -> list[str]:
    """``METHOD /path`` of every operation in the OpenAPI document."""
    return [f"{method.upper()} {path}" for path, item in SPEC["paths"].items() for method in METHODS if method in item]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("label", documented_operations())
def test_api_fuzz(label, mode, role, fuzz_app, fuzz_schema):
    """Every schemathesis check passes for generated requests; errors are problem documents."""
    operation = fuzz_schema.find_operation_by_label(label)
    # schemathesis' WSGI transport asks for gzip (requests' default headers) but reads the body as sent: ask for
    # plain bodies here; tests/server/test_compression.py covers the compressed ones.
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_USERS'][role][2]}", "Accept-Encoding": "identity"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        keep_the_users(fuzz_app)
        response = case.call(headers=headers)
        excluded = [positive_data_acceptance] if excused(label, response) else []
        # A sync batch answers 200 and refuses each bad record on its own (its status and errors in ``results``).
        if mode == GenerationMode.NEGATIVE and (
            label == "POST /api/v1/sync" or has_unknown_query_parameters(label, case)
        ):
            excluded.append(negative_data_rejection)
        case.validate_response(
            response, headers=headers, additional_checks=[errors_are_problem_documents], excluded_checks=excluded
        )

    fuzz()
