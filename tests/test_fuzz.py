"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis).

Every operation in ``/api/v1/openapi.json`` gets generated requests, valid and invalid, sent with an admin's
bearer token to an application of its own (a SpatiaLite file made here, so nothing it writes reaches the
other tests). Each response must not be a server error, must match the documented schema, and every error
must be a problem document. The run is derandomised and bounded: the same cases in CI on every run.
"""

import os

import flask_migrate
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
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
EXAMPLES = int(os.environ.get("FIELDOPS_FUZZ_EXAMPLES", "25"))


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
        unit = db.session.get(AdminUnit, "04603")
        site = Site(
            name="fuzz site",
            kind="village",
            geom=point(104.92, 21.72),
            admin_unit_code=unit.code,
            province_code=unit.province_code,
        )
        db.session.add_all([admin, member, site])
        db.session.flush()
        token_row, admin_token = issue_token(db.session, admin, "fuzz", ttl_days=None)
        _, member_token = issue_token(db.session, member, "fuzz", ttl_days=None)
        db.session.commit()
        app.config["FUZZ_ADMIN"] = (admin.id, token_row.id, admin_token)
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


def keep_the_admin(app) -> None:
    """Generated requests may disable, demote or revoke the fuzzing admin; put them back before each case."""
    user_id, token_id, _ = app.config["FUZZ_ADMIN"]
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(active=True, role="admin", team_id=None))
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


def documented_operations() -> list[str]:
    """``METHOD /path`` of every operation in the OpenAPI document, read from an app without a database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "SECRET_KEY": "fuzz", "STARTUP_CHECK": False})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    methods = ("get", "put", "post", "delete", "patch")
    return [f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in methods if method in item]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("label", documented_operations())
def test_api_fuzz(label, mode, fuzz_app, fuzz_schema):
    """No generated request gets a 500; responses match the document; errors are problem documents."""
    operation = fuzz_schema.find_operation_by_label(label)
    # schemathesis' WSGI transport asks for gzip (requests' default headers) but reads the body as sent: ask for
    # plain bodies here; tests/server/test_compression.py covers the compressed ones.
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_ADMIN'][2]}", "Accept-Encoding": "identity"}

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
        keep_the_admin(fuzz_app)
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance, errors_are_problem_documents]
        )

    fuzz()
