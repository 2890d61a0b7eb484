"""Review of what comes back: coordinators and team leads of the area approve, send back with issues or reject
survey responses and field records; the version guards against a stale review; the author's team hears a
has_issues comment through /sync/changes and sends a correction, a new response linked to the old."""

import uuid

from sqlalchemy import select

from server.models import EquipmentCheck, Review, ReviewEvent
from server.models.notifications import NotificationEvent
from server.services.reviews import counted
from surveys.models import SurveyResponse
from tests.helpers import assert_problem
from tests.records_factory import equipment_check, reading
from tests.surveys.answers import CHECKLIST, response


def send(client, survey, headers, answers, site_id, **extra):
    body = {**response(answers, site_id), **extra}
    reply = client.post(f"/api/v1/surveys/{survey.id}/versions/1/responses", json=body, headers=headers)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def review(client, headers, response_id, state, version, comment="", path="survey-responses"):
    return client.post(
        f"/api/v1/{path}/{response_id}/review",
        json={"state": state, "version": version, "comment": comment},
        headers=headers,
    )


def changes(client, headers) -> dict:
    reply = client.get("/api/v1/sync/changes", headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def test_a_coordinator_approves_and_the_records_follow(client, db, builtin, member, site, make_user):
    """Approval moves the response to version 2, leaves an audit event, and the records it made take the state."""
    _, headers = member
    _, coordinator = make_user("coordinator", province="15")
    stored = send(client, builtin["commune_service_centre_checklist"], headers, CHECKLIST, site.id)
    state = client.get(f"/api/v1/survey-responses/{stored['id']}/review", headers=coordinator).get_json()
    assert (state["state"], state["version"]) == ("received", 1)
    reply = review(client, coordinator, stored["id"], "approved", 1)
    assert reply.status_code == 200, reply.get_json()
    assert (reply.get_json()["state"], reply.get_json()["version"]) == ("approved", 2)
    row = db.session.scalar(select(Review).where(Review.record_id == uuid.UUID(stored["id"])))
    assert [(e.from_state, e.to_state, e.action) for e in row.events] == [("received", "approved", "reviewed")]
    printer = next(r for r in stored["records"] if r["question"] == "printer")
    record_review = db.session.scalar(select(Review).where(Review.record_id == uuid.UUID(printer["id"])))
    assert record_review.state == "approved" and record_review.record_kind == "equipment_check"


def test_a_stale_version_is_a_409_with_the_current_state(client, builtin, member, site, make_user):
    _, headers = member
    _, coordinator = make_user("coordinator", province="15")
    stored = send(client, builtin["commune_service_centre_checklist"], headers, CHECKLIST, site.id)
    assert review(client, coordinator, stored["id"], "approved", 1).status_code == 200
    problem = assert_problem(review(client, coordinator, stored["id"], "rejected", 1, "duplicate"), 409)
    assert problem["current"]["state"] == "approved" and problem["current"]["version"] == 2


def test_who_may_review(client, db, builtin, member, site, make_user):
    """A field member: 403; a coordinator of another province: 404; the team lead of the area: allowed."""
    user, headers = member
    stored = send(client, builtin["commune_service_centre_checklist"], headers, CHECKLIST, site.id)
    assert_problem(review(client, headers, stored["id"], "approved", 1), 403)
    _, elsewhere = make_user("coordinator", province="01")
    assert_problem(review(client, elsewhere, stored["id"], "approved", 1), 404)
    assert_problem(review(client, elsewhere, uuid.uuid4(), "approved", 1), 404)
    _, lead = make_user("team_lead", province="15")
    assert review(client, lead, stored["id"], "rejected", 1, "Sai địa điểm").status_code == 200


def test_has_issues_and_rejected_need_a_comment(client, builtin, member, site, make_user):
    _, headers = member
    _, coordinator = make_user("coordinator", province="15")
    stored = send(client, builtin["commune_service_centre_checklist"], headers, CHECKLIST, site.id)
    problem = assert_problem(review(client, coordinator, stored["id"], "has_issues", 1, "  "), 422)
    assert "comment" in problem["errors"]
    assert_problem(review(client, coordinator, stored["id"], "received", 1), 422)


def test_correction_round_trip_through_the_changes_feed(client, db, builtin, member, site, make_user):
    """has_issues with a comment reaches the author's team (not another team) in /sync/changes; the team sends a
    correction through /sync naming the old response; the old one is kept, superseded, and only the correction
    counts; a second correction of the old one is refused; a retry of the correction stores nothing twice."""
    user, headers = member
    _, coordinator = make_user("coordinator", province="15")
    _, other_team = make_user("field_member", province="15")
    survey = builtin["commune_service_centre_checklist"]
    stored = send(client, survey, headers, CHECKLIST, site.id)
    comment = "Số cán bộ có mặt chưa đúng, kiểm tra lại"
    assert review(client, coordinator, stored["id"], "has_issues", 1, comment).status_code == 200

    feed = changes(client, headers)["reviews"]
    mine = [r for r in feed if r["record_id"] == stored["id"]]
    assert mine and mine[0]["state"] == "has_issues" and mine[0]["comment"] == comment
    told = db.session.scalars(
        select(NotificationEvent).where(
            NotificationEvent.kind == "review_has_issues", NotificationEvent.data["id"].as_string() == stored["id"]
        )
    ).all()
    assert [(event.team_id, event.user_id, event.data["comment"]) for event in told] == [
        (user.team_id, user.id, comment)
    ], "the author and their team are told once"
    assert all(r["record_id"] != stored["id"] for r in changes(client, other_team)["reviews"])

    correction = {
        "type": "survey_response",
        "survey_id": survey.id,
        "version": 1,
        **response({**CHECKLIST, "staff_present": 5}, site.id),
        "corrects": stored["id"],
    }
    for _ in range(2):
        answer = client.post("/api/v1/sync", json={"records": [correction]}, headers=headers).get_json()
    assert answer["results"][0]["status"] == "duplicate"
    new = db.session.get(SurveyResponse, uuid.UUID(correction["id"]))
    assert new.corrects_id == uuid.UUID(stored["id"]) and new.answers["staff_present"] == 5
    assert db.session.get(SurveyResponse, uuid.UUID(stored["id"])).answers["staff_present"] == 6

    old_review = db.session.scalar(select(Review).where(Review.record_id == uuid.UUID(stored["id"])))
    assert old_review.superseded_by == new.id and old_review.state == "has_issues"
    actions = [e.action for e in db.session.scalars(select(ReviewEvent).where(ReviewEvent.review_id == old_review.id))]
    assert actions == ["reviewed", "corrected"]
    feed = {r["record_id"]: r for r in changes(client, headers)["reviews"]}
    assert feed[stored["id"]]["superseded_by"] == correction["id"]

    again = {**correction, "id": str(uuid.uuid4())}
    answer = client.post("/api/v1/sync", json={"records": [again]}, headers=headers).get_json()
    assert answer["results"][0]["status"] == "rejected" and "corrects" in answer["results"][0]["errors"]
    assert_problem(review(client, coordinator, stored["id"], "approved", old_review.version), 409)


def test_a_rejected_field_record_is_kept_but_not_counted(client, db, member, site, make_user):
    """Field records are reviewed the same way; a rejected one stays stored and auditable, outside the counts;
    reviewed_only counts approved ones only."""
    _, headers = member
    _, lead = make_user("team_lead", province="15")
    records = [equipment_check(site_id=site.id, condition="working") for _ in range(2)]
    assert client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()["created"] == 2
    first, second = records[0]["id"], records[1]["id"]
    assert review(client, lead, first, "rejected", 1, "Ảnh không rõ", path="equipment-checks").status_code == 200
    assert review(client, lead, second, "approved", 1, path="equipment-checks").status_code == 200

    def ids(reviewed_only: bool) -> set[str]:
        query = select(EquipmentCheck.id).where(counted(EquipmentCheck, "equipment_check", reviewed_only))
        return {str(value) for value in db.session.scalars(query)}

    assert ids(False) == {second} and ids(True) == {second}
    assert db.session.get(EquipmentCheck, uuid.UUID(first)) is not None
    third = equipment_check(site_id=site.id, condition="broken")
    client.post("/api/v1/sync", json={"records": [third]}, headers=headers)
    assert ids(False) == {second, third["id"]} and ids(True) == {second}


def test_reports_count_reviewed_records_when_asked(client, member, site, make_user):
    """The indicators leave rejected records out; reviewed_only=true counts approved ones only."""
    _, headers = member
    _, coordinator = make_user("coordinator", province="15")
    records = [equipment_check(site_id=site.id, condition="working", asset_label=f"PC {n}") for n in range(3)]
    assert client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()["created"] == 3
    assert review(client, coordinator, records[0]["id"], "approved", 1, path="equipment-checks").status_code == 200
    assert review(client, coordinator, records[1]["id"], "rejected", 1, "x", path="equipment-checks").status_code == 200

    def assets(**args) -> int:
        reply = client.get("/api/v1/reports/indicators", query_string={"commune": "04603", **args}, headers=coordinator)
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()["items"][0]["assets"]

    assert assets() == 2
    assert assets(reviewed_only="true") == 1


def test_rejected_readings_leave_the_rollups_the_indicators_read(client, member, site, make_user):
    """Readings are counted from the daily rollups: rejecting one takes it out of them at once, approving it again
    puts it back, and reviewed_only=true reads the same figures from the approved readings only."""
    _, headers = member
    _, coordinator = make_user("coordinator", province="15")
    readings = [reading(site_id=site.id, network="4g", down_mbps=0.0, signal_dbm=None) for _ in range(3)]
    assert client.post("/api/v1/sync", json={"records": readings}, headers=headers).get_json()["created"] == 3

    def figures(**args) -> tuple[int, int]:
        reply = client.get("/api/v1/reports/indicators", query_string={"commune": "04603", **args}, headers=coordinator)
        assert reply.status_code == 200, reply.get_json()
        row = reply.get_json()["items"][0]
        return row["readings"], row["dead_spot_readings"]

    before = figures()
    first = readings[0]["id"]
    assert (
        review(client, coordinator, first, "rejected", 1, "Đo sai chỗ", path="connectivity-readings").status_code == 200
    )
    assert figures()[0] == before[0] - 1
    assert review(client, coordinator, first, "approved", 2, path="connectivity-readings").status_code == 200
    assert figures() == before
    assert figures(reviewed_only="true")[0] == 1
