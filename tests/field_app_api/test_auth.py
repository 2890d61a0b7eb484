from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from server.auth import issue_token, revoke_token
from server.models import ApiToken
from tests.helpers import assert_problem


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401(client):
    """A request without an Authorization header is refused with a Bearer challenge."""
    response = client.get("/api/v1/me")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_header_is_401(client, make_user):
    """Only `Bearer <token>` is accepted, not Basic credentials or a bare scheme."""
    _, headers = make_user()
    token = headers["Authorization"].split()[1]
    for value in (f"Basic {token}", "Bearer", "Bearer   ", token):
        assert_problem(client.get("/api/v1/me", headers={"Authorization": value}), 401)


def test_unknown_token_is_401(client, make_user):
    """A well-formed token that was never issued is refused."""
    make_user()
    body = assert_problem(client.get("/api/v1/me", headers=bearer("fo_not-a-real-token")), 401)
    assert "not known" in body["detail"]


def test_token_revoked_through_the_api_is_401(client, make_user):
    """DELETE /tokens/{id} revokes the token at once: the next request with it fails."""
    user, headers = make_user()
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    body = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert "revoked" in body["detail"]


def test_token_revoked_by_the_service_is_401(client, db, make_user):
    """server.auth.revoke_token stops a token working; revoking again reports no change."""
    user, _ = make_user()
    row, clear = issue_token(db.session, user, "phone")
    assert client.get("/api/v1/me", headers=bearer(clear)).status_code == 200
    assert revoke_token(db.session, row) is True
    assert revoke_token(db.session, row) is False
    db.session.flush()
    assert_problem(client.get("/api/v1/me", headers=bearer(clear)), 401)


def test_expired_token_is_401(client, db, make_user):
    """A token past its expiry date is refused."""
    user, _ = make_user()
    row, clear = issue_token(db.session, user, "old phone", ttl_days=1)
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.flush()
    body = assert_problem(client.get("/api/v1/me", headers=bearer(clear)), 401)
    assert "expired" in body["detail"]


def test_disabled_user_is_401(client, db, make_user):
    """A valid token of a disabled account no longer works."""
    user, headers = make_user()
    user.active = False
    db.session.flush()
    body = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert "disabled" in body["detail"]


def test_wrong_role_is_403(client, make_user):
    """A field member may read sites but not create them."""
    _, headers = make_user("field_member")
    body = {"name": "Thôn 3", "kind": "village", "lat": 21.72, "lon": 104.91, "admin_unit_code": "04603"}
    assert_problem(client.post("/api/v1/sites", json=body, headers=headers), 403)
    assert client.get("/api/v1/sites", headers=headers).status_code == 200


def test_site_of_another_province_is_hidden(client, make_user, make_site):
    """A user scoped to Lào Cai gets 404 for a Hà Nội site, and 200 for a Lào Cai one."""
    _, headers = make_user("team_lead", province="15")
    ha_noi = make_site(commune="00070", lat=21.03, lon=105.85)
    lao_cai = make_site(commune="04603")
    assert_problem(client.get(f"/api/v1/sites/{ha_noi.id}", headers=headers), 404)
    assert client.get(f"/api/v1/sites/{lao_cai.id}", headers=headers).status_code == 200


def test_creating_a_site_in_another_province_is_403(client, make_user):
    """A Lào Cai team lead cannot create a site in a Hà Nội commune."""
    _, headers = make_user("team_lead", province="15")
    body = {"name": "Phường X", "kind": "other", "lat": 21.03, "lon": 105.85, "admin_unit_code": "00070"}
    assert_problem(client.post("/api/v1/sites", json=body, headers=headers), 403)


def test_lists_return_only_rows_in_scope(client, make_user, make_site, make_team):
    """Site, team, user and token lists leave out what lies outside the caller's jurisdiction."""
    coordinator, headers = make_user("coordinator", province="15")
    inside = make_site(commune="04603")
    make_site(commune="00070", lat=21.03, lon=105.85)
    own_team, far_team = make_team(jurisdiction=["15"]), make_team(jurisdiction=["01"])
    member, _ = make_user(team=own_team)
    stranger, stranger_headers = make_user(team=far_team)

    sites = client.get("/api/v1/sites", headers=headers).get_json()["items"]
    assert [site["id"] for site in sites] == [inside.id]
    teams = client.get("/api/v1/teams", headers=headers).get_json()["items"]
    assert [team["id"] for team in teams] == [own_team.id]
    users = {user["id"] for user in client.get("/api/v1/users", headers=headers).get_json()["items"]}
    assert users == {coordinator.id, member.id}
    tokens = client.get("/api/v1/tokens", headers=stranger_headers).get_json()["items"]
    assert {token["user_id"] for token in tokens} == {stranger.id}


def test_tokens_are_stored_hashed(client, db, make_user):
    """The clear token appears nowhere in the api_tokens table, only its SHA-256 digest."""
    _, headers = make_user()
    response = client.post("/api/v1/tokens", json={"label": "new phone"}, headers=headers)
    clear = response.get_json()["token"]
    rows = db.session.execute(text("SELECT * FROM api_tokens")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert clear not in stored
    assert clear[12:] not in stored
    assert db.session.scalar(select(ApiToken).where(ApiToken.id == response.get_json()["id"])).prefix == clear[:9]


def test_me_returns_role_team_and_scope(client, make_user, make_team):
    """GET /me says who the caller is, their team and the admin units they answer for."""
    team = make_team(jurisdiction=["15", "00070"], name="Tổ công nghệ số")
    user, headers = make_user("team_lead", team=team)
    body = client.get("/api/v1/me", headers=headers).get_json()
    assert body["id"] == user.id and body["role"] == "team_lead"
    assert body["team"]["name"] == "Tổ công nghệ số"
    assert body["scope"] == {"everywhere": False, "provinces": ["15"], "communes": ["00070"]}


def test_admin_scope_is_everywhere(client, make_user):
    """An administrator's scope covers the whole country."""
    _, headers = make_user("admin")
    assert client.get("/api/v1/me", headers=headers).get_json()["scope"]["everywhere"] is True


def test_user_issues_a_token_for_themself(client, make_user):
    """POST /tokens without user_id gives the caller a new working token, shown once."""
    user, headers = make_user()
    response = client.post("/api/v1/tokens", json={"label": "second phone", "ttl_days": 30}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["user_id"] == user.id and body["token"].startswith("fo_")
    assert client.get("/api/v1/me", headers=bearer(body["token"])).get_json()["id"] == user.id
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["items"]
    assert all("token" not in token for token in listed)


def test_coordinator_issues_a_token_for_a_member_in_their_province(client, make_user, make_team):
    """A coordinator can set up a phone for a field member of a team in their province."""
    _, headers = make_user("coordinator", province="15")
    member, _ = make_user(team=make_team(jurisdiction=["15"]))
    response = client.post("/api/v1/tokens", json={"user_id": member.id, "label": "new phone"}, headers=headers)
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["id"] == member.id


def test_coordinator_cannot_issue_a_token_outside_their_area(client, make_user, make_team):
    """A user in another province does not exist for the coordinator: 404, and no token is made."""
    _, headers = make_user("coordinator", province="15")
    stranger, stranger_headers = make_user(team=make_team(jurisdiction=["01"]))
    response = client.post("/api/v1/tokens", json={"user_id": stranger.id}, headers=headers)
    assert_problem(response, 404)
    assert len(client.get("/api/v1/tokens", headers=stranger_headers).get_json()["items"]) == 1


def test_field_member_cannot_revoke_another_users_token(client, make_user, make_team):
    """Revoking someone else's token needs the right to manage them; to anyone else it does not exist."""
    team = make_team()
    _, headers = make_user(team=team)
    _, other_headers = make_user(team=team)
    token_id = client.get("/api/v1/tokens", headers=other_headers).get_json()["items"][0]["id"]
    assert_problem(client.delete(f"/api/v1/tokens/{token_id}", headers=headers), 404)
    assert client.get("/api/v1/me", headers=other_headers).status_code == 200
