"""Granting access: a coordinator hands out jurisdictions, teams, roles and tokens only inside their own area.

Every value that widens someone's access (a user's ``jurisdiction_code``, ``team_id`` or ``role``, a team's
``jurisdiction``, a token for another user) is checked by ``server.services.access``. Each refused grant must
leave the database as it was, and the home province's member must still not read Hà Nội's ticket; the
allowed grants show the same requests succeed inside the area, and the admin's grant shows the check of
widened access can fail.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from server.models import ApiToken, Team, User
from tests.helpers import assert_problem


@pytest.fixture
def world(two_provinces, make_team, make_user):
    """The two provinces, plus a second Lào Cai team, a team working in both provinces, and a Lào Cai team
    member whose own jurisdiction (given by an admin) is Hà Nội."""
    world = two_provinces
    world.second_team = make_team(["15"], name="second Lào Cai team")
    world.mixed_team = make_team(["15", "01"], name="team of both provinces")
    world.wide_member, _ = make_user("field_member", team=world.home.team, jurisdiction_code="01")
    return world


@dataclass(frozen=True)
class Grant:
    name: str
    actor: str  # "coordinator", "lead" or "admin"
    method: str
    path: Callable
    body: Callable
    status: int
    field: str | None = None

    def send(self, client, world):
        headers = {
            "coordinator": world.coordinator_headers,
            "lead": world.home.lead_headers,
            "admin": world.admin_headers,
        }[self.actor]
        return client.open(self.path(world), method=self.method, json=self.body(world), headers=headers)


def member_url(world) -> str:
    return f"/api/v1/users/{world.home.member.id}"


def new_user(**fields) -> Callable:
    return lambda world: {"username": "newcomer", "role": "field_member", "team_id": world.home.team.id, **fields}


# fmt: off
REFUSED = [
    Grant("user PATCH jurisdiction: another province", "coordinator", "PATCH", member_url,
          lambda w: {"jurisdiction_code": "01"}, 403),
    Grant("user PATCH jurisdiction: a commune of another province", "coordinator", "PATCH", member_url,
          lambda w: {"jurisdiction_code": "00070"}, 403),
    Grant("user PATCH team: another province's team", "coordinator", "PATCH", member_url,
          lambda w: {"team_id": w.away.team.id}, 422, "team_id"),
    Grant("user PATCH team: a team also working elsewhere", "coordinator", "PATCH", member_url,
          lambda w: {"team_id": w.mixed_team.id}, 403),
    Grant("user PATCH role: coordinator", "coordinator", "PATCH", member_url,
          lambda w: {"role": "coordinator", "jurisdiction_code": "15"}, 403),
    Grant("user PATCH role: admin", "coordinator", "PATCH", member_url, lambda w: {"role": "admin"}, 403),
    Grant("user PATCH of another province's member", "coordinator", "PATCH",
          lambda w: f"/api/v1/users/{w.away.member.id}", lambda w: {"jurisdiction_code": "15"}, 404),
    Grant("user PATCH of a member whose own jurisdiction is elsewhere", "coordinator", "PATCH",
          lambda w: f"/api/v1/users/{w.wide_member.id}", lambda w: {"jurisdiction_code": "15"}, 403),
    Grant("user PATCH by a team lead", "lead", "PATCH", member_url, lambda w: {"role": "team_lead"}, 403),
    Grant("user POST jurisdiction: another province", "coordinator", "POST", lambda w: "/api/v1/users",
          new_user(jurisdiction_code="01"), 403),
    Grant("user POST team: another province's team", "coordinator", "POST", lambda w: "/api/v1/users",
          lambda w: {"username": "newcomer", "role": "field_member", "team_id": w.away.team.id}, 422, "team_id"),
    Grant("user POST team: a team also working elsewhere", "coordinator", "POST", lambda w: "/api/v1/users",
          lambda w: {"username": "newcomer", "role": "field_member", "team_id": w.mixed_team.id}, 403),
    Grant("user POST role: coordinator", "coordinator", "POST", lambda w: "/api/v1/users",
          lambda w: {"username": "newcomer", "role": "coordinator", "jurisdiction_code": "15"}, 403),
    Grant("user POST role: admin", "coordinator", "POST", lambda w: "/api/v1/users",
          lambda w: {"username": "newcomer", "role": "admin"}, 403),
    Grant("team POST jurisdiction: another province", "coordinator", "POST", lambda w: "/api/v1/teams",
          lambda w: {"name": "new team", "kind": "working_group", "jurisdiction": ["01"]}, 403),
    Grant("team POST jurisdiction: partly another province", "coordinator", "POST", lambda w: "/api/v1/teams",
          lambda w: {"name": "new team", "kind": "working_group", "jurisdiction": ["15", "00070"]}, 403),
    Grant("team PATCH jurisdiction: adds another province", "coordinator", "PATCH",
          lambda w: f"/api/v1/teams/{w.home.team.id}", lambda w: {"jurisdiction": ["15", "01"]}, 403),
    Grant("team PATCH of another province's team", "coordinator", "PATCH",
          lambda w: f"/api/v1/teams/{w.away.team.id}", lambda w: {"jurisdiction": ["15"]}, 404),
    Grant("token for another province's member", "coordinator", "POST", lambda w: "/api/v1/tokens",
          lambda w: {"user_id": w.away.member.id}, 404),
    Grant("token for a member whose own jurisdiction is elsewhere", "coordinator", "POST",
          lambda w: "/api/v1/tokens", lambda w: {"user_id": w.wide_member.id}, 404),
    Grant("token for a team mate, by a team lead", "lead", "POST", lambda w: "/api/v1/tokens",
          lambda w: {"user_id": w.home.member.id}, 404),
]

ALLOWED = [
    Grant("user PATCH jurisdiction: a commune of the province", "coordinator", "PATCH", member_url,
          lambda w: {"jurisdiction_code": "04603"}, 200),
    Grant("user PATCH team: another team of the province", "coordinator", "PATCH", member_url,
          lambda w: {"team_id": w.second_team.id}, 200),
    Grant("user PATCH role: team lead", "coordinator", "PATCH", member_url, lambda w: {"role": "team_lead"}, 200),
    Grant("user POST in a team of the province", "coordinator", "POST", lambda w: "/api/v1/users",
          new_user(jurisdiction_code="04603"), 201),
    Grant("team POST in the province", "coordinator", "POST", lambda w: "/api/v1/teams",
          lambda w: {"name": "new team", "kind": "working_group", "jurisdiction": ["15"]}, 201),
    Grant("team PATCH jurisdiction: a commune of the province", "coordinator", "PATCH",
          lambda w: f"/api/v1/teams/{w.home.team.id}", lambda w: {"jurisdiction": ["04603"]}, 200),
    Grant("token for a member of the province", "coordinator", "POST", lambda w: "/api/v1/tokens",
          lambda w: {"user_id": w.home.member.id}, 201),
    Grant("admin: user PATCH jurisdiction anywhere", "admin", "PATCH", member_url,
          lambda w: {"jurisdiction_code": "01"}, 200),
]
# fmt: on


def state(db) -> tuple:
    """Everything a grant could change: users' placement and roles, teams and their units, tokens."""
    users = db.session.execute(
        select(User.id, User.username, User.role, User.team_id, User.jurisdiction_code, User.active).order_by(User.id)
    ).all()
    teams = [(team.id, team.name, tuple(team.jurisdiction_codes)) for team in db.session.scalars(select(Team))]
    tokens = db.session.execute(select(ApiToken.id, ApiToken.user_id, ApiToken.revoked_at).order_by(ApiToken.id)).all()
    db.session.expire_all()
    return users, sorted(teams), tokens


def reads_away_ticket(client, world) -> bool:
    """Whether Lào Cai's field member can read Hà Nội's ticket, alone or in their queue."""
    ticket_id = world.away.ticket.id
    single = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.home.member_headers)
    queue = client.get("/api/v1/tickets?limit=200", headers=world.home.member_headers).get_json()["items"]
    assert (single.status_code == 200) == any(item["id"] == ticket_id for item in queue)
    return single.status_code == 200


class TestGrants:
    @pytest.mark.parametrize("grant", REFUSED, ids=lambda grant: grant.name)
    def test_a_grant_outside_the_area_is_refused_and_changes_nothing(self, client, db, world, grant):
        """Refused with the documented status; nothing stored; the member's access did not widen."""
        before = state(db)
        problem = assert_problem(grant.send(client, world), grant.status)
        if grant.field:
            assert problem["errors"] == {grant.field: ["No such team in your area."]}
        assert state(db) == before
        assert not reads_away_ticket(client, world)

    @pytest.mark.parametrize("grant", ALLOWED, ids=lambda grant: grant.name)
    def test_the_same_grant_inside_the_area_works(self, client, db, world, grant):
        """Positive control: the request shape is right, only the area decides."""
        before = state(db)
        response = grant.send(client, world)
        assert response.status_code == grant.status, response.get_data(as_text=True)
        assert state(db) != before

    def test_widened_access_is_seen_by_these_tests(self, client, world):
        """An admin may give Hà Nội to the member, who then reads its ticket: the check above can fail."""
        assert not reads_away_ticket(client, world)
        body = {"jurisdiction_code": "01"}
        assert client.patch(member_url(world), json=body, headers=world.admin_headers).status_code == 200
        assert reads_away_ticket(client, world)

    def test_a_team_of_another_province_is_answered_like_a_missing_one(self, client, world):
        """The refusal for another province's team equals the one for a team id that does not exist."""
        answers = [
            client.patch(member_url(world), json={"team_id": team_id}, headers=world.coordinator_headers).get_json()
            for team_id in (world.away.team.id, 2_000_000_000)
        ]
        assert answers[0] == answers[1]
