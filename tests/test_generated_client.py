"""A client generated from the OpenAPI document (openapi-python-client, as an app builder would make one) syncs
records of every kind with its typed models: a mistake in the document (a field missing or mistyped, the records'
``oneOf`` or discriminator wrong, a response that does not parse) fails here."""

import importlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from surveys.models import Survey
from surveys.services import load_builtin
from tests.surveys.answers import CHECKLIST, response

GENERATOR = shutil.which(
    "openapi-python-client", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
)
if GENERATOR is None:
    pytest.skip("generated-client test: pip install openapi-python-client (test extra)", allow_module_level=True)
httpx = pytest.importorskip("httpx")

PACKAGE = "fieldops_generated_client"
LAT, LON = 21.72, 104.92  # commune 04603 (Lao Cai, 15)


@pytest.fixture(scope="module")
def generated(app, tmp_path_factory):
    """The client package generated from the app's document, imported."""
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_bytes(app.test_client().get("/api/v1/openapi.json").get_data())
    config = folder / "config.yml"
    config.write_text("post_hooks: []\n")
    result = subprocess.run(
        [GENERATOR, "generate", "--path", str(document), "--meta", "none", "--config", str(config),
         "--output-path", str(folder / PACKAGE)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def moment(minutes_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes_ago)


def test_a_generated_client_syncs_records_of_every_kind(generated, app, db, make_user, make_site):
    models = importlib.import_module(f"{PACKAGE}.models")
    sync = importlib.import_module(f"{PACKAGE}.api.sync.post_api_v1_sync")
    site = make_site(commune="04603", lat=LAT, lon=LON, kind="commune_service_centre")
    load_builtin(db.session)
    db.session.flush()
    survey = db.session.scalar(select(Survey).where(Survey.code == "commune_service_centre_checklist"))
    _, headers = make_user("field_member", province="15")
    token = headers["Authorization"].removeprefix("Bearer ")
    client = generated.AuthenticatedClient(
        base_url="http://localhost", token=token, httpx_args={"transport": httpx.WSGITransport(app=app)}
    )
    visit_id = uuid.uuid4()
    place = {"lat": LAT, "lon": LON}
    working = {**CHECKLIST, "printer": "working", "printer_notes": None, "problem": None}
    working = {name: value for name, value in working.items() if value is not None and not name.startswith("problem_")}
    answers = response(working, site.id)["answers"]
    site_id = site.id
    sent = [
        {"type": "visit", "id": visit_id, "site_id": site_id, "purpose": "checklist"},
        {"type": "equipment_check", "id": uuid.uuid4(), "site_id": site_id, "asset_kind": "printer",
         "condition": "broken", "notes": "jammed"},
        {"type": "connectivity_reading", "id": uuid.uuid4(), "network": "4g", "operator_code": "452-04",
         "signal_dbm": -97, "down_mbps": 3.5},
        {"type": "assistance_log", "id": uuid.uuid4(), "service": "digital_id", "citizens_helped": 5,
         "language_support": 2},
        {"type": "finding", "id": uuid.uuid4(), "category": "software", "severity": "high",
         "description": "portal times out", "beyond_local_authority": False},
        {"type": "survey_response", "id": uuid.uuid4(), "survey_id": survey.id, "version": 1, "visit_id": visit_id,
         "site_id": site_id, "answers": answers},
    ]  # fmt: skip
    # The typed model of each kind, chosen by the discriminator as the generated client does when it reads.
    records = []
    for minutes, fields in enumerate(sent):
        wire = {**fields, **place, "observed_at": moment(30 - minutes).isoformat()}
        wire = {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in wire.items()}
        model = getattr(models, f"Sync{fields['type'].title().replace('_', '')}")
        records.append(model.from_dict(wire))
    request = models.SyncRequest.from_dict({"records": [record.to_dict() for record in records]})
    assert [type(record).__name__ for record in request.records] == [type(record).__name__ for record in records]
    answer = sync.sync_detailed(client=client, body=request)
    assert answer.status_code == 200, answer.content
    parsed = answer.parsed
    assert isinstance(parsed, models.SyncResponse), answer.content
    assert (parsed.created, parsed.duplicate, parsed.rejected) == (6, 0, 0), answer.content
    assert [result.status for result in parsed.results] == ["created"] * 6
    again = sync.sync_detailed(client=client, body=request).parsed
    assert (again.created, again.duplicate) == (0, 6)
