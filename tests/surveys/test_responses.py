"""Answers become field records through the ingest path: a broken printer on the service-centre checklist is an
equipment check and a ticket, whether answered on its own or through /api/v1/sync; retries store nothing twice."""

import uuid

from sqlalchemy import func, select

from server.models import ConnectivityReading, EquipmentCheck, Finding, Ticket, Visit
from surveys.models import SurveyResponse
from tests.helpers import assert_problem
from tests.records_factory import visit
from tests.surveys.answers import CHECKLIST, VILLAGE, response

WORKING = {**CHECKLIST, "printer": "working", "printer_notes": None, "problem": None}
WORKING = {name: value for name, value in WORKING.items() if value is not None and not name.startswith("problem_")}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def submit(client, survey, headers, body):
    return client.post(f"/api/v1/surveys/{survey.id}/versions/1/responses", json=body, headers=headers)


def test_broken_printer_becomes_an_equipment_check_and_a_ticket(client, db, builtin, member, site):
    """printer: broken -> an equipment check (printer, broken, the notes) at the site, and an equipment ticket."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    reply = submit(
        client, survey, headers, response({**WORKING, "printer": "broken", "printer_notes": "jammed"}, site.id)
    )
    assert reply.status_code == 201, reply.get_json()
    stored = reply.get_json()
    printer_ids = [r["id"] for r in stored["records"] if r["question"] == "printer"]
    assert len(printer_ids) == 1
    check = db.session.get(EquipmentCheck, uuid.UUID(printer_ids[0]))
    assert (check.asset_kind, check.condition, check.notes, check.site_id) == ("printer", "broken", "jammed", site.id)
    assert check.visit_id == uuid.UUID(stored["visit_id"])
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.category == "equipment")))
    assert len(tickets) == 1
    assert tickets[0].title.startswith("Máy in hỏng") and tickets[0].site_id == site.id


def test_working_equipment_is_recorded_without_a_ticket(client, db, builtin, member, site):
    """Working assets are still equipment checks (the inventory), but open no ticket; not_applicable makes none."""
    _, headers = member
    reply = submit(client, builtin["commune_service_centre_checklist"], headers, response(WORKING, site.id))
    assert reply.status_code == 201, reply.get_json()
    kinds = sorted(db.session.scalars(select(EquipmentCheck.asset_kind)))
    assert kinds == ["computer", "power_backup", "printer", "scanner"]
    assert count(db, Ticket) == 0


def test_broken_printer_through_sync_and_its_retry(client, db, builtin, member, site):
    """A sync batch with a visit and the checklist answered for it: both created, one ticket; the same batch again
    is all duplicates and opens nothing."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    the_visit = visit(site_id=site.id)
    answer = {
        "type": "survey_response",
        "survey_id": survey.id,
        "version": 1,
        "visit_id": the_visit["id"],
        **response({**WORKING, "printer": "broken"}, site.id),
    }
    batch = {"device_id": "phone-7f3a", "records": [answer, the_visit]}
    body = client.post("/api/v1/sync", json=batch, headers=headers).get_json()
    assert [r["status"] for r in body["results"]] == ["created", "created"], body
    assert count(db, Ticket) == 1
    stored = db.session.get(SurveyResponse, uuid.UUID(answer["id"]))
    assert str(stored.visit_id) == the_visit["id"] and stored.device_id == "phone-7f3a"
    assert count(db, Visit) == 1  # the phone's visit; none made for the response
    checks = count(db, EquipmentCheck)
    again = client.post("/api/v1/sync", json=batch, headers=headers).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert (count(db, Ticket), count(db, EquipmentCheck), count(db, SurveyResponse)) == (1, checks, 1)


def test_sync_rejects_bad_answers_per_question_and_keeps_the_rest(client, db, builtin, member, site):
    """One invalid response is rejected with errors under answers; the other records of the batch are stored."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    bad = {"type": "survey_response", "survey_id": survey.id, "version": 1, **response({**WORKING, "printer": "?"})}
    unknown = {"type": "survey_response", "survey_id": survey.id, "version": 9, **response(WORKING)}
    body = client.post("/api/v1/sync", json={"records": [bad, unknown, visit()]}, headers=headers).get_json()
    first, second, third = body["results"]
    assert first["status"] == "rejected" and set(first["errors"]["answers"]) == {"printer"}
    assert second["status"] == "rejected" and "version" in second["errors"]
    assert third["status"] == "created"
    assert count(db, SurveyResponse) == 0


def test_retrying_a_single_response_returns_the_stored_one(client, db, builtin, member, site):
    """The same response id again: 200 with the stored response; no second copy, no second record."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    body = response({**WORKING, "printer": "broken"}, site.id)
    assert submit(client, survey, headers, body).status_code == 201
    checks = count(db, EquipmentCheck)
    again = submit(client, survey, headers, body)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert (count(db, SurveyResponse), count(db, EquipmentCheck), count(db, Ticket)) == (1, checks, 1)


def test_a_response_without_visit_gets_one(client, db, builtin, member, site):
    """Without visit_id a visit is recorded for the response (placed and counted like any visit)."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    stored = submit(client, survey, headers, response(WORKING, site.id)).get_json()
    made = db.session.get(Visit, uuid.UUID(stored["visit_id"]))
    assert made.site_id == site.id and made.purpose.startswith("Survey: Bảng kiểm Trung tâm phục vụ hành chính công xã")


def test_site_alone_places_the_response(client, builtin, member, site):
    """No position: the site's point is used."""
    _, headers = member
    body = response(WORKING, site.id)
    del body["lat"], body["lon"]
    stored = submit(client, builtin["commune_service_centre_checklist"], headers, body).get_json()
    assert (round(stored["lat"], 5), round(stored["lon"], 5), stored["admin_unit_code"]) == (21.72, 104.92, "04603")


def test_a_response_needs_a_place_and_a_known_visit(client, builtin, member):
    """Neither position, site nor visit: 422 on lat; an unknown visit: 422 on visit_id."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    body = response(WORKING)
    del body["lat"], body["lon"]
    assert "lat" in assert_problem(submit(client, survey, headers, body), 422)["errors"]
    body = response(WORKING, visit_id=str(uuid.uuid4()))
    assert "visit_id" in assert_problem(submit(client, survey, headers, body), 422)["errors"]


def test_outside_the_jurisdiction_is_forbidden(client, db, builtin, make_user, site):
    """A team working in another province cannot answer for a place in Lao Cai: 403, nothing stored."""
    _, headers = make_user("field_member", province="01")
    reply = submit(client, builtin["commune_service_centre_checklist"], headers, response(WORKING))
    assert_problem(reply, 403)
    assert (count(db, SurveyResponse), count(db, Visit)) == (0, 0)


def test_no_signal_becomes_a_dead_spot_reading_at_its_point(client, db, builtin, member, site):
    """Each village reading makes a connectivity reading at its own point; 'No signal' is a dead spot."""
    _, headers = member
    reply = submit(client, builtin["village_connectivity_survey"], headers, response(VILLAGE, site.id))
    assert reply.status_code == 201, reply.get_json()
    readings = {r.network: r for r in db.session.scalars(select(ConnectivityReading))}
    assert set(readings) == {"none", "4g"}
    assert readings["none"].dead_spot and not readings["4g"].dead_spot
    assert (round(readings["none"].lat, 3), round(readings["none"].lon, 3)) == (21.721, 104.921)
    assert (readings["4g"].operator, readings["4g"].operator_code, readings["4g"].signal_dbm) == (
        "MobiFone",
        "452-01",
        -95,
    )


def test_problem_with_category_becomes_a_finding_and_a_ticket(client, db, builtin, member, site):
    """A free-text problem with its category and severity is a finding of that category, which opens a ticket."""
    _, headers = member
    answers = {
        **WORKING,
        "problem": "Portal login fails for new staff",
        "problem_category": "software",
        "problem_severity": "high",
        "problem_beyond_local": True,
    }
    assert (
        submit(client, builtin["commune_service_centre_checklist"], headers, response(answers, site.id)).status_code
        == 201
    )
    finding = db.session.scalar(select(Finding))
    assert (finding.category, finding.severity, finding.beyond_local_authority) == ("software", "high", True)
    assert finding.description == "Portal login fails for new staff"
    ticket = db.session.scalar(select(Ticket))
    assert ticket.category == "software" and ticket.owning_level == "province"


def test_responses_are_listed_and_read_within_the_jurisdiction(client, builtin, member, make_user, site):
    """Listing and detail show responses of one's own area only."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    stored = submit(client, survey, headers, response(WORKING, site.id)).get_json()
    listed = client.get(f"/api/v1/surveys/{survey.id}/responses", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [stored["id"]]
    assert (
        client.get(f"/api/v1/survey-responses/{stored['id']}", headers=headers).get_json()["answers"]["printer"]
        == "working"
    )
    _, elsewhere = make_user("field_member", province="01")
    assert client.get(f"/api/v1/surveys/{survey.id}/responses", headers=elsewhere).get_json()["items"] == []
    assert_problem(client.get(f"/api/v1/survey-responses/{stored['id']}", headers=elsewhere), 404)
