import pytest

from tests.helpers import assert_problem


@pytest.fixture
def coordinator(make_user):
    """A coordinator of Lào Cai (province 15)."""
    return make_user("coordinator", province="15")


def test_coordinator_creates_a_team_in_their_province(client, coordinator):
    """A team working in the coordinator's province (or its communes) is created."""
    _, headers = coordinator
    body = {"name": "Tổ công nghệ số Tà Xi Láng", "kind": "community_digital_team", "jurisdiction": ["04603", "15"]}
    response = client.post("/api/v1/teams", json=body, headers=headers)
    assert response.status_code == 201
    team = response.get_json()
    assert team["jurisdiction"] == ["04603", "15"]
    assert client.get(f"/api/v1/teams/{team['id']}", headers=headers).get_json()["name"] == body["name"]


def test_coordinator_cannot_create_a_team_in_another_province(client, coordinator):
    """A Lào Cai coordinator cannot give a team Hà Nội's communes."""
    _, headers = coordinator
    body = {"name": "Tổ công tác Hoàn Kiếm", "kind": "working_group", "jurisdiction": ["00070"]}
    problem = assert_problem(client.post("/api/v1/teams", json=body, headers=headers), 403)
    assert "00070" in problem["detail"]
    names = [team["name"] for team in client.get("/api/v1/teams", headers=headers).get_json()["items"]]
    assert body["name"] not in names


def test_team_with_unknown_unit_is_422(client, coordinator):
    """Jurisdiction codes must exist."""
    _, headers = coordinator
    body = {"name": "Tổ X", "kind": "working_group", "jurisdiction": ["99999"]}
    problem = assert_problem(client.post("/api/v1/teams", json=body, headers=headers), 422)
    assert "jurisdiction" in problem["errors"]


def test_duplicate_team_name_is_409(client, coordinator, make_team):
    """Team names are unique."""
    _, headers = coordinator
    make_team(name="Tổ công tác số 1")
    body = {"name": "Tổ công tác số 1", "kind": "working_group", "jurisdiction": ["15"]}
    assert_problem(client.post("/api/v1/teams", json=body, headers=headers), 409)


def test_team_lead_cannot_create_teams(client, make_user):
    """Creating teams needs a coordinator or admin."""
    _, headers = make_user("team_lead", province="15")
    body = {"name": "Tổ Y", "kind": "working_group", "jurisdiction": ["15"]}
    assert_problem(client.post("/api/v1/teams", json=body, headers=headers), 403)


def test_coordinator_creates_a_field_member(client, coordinator, make_team):
    """A coordinator adds a field member to a team of their province; the user can then be read back."""
    _, headers = coordinator
    team = make_team(jurisdiction=["15"])
    body = {"username": "nguyen.van.a", "role": "field_member", "team_id": team.id, "display_name": "Nguyễn Văn A"}
    response = client.post("/api/v1/users", json=body, headers=headers)
    assert response.status_code == 201
    user = response.get_json()
    assert (user["role"], user["team_id"], user["active"]) == ("field_member", team.id, True)
    assert client.get(f"/api/v1/users/{user['id']}", headers=headers).get_json()["username"] == "nguyen.van.a"


def test_coordinator_cannot_create_an_admin(client, coordinator):
    """Coordinators manage field members and team leads only."""
    _, headers = coordinator
    body = {"username": "boss", "role": "admin"}
    assert_problem(client.post("/api/v1/users", json=body, headers=headers), 403)


def test_coordinator_cannot_add_a_member_to_another_provinces_team(client, coordinator, make_team):
    """A team working in Hà Nội is outside a Lào Cai coordinator's reach: for them it does not exist."""
    _, headers = coordinator
    team = make_team(jurisdiction=["01"])
    body = {"username": "tran.thi.b", "role": "field_member", "team_id": team.id}
    problem = assert_problem(client.post("/api/v1/users", json=body, headers=headers), 422)
    assert problem["errors"] == {"team_id": ["No such team in your area."]}


def test_field_member_needs_a_team(client, coordinator):
    """A field member without a team is refused, naming team_id."""
    _, headers = coordinator
    problem = assert_problem(
        client.post("/api/v1/users", json={"username": "le.c", "role": "field_member"}, headers=headers), 422
    )
    assert "team_id" in problem["errors"]


def test_field_member_sees_only_their_own_team(client, make_user, make_team):
    """A field member lists the users and teams of their own team, not those of other teams."""
    own_team, other_team = make_team(jurisdiction=["15"]), make_team(jurisdiction=["15"])
    me, headers = make_user(team=own_team)
    colleague, _ = make_user(team=own_team)
    stranger, _ = make_user(team=other_team)
    listed = {user["id"] for user in client.get("/api/v1/users", headers=headers).get_json()["items"]}
    assert listed == {me.id, colleague.id}
    assert_problem(client.get(f"/api/v1/users/{stranger.id}", headers=headers), 404)
    teams = [team["id"] for team in client.get("/api/v1/teams", headers=headers).get_json()["items"]]
    assert teams == [own_team.id]
    assert_problem(client.get(f"/api/v1/teams/{other_team.id}", headers=headers), 404)


def test_field_member_cannot_create_users(client, make_user):
    """Creating users needs a coordinator or admin."""
    _, headers = make_user()
    assert_problem(client.post("/api/v1/users", json={"username": "x1", "role": "field_member"}, headers=headers), 403)


def test_coordinator_disables_a_member(client, coordinator, make_user, make_team):
    """PATCH active=false disables the account: its token stops working."""
    _, headers = coordinator
    member, member_headers = make_user(team=make_team(jurisdiction=["15"]))
    response = client.patch(f"/api/v1/users/{member.id}", json={"active": False}, headers=headers)
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert_problem(client.get("/api/v1/me", headers=member_headers), 401)


def test_coordinator_cannot_promote_to_coordinator(client, coordinator, make_user, make_team):
    """A coordinator cannot raise a member to their own rank."""
    _, headers = coordinator
    member, _ = make_user(team=make_team(jurisdiction=["15"]))
    assert_problem(client.patch(f"/api/v1/users/{member.id}", json={"role": "coordinator"}, headers=headers), 403)


@pytest.mark.parametrize("path", ["/api/v1/teams", "/api/v1/users"])
def test_team_and_user_lists_page_by_cursor(client, make_team, make_user, path):
    """Teams (by name) and users (by username) page with `after` / `next_cursor` like every list: each once, in
    the database's order whatever the names' letters (pages compare names as the database sorts them); a cursor
    the server did not make is a 422."""
    _admin, headers = make_user("admin")
    for name in ("Tổ công nghệ số Tà Xi Láng", "Tổ công nghệ số Trạm Tấu", "Ban chỉ đạo xã Bản Lầu"):
        make_user("field_member", team=make_team(name=name))
    whole = client.get(path, query_string={"limit": 1000}, headers=headers).get_json()
    assert whole["next_cursor"] is None and len(whole["items"]) >= 3
    seen, after = [], None
    for _ in range(len(whole["items"]) + 1):
        body = client.get(path, query_string={"limit": 2, **({"after": after} if after else {})}, headers=headers)
        seen += [item["id"] for item in body.get_json()["items"]]
        after = body.get_json()["next_cursor"]
        if after is None:
            break
    assert seen == [item["id"] for item in whole["items"]]
    assert (
        "after" in assert_problem(client.get(path, query_string={"after": "WyJ4Il0"}, headers=headers), 422)["errors"]
    )
