"""The surveys API: who may create surveys and versions, immutable versions, the phones' changes feed."""

import copy

from sqlalchemy import func, select

from server.demo import load_demo as load_core_demo
from surveys import load_demo
from surveys.cli import surveys_cli
from surveys.demo import DEMO_DEVICE
from surveys.models import SurveyResponse
from tests.helpers import assert_problem

DEFINITION = {
    "title": "Library check",
    "questions": [
        {"name": "open", "type": "boolean", "label": "Open today?", "required": True},
        {"name": "books", "type": "integer", "label": "Books", "constraint": ". >= 0"},
    ],
}


def test_coordinators_create_surveys_and_field_members_cannot(client, make_user):
    _, member = make_user("field_member")
    assert_problem(
        client.post("/api/v1/surveys", json={"code": "library", "definition": DEFINITION}, headers=member), 403
    )
    _, coordinator = make_user("coordinator")
    reply = client.post("/api/v1/surveys", json={"code": "library", "definition": DEFINITION}, headers=coordinator)
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert (body["code"], body["title"], body["latest_version"]) == ("library", "Library check", 1)
    listed = client.get("/api/v1/surveys", headers=member).get_json()["items"]
    assert [s["code"] for s in listed] == ["library"]


def test_a_code_is_taken_once(client, make_user):
    _, headers = make_user("admin")
    client.post("/api/v1/surveys", json={"code": "library", "definition": DEFINITION}, headers=headers)
    reply = client.post("/api/v1/surveys", json={"code": "library", "definition": DEFINITION}, headers=headers)
    assert_problem(reply, 409)


def test_an_invalid_definition_is_a_422_naming_the_question(client, make_user):
    _, headers = make_user("admin")
    broken = copy.deepcopy(DEFINITION)
    broken["questions"][1]["constraint"] = "jr:choice-name(., '${books}')"
    reply = client.post("/api/v1/surveys", json={"code": "library", "definition": broken}, headers=headers)
    errors = assert_problem(reply, 422)["errors"]
    assert "jr:choice-name() is not supported" in errors["definition"]["questions"]["books"]["constraint"][0]


def test_new_content_is_a_new_version_and_old_versions_stay(client, make_user):
    """Versions are immutable: changed content is version 2, version 1 keeps its definition; the same content
    again is answered with the latest version (200) and adds nothing."""
    _, headers = make_user("coordinator")
    survey = client.post("/api/v1/surveys", json={"code": "library", "definition": DEFINITION}, headers=headers)
    survey_id = survey.get_json()["id"]
    changed = copy.deepcopy(DEFINITION)
    changed["questions"].append({"name": "wifi", "type": "boolean", "label": "Wi-Fi?"})
    url = f"/api/v1/surveys/{survey_id}/versions"
    created = client.post(url, json={"definition": changed}, headers=headers)
    assert created.status_code == 201 and created.get_json()["number"] == 2
    same = client.post(url, json={"definition": changed}, headers=headers)
    assert same.status_code == 200 and same.get_json()["number"] == 2
    first = client.get(f"{url}/1", headers=headers).get_json()
    assert first["definition"] == DEFINITION
    assert [v["number"] for v in client.get(url, headers=headers).get_json()["items"]] == [1, 2]


def test_unknown_surveys_and_versions_are_404_even_for_huge_numbers(client, make_user):
    _, headers = make_user("admin")
    for path in (
        "/api/v1/surveys/999",
        "/api/v1/surveys/1/versions/1",
        f"/api/v1/surveys/{2**70}",
        f"/api/v1/surveys/1/versions/{2**64}",
        f"/api/v1/surveys/{2**40}/responses",
    ):
        assert_problem(client.get(path, headers=headers), 404)


def test_phones_get_survey_versions_in_the_changes_feed(client, builtin, make_user):
    """The changes feed carries every version with its definition; a pull with the new cursor has none again."""
    _, headers = make_user("field_member")
    first = client.get("/api/v1/sync/changes", headers=headers).get_json()
    codes = sorted(version["code"] for version in first["surveys"])
    assert codes == sorted(builtin)
    assert all(version["definition"]["questions"] for version in first["surveys"])


def test_openapi_documents_the_survey_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/import",
        "/api/v1/surveys/{survey_id}/versions/{number}",
        "/api/v1/surveys/{survey_id}/versions/{number}/responses",
    } <= set(paths)


def test_cli_loads_the_builtin_surveys_idempotently(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(surveys_cli, ["load-builtin"])
    assert first.exit_code == 0 and first.output.count("created") == 4
    second = runner.invoke(surveys_cli, ["load-builtin"])
    assert second.exit_code == 0 and second.output.count("unchanged") == 4


def test_demo_data_has_synthetic_responses_in_every_review_state(db):
    """The demo adds a few labelled synthetic responses by demo teams, through the real path (they made records):
    approved, has_issues, rejected and received ones, one corrected by its author; loading again changes nothing.
    (One test: a demo load takes long.)"""
    from server.models import Review, ReviewEvent

    load_core_demo(db.session, seed=3)
    responses = list(db.session.scalars(select(SurveyResponse)))
    assert responses and all(response.device_id == DEMO_DEVICE for response in responses)
    assert any(record["type"] == "equipment_check" for response in responses for record in response.records)
    states = {
        response.id: db.session.scalar(select(Review.state).where(Review.record_id == response.id)) or "received"
        for response in responses
    }
    assert {"received", "approved", "has_issues", "rejected"} <= set(states.values())
    corrections = list(db.session.scalars(select(SurveyResponse).where(SurveyResponse.corrects_id.is_not(None))))
    assert len(corrections) == 1
    old = db.session.scalar(select(Review).where(Review.record_id == corrections[0].corrects_id))
    assert old.state == "has_issues" and old.superseded_by == corrections[0].id
    events = db.session.scalar(select(func.count()).select_from(ReviewEvent))
    lines = load_demo(db.session, seed=3)
    assert "already loaded" in lines[0]
    assert db.session.scalar(select(func.count()).select_from(ReviewEvent)) == events
