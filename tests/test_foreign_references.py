"""Foreign keys a client sends must point inside the caller's area, and refusals say nothing about other areas.

Lào Cai's people send, on every endpoint that takes one, a reference to Lào Cai's thing (it works), to Hà Nội's
(refused), and to one that does not exist (refused in exactly the same words: nothing leaks). A refused request
stores nothing. The rule lives in ``server.services.access``.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from server.auth import scope_for
from server.models import RECORD_MODELS, Ticket, TicketEvent
from server.services import tickets
from surveys.models import SurveyResponse
from tests.helpers import assert_problem
from tests.records_factory import BUILDERS, equipment_check, finding, observed, reading, without_type

MISSING_ID = 2_000_000_000
MISSING_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")
SURVEY = {"title": "Library check", "questions": [{"name": "open", "type": "boolean", "label": "Open?"}]}
KIND_PATHS = {
    "visit": "visits",
    "equipment_check": "equipment-checks",
    "connectivity_reading": "connectivity-readings",
    "assistance_log": "assistance-logs",
    "finding": "findings",
}


@pytest.fixture
def world(client, db, two_provinces):
    """The two provinces, a survey, and Lào Cai's ticket resolved by its lead (so it can be verified)."""
    world = two_provinces
    created = client.post(
        "/api/v1/surveys", json={"code": "library", "definition": SURVEY}, headers=world.admin_headers
    )
    world.survey_id = created.get_json()["id"]
    return world


def referenced(world, side: str, thing: str):
    """The id of Lào Cai's (home) or Hà Nội's (away) thing, or of one that does not exist (missing)."""
    if side == "missing":
        return str(MISSING_UUID) if thing == "visit" else MISSING_ID
    province = getattr(world, side)
    return {
        "site": province.site.id,
        "visit": province.visit_id,
        "team": province.team.id,
        "user": province.member.id,
    }[thing]


def resolve_home_ticket(db, world) -> None:
    tickets.transition(db.session, world.home.lead, world.home.ticket, "start")
    tickets.transition(db.session, world.home.lead, world.home.ticket, "resolve", comment="Replaced the router.")


def ticket_state(db, world) -> tuple:
    ticket = db.session.get(Ticket, world.home.ticket.id)
    db.session.refresh(ticket)
    events = db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    return ticket.status, ticket.version, ticket.team_id, ticket.assignee_id, ticket.verification_evidence, events


def count(model) -> Callable:
    return lambda db, world: db.session.scalar(select(func.count()).select_from(model))


@dataclass(frozen=True)
class Reference:
    """One foreign key on one endpoint: who sends it, the request, the field that answers, what it stores."""

    name: str
    thing: str  # site, visit, team, user
    field: str
    request: Callable  # (db, world, value) -> (method, url, json)
    stored: Callable  # (db, world) -> what the request would change
    caller: str = "member"  # member, lead or coordinator of Lào Cai
    sync: bool = False  # answered per record inside a 200
    message: str | None = None  # the field's first message; default "No such <thing> in your area."
    prepare: Callable | None = None  # (db, world): brings the world to where the request makes sense

    def send(self, client, db, world, side: str):
        headers = {
            "member": world.home.member_headers,
            "lead": world.home.lead_headers,
            "coordinator": world.coordinator_headers,
        }[self.caller]
        method, url, body = self.request(db, world, referenced(world, side, self.thing))
        return client.open(url, method=method, json=body, headers=headers)


def record_post(kind: str, builder) -> Reference:
    return Reference(
        f"POST /api/v1/{KIND_PATHS[kind]} site_id",
        "site",
        "site_id",
        lambda db, world, value: ("POST", f"/api/v1/{KIND_PATHS[kind]}", without_type(builder(site_id=value))),
        count(RECORD_MODELS[kind]),
    )


def transition(action: str, **fields) -> Callable:
    def request(db, world, value):
        ticket = world.home.ticket
        body = {"action": action, "version": ticket.version}
        body.update({name: make(value) for name, make in fields.items()})
        return "POST", f"/api/v1/tickets/{ticket.id}/transitions", body

    return request


def survey_response(**fields) -> Callable:
    def request(db, world, value):
        body = {"id": str(uuid.uuid4()), "observed_at": observed(), "answers": {"open": True}}
        body.update({name: value for name in fields})
        return "POST", f"/api/v1/surveys/{world.survey_id}/versions/1/responses", body

    return request


def synced_survey_response(db, world, value):
    record = {
        "type": "survey_response",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "survey_id": world.survey_id,
        "version": 1,
        "visit_id": value,
        "answers": {"open": True},
    }
    return "POST", "/api/v1/sync", {"device_id": "phone-1", "records": [record]}


def synced(builder, **fields) -> Callable:
    def request(db, world, value):
        record = builder(**{name: value for name in fields})
        return "POST", "/api/v1/sync", {"device_id": "phone-1", "records": [record]}

    return request


REFERENCES = [
    *[record_post(builder().get("type"), builder) for builder in BUILDERS],
    Reference(
        "POST /api/v1/equipment-checks visit_id",
        "visit",
        "visit_id",
        lambda db, world, value: ("POST", "/api/v1/equipment-checks", without_type(equipment_check(visit_id=value))),
        count(RECORD_MODELS["equipment_check"]),
    ),
    Reference(
        "POST /api/v1/sync site_id",
        "site",
        "site_id",
        synced(reading, site_id=True),
        count(RECORD_MODELS["connectivity_reading"]),
        sync=True,
    ),
    Reference(
        "POST /api/v1/sync visit_id",
        "visit",
        "visit_id",
        synced(finding, visit_id=True),
        count(RECORD_MODELS["finding"]),
        sync=True,
    ),
    Reference(
        "POST /api/v1/sync survey_response visit_id",
        "visit",
        "visit_id",
        synced_survey_response,
        count(SurveyResponse),
        sync=True,
    ),
    Reference(
        "POST /api/v1/tickets site_id",
        "site",
        "site_id",
        lambda db, world, value: (
            "POST",
            "/api/v1/tickets",
            {"title": "Printer gone", "category": "equipment", "admin_unit_code": "04603", "site_id": value},
        ),
        count(Ticket),
        caller="lead",
    ),
    Reference(
        "POST /api/v1/tickets/{id}/transitions assign team_id",
        "team",
        "team_id",
        transition("assign", team_id=lambda value: value),
        ticket_state,
        caller="coordinator",
    ),
    Reference(
        "POST /api/v1/tickets/{id}/transitions assign assignee_id",
        "user",
        "assignee_id",
        transition("assign", assignee_id=lambda value: value),
        ticket_state,
        caller="coordinator",
    ),
    Reference(
        "POST /api/v1/tickets/{id}/transitions verify evidence",
        "visit",
        "evidence",
        transition("verify", evidence=lambda value: {"kind": "visit", "id": value}),
        ticket_state,
        caller="coordinator",
        message="No such record in your area.",
        prepare=resolve_home_ticket,
    ),
    Reference(
        "POST /api/v1/surveys/{id}/versions/{n}/responses visit_id",
        "visit",
        "visit_id",
        survey_response(visit_id=True),
        count(SurveyResponse),
    ),
    Reference(
        "POST /api/v1/surveys/{id}/versions/{n}/responses site_id",
        "site",
        "site_id",
        survey_response(site_id=True),
        count(SurveyResponse),
    ),
]


def outcome(response, reference: Reference) -> tuple[int, dict | None]:
    """(status, field errors) of the request, or of its one record for the sync."""
    body = response.get_json()
    if reference.sync:
        assert response.status_code == 200, body
        [result] = body["results"]
        return (201 if result["status"] == "created" else 422), result.get("errors")
    return response.status_code, body.get("errors") if response.status_code >= 400 else None


class TestForeignReferences:
    @pytest.mark.parametrize("reference", REFERENCES, ids=lambda reference: reference.name)
    def test_a_reference_to_another_province_is_refused_like_a_missing_one(self, client, db, world, reference):
        """422 with "No such ... in your area." on the field, the same answer as a missing id, nothing stored."""
        if reference.prepare:
            reference.prepare(db, world)
        before = reference.stored(db, world)
        answers = {}
        for side in ("away", "missing"):
            status, errors = outcome(reference.send(client, db, world, side), reference)
            assert status == 422, (side, errors)
            assert errors[reference.field][0] == (reference.message or f"No such {reference.thing} in your area.")
            answers[side] = errors
        assert answers["away"] == answers["missing"]
        assert reference.stored(db, world) == before

    @pytest.mark.parametrize("reference", REFERENCES, ids=lambda reference: reference.name)
    def test_a_reference_inside_the_province_works(self, client, db, world, reference):
        """Positive control: the same request naming Lào Cai's own thing is stored."""
        if reference.prepare:
            reference.prepare(db, world)
        before = reference.stored(db, world)
        status, errors = outcome(reference.send(client, db, world, "home"), reference)
        assert status in (200, 201), errors
        assert reference.stored(db, world) != before

    @pytest.mark.parametrize("via_sync", [False, True], ids=["POST /api/v1/findings", "POST /api/v1/sync"])
    def test_a_record_names_only_its_authors_team(self, client, db, world, via_sync):
        """``team_id`` of another team is 403 whether that team exists or not; the own team works."""
        stored = count(RECORD_MODELS["finding"])
        before = stored(db, world)
        answers = []
        for team_id in (world.away.team.id, MISSING_ID, world.home.team.id):
            record = finding(team_id=team_id)
            if via_sync:
                body = {"device_id": "phone-1", "records": [record]}
                [result] = client.post("/api/v1/sync", json=body, headers=world.home.member_headers).json["results"]
                answers.append((result["status"], result.get("errors")))
            else:
                response = client.post("/api/v1/findings", json=without_type(record), headers=world.home.member_headers)
                answers.append((response.status_code, response.json.get("errors")))
        refused = ("rejected" if via_sync else 403, {"team_id": ["You can record only as a member of your own team."]})
        assert answers[:2] == [refused, refused]
        assert answers[2][0] == ("created" if via_sync else 201)
        assert stored(db, world) == before + 1

    def test_a_ticket_created_with_a_foreign_site_is_not_on_the_map_there(self, client, db, world):
        """The reported case: a Lào Cai lead's ticket never points at Hà Nội's site."""
        body = {"title": "Printer gone", "category": "equipment", "admin_unit_code": "04603"}
        body["site_id"] = world.away.site.id
        assert_problem(client.post("/api/v1/tickets", json=body, headers=world.home.lead_headers), 422)
        assert db.session.scalar(select(Ticket.id).where(Ticket.site_id == world.away.site.id)) is None


def not_found_urls(world) -> dict[str, tuple[str, str]]:
    """For each read endpoint: (URL of Hà Nội's thing, URL of a thing that does not exist)."""
    away = world.away
    urls = {
        "attachment": (f"/api/v1/attachments/{away.attachment_id}", f"/api/v1/attachments/{MISSING_UUID}"),
        "site": (f"/api/v1/sites/{away.site.id}", f"/api/v1/sites/{MISSING_ID}"),
        "team": (f"/api/v1/teams/{away.team.id}", f"/api/v1/teams/{MISSING_ID}"),
        "user": (f"/api/v1/users/{away.member.id}", f"/api/v1/users/{MISSING_ID}"),
        "ticket": (f"/api/v1/tickets/{away.ticket.id}", f"/api/v1/tickets/{MISSING_ID}"),
        "ticket attachments": (
            f"/api/v1/tickets/{away.ticket.id}/attachments",
            f"/api/v1/tickets/{MISSING_ID}/attachments",
        ),
        "visit": (f"/api/v1/visits/{away.visit_id}", f"/api/v1/visits/{MISSING_UUID}"),
        "visit attachments": (
            f"/api/v1/visits/{away.visit_id}/attachments",
            f"/api/v1/visits/{MISSING_UUID}/attachments",
        ),
    }
    return urls


class TestRefusalsSayNothing:
    @pytest.mark.parametrize(
        "name", ["attachment", "site", "team", "user", "ticket", "ticket attachments", "visit", "visit attachments"]
    )
    def test_another_provinces_thing_is_a_404_like_a_missing_one(self, client, world, name):
        """The same 404 for Hà Nội's thing and a missing one, apart from the id the caller sent itself."""
        away_url, missing_url = not_found_urls(world)[name]
        details = []
        for url, requested in ((away_url, away_url.split("/")[4]), (missing_url, missing_url.split("/")[4])):
            problem = assert_problem(client.get(url, headers=world.coordinator_headers), 404)
            details.append((problem["title"], problem["detail"].replace(requested, "{id}")))
        assert details[0] == details[1]

    def test_an_attachment_refusal_names_no_record(self, client, world):
        """The reported leak: the 404 for another province's photo named the visit it belongs to."""
        response = client.get(f"/api/v1/attachments/{world.away.attachment_id}", headers=world.coordinator_headers)
        text = response.get_data(as_text=True)
        assert_problem(response, 404)
        assert str(world.away.visit_id) not in text and "visit" not in text

    def test_another_persons_token_is_a_404_like_a_missing_one(self, client, db, world):
        """Revoking a token of someone you do not manage answers as if there were no such token."""
        from server.models import ApiToken

        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.away.member.id))
        answers = [
            assert_problem(client.delete(f"/api/v1/tokens/{value}", headers=world.coordinator_headers), 404)
            for value in (token_id, MISSING_ID)
        ]
        assert answers[0] == answers[1]


def test_scope_of_the_coordinator_is_lao_cai(world):
    """The premise of the tests above: the coordinator answers for Lào Cai only."""
    assert scope_for(world.coordinator).provinces == frozenset({"15"})
