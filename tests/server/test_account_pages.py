"""Account pages: signing in with a password, the lockout, CSRF refusal, managing people within one's area,
the forced password change, the open-redirect guard, and enrolling a phone by QR code."""

import base64
import io
import json
import re

import pytest
import zxingcpp
from limits import parse, storage, strategies
from PIL import Image
from sqlalchemy import func, select

from server.models import AccountEvent, ApiToken, Team, User
from server.security import EXTENSION
from server.services.users import check_password, set_password
from tests.helpers import assert_problem, csrf_token

PASSWORD = "rice terraces at dawn"
FAILED = "Đăng nhập không thành công"  # pages speak Vietnamese unless asked otherwise


@pytest.fixture(autouse=True)
def fresh_limits(app, monkeypatch):
    """A limiter of its own per test (``3 per minute``), so no test spends another's budget of failures."""
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    monkeypatch.setitem(app.extensions, EXTENSION, (limiter, parse("3 per minute")))


@pytest.fixture
def person(db, make_user):
    """A user with a password: ``person(role, ...)`` returns the user."""

    def make(role="field_member", *, temporary=False, **kwargs) -> User:
        user, _ = make_user(role, **kwargs)
        set_password(db.session, None, user, PASSWORD, temporary=temporary)
        return user

    return make


@pytest.fixture
def browser(app, db):
    """Another browser: its own cookies."""
    return lambda: app.test_client()


def sign_in(client, username, password=PASSWORD, next_url=None, address="127.0.0.1"):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def post_form(client, path, data, form_page=None):
    """POST like the browser: the form's CSRF token from the page that shows it."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page or path)})


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Signing in ------------------------------------------------------------------------------------------


def test_sign_in_with_a_password_then_sign_out(client, person):
    """The form signs the person in and sends them where they were going; signing out ends the session."""
    user = person()
    assert client.get("/queues/admin-units/15").headers["Location"].startswith("/login?next=")
    signed_in = sign_in(client, user.username, next_url="/account")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200 and user.username in page.get_data(as_text=True)
    assert post_form(client, "/logout", {}, form_page="/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_failed_sign_ins_say_the_same_whatever_was_wrong(client, person, db):
    """Wrong password, unknown user, disabled user, no password at all: the same 200 page with the form."""
    user, disabled = person(), person()
    disabled.active = False
    nopass = User(username="nopass", role="admin")
    db.session.add(nopass)
    db.session.flush()
    answers = []
    for index, (username, password) in enumerate(
        [(user.username, "not the password"), ("nobody", PASSWORD), (disabled.username, PASSWORD), ("nopass", "")]
    ):
        response = sign_in(client, username, password, address=f"10.0.0.{index}")
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and 'name="password"' in body
        answers.append(re.search(r'<p class="error" role="alert">(.*?)</p>', body).group(1))
        assert client.get("/account").status_code == 302
    assert len(set(answers)) == 1 and FAILED in answers[0]


def test_failed_sign_ins_lock_the_account_and_the_address(client, person):
    """Three failures a minute per account (from any address) or per address (any account): then 429 with
    Retry-After, even with the right password; other accounts from other addresses are not held up."""
    target, other, bystander = person(), person(), person()
    for address in ("10.1.0.1", "10.1.0.2", "10.1.0.3"):
        assert sign_in(client, target.username, "guessing wrong", address=address).status_code == 200
    refused = sign_in(client, target.username, address="10.1.0.4")
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert sign_in(client, other.username, address="10.1.0.4").status_code == 302

    for name in ("nobody1", "nobody2", "nobody3"):
        assert sign_in(client, name, "guessing wrong", address="10.2.0.1").status_code == 200
    assert_problem(sign_in(client, bystander.username, address="10.2.0.1"), 429)
    assert sign_in(client, bystander.username, address="10.2.0.2").status_code == 302


def test_a_new_password_ends_other_sessions(client, browser, person, db):
    """Setting a password (or disabling the account) signs the person out of every browser."""
    user = person()
    other = browser()
    assert sign_in(client, user.username).status_code == 302
    assert sign_in(other, user.username).status_code == 302
    set_password(db.session, None, user, "a brand new long password")
    assert client.get("/account").status_code == 302
    assert sign_in(other, user.username, "a brand new long password").status_code == 302
    user.active = False
    assert other.get("/account").status_code == 302


# --- CSRF ------------------------------------------------------------------------------------------------


def test_forms_without_a_valid_csrf_token_are_refused(client, browser, person, db):
    """Missing or wrong CSRF token: 400 and nothing changed, for sign-in, sign-out and managing people.
    The JSON API (bearer tokens) needs none."""
    user = person()
    coordinator = person("coordinator")
    for token in (None, "forged"):
        data = {"username": user.username, "password": PASSWORD}
        if token:
            data["csrf_token"] = token
        client.get("/login")
        assert_problem(client.post("/login", data=data), 400)
        assert client.get("/account").status_code == 302

    assert sign_in(client, coordinator.username).status_code == 302
    team = coordinator_team(db, coordinator)
    for data in ({}, {"csrf_token": "forged"}):
        create = {"username": "newbie", "role": "field_member", "team_id": team.id, "password": PASSWORD, **data}
        assert_problem(client.post("/people/new", data=create), 400)
        assert_problem(client.post(f"/people/{user.id}", data={"role": "team_lead", **data}), 400)
        assert_problem(client.post("/logout", data=data), 400)
    assert count(db, User, User.username == "newbie") == 0
    assert db.session.get(User, user.id).role == "field_member"
    assert client.get("/account").status_code == 200  # still signed in

    cross_site = browser()  # a page elsewhere posting the sign-in form of this site: no token, no session
    assert_problem(cross_site.post("/login", data={"username": user.username, "password": PASSWORD}), 400)
    _, headers = coordinator_headers(db, coordinator)
    assert client.post("/api/v1/tokens", json={"label": "script"}, headers=headers).status_code == 201


def coordinator_team(db, coordinator) -> Team:
    from server.services.teams import create_team
    from server.services.users import scope_for

    return create_team(
        db.session, scope_for(coordinator), name="Tổ công tác 1", kind="working_group", jurisdiction=["15"]
    )


def coordinator_headers(db, user):
    from server.auth import issue_token

    row, clear = issue_token(db.session, user, "test")
    return row, {"Authorization": f"Bearer {clear}"}


# --- Managing people -------------------------------------------------------------------------------------


def test_coordinators_manage_people_of_their_area_only(client, person, make_team, db):
    """Outside the coordinator's area a person does not exist for them (404); a role as high as their own or
    higher is refused (403); nothing changes in either case."""
    coordinator = person("coordinator", province="15")
    inside = person(province="15")
    outside = person(province="08")
    assert sign_in(client, coordinator.username).status_code == 302
    listing = client.get("/people").get_data(as_text=True)
    assert inside.username in listing and outside.username not in listing

    for path in (f"/people/{outside.id}", f"/people/{outside.id}/devices"):
        assert_problem(client.get(path), 404)
    token = csrf_token(client, f"/people/{inside.id}")
    for path, data in (
        (f"/people/{outside.id}", {"role": "team_lead", "team_id": outside.team_id}),
        (f"/people/{outside.id}/password", {"password": "another long password"}),
        (f"/people/{outside.id}/devices", {"label": "phone"}),
    ):
        assert_problem(client.post(path, data={**data, "csrf_token": token}), 404)
    for role in ("coordinator", "admin"):
        data = {"role": role, "team_id": inside.team_id, "active": "y", "csrf_token": token}
        assert_problem(client.post(f"/people/{inside.id}", data=data), 403)
        new = {"username": f"new_{role}", "role": role, "team_id": inside.team_id, "password": PASSWORD}
        assert_problem(client.post("/people/new", data={**new, "csrf_token": token}), 403)
    db.session.expire_all()
    assert db.session.get(User, inside.id).role == "field_member"
    assert db.session.get(User, outside.id).role == "field_member"
    assert count(db, User, User.username.like("new_%")) == 0
    assert count(db, AccountEvent, AccountEvent.user_id == outside.id, AccountEvent.action != "password_set") == 0

    changed = client.post(
        f"/people/{inside.id}", data={"role": "team_lead", "team_id": inside.team_id, "active": "", "csrf_token": token}
    )
    assert changed.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, inside.id).role == "team_lead" and not db.session.get(User, inside.id).active


def test_field_members_do_not_manage_people(client, person):
    """People and team pages are for coordinators and admins: 403 for others."""
    member = person()
    assert sign_in(client, member.username).status_code == 302
    for path in ("/people", "/people/new", "/teams"):
        assert_problem(client.get(path), 403)


def test_a_temporary_password_must_be_changed_at_first_sign_in(client, browser, person, db):
    """A person created by a coordinator signs in with the temporary password and is sent to change it before
    any other page; a weak new password is refused with a clear message."""
    coordinator = person("coordinator", province="15")
    team = coordinator_team(db, coordinator)
    assert sign_in(client, coordinator.username).status_code == 302
    created = post_form(
        client,
        "/people/new",
        {
            "username": "lan.nguyen",
            "display_name": "Nguyễn Thị Lan",
            "role": "field_member",
            "team_id": team.id,
            "password": "temporary password 1",
            "active": "y",
        },
    )
    assert created.status_code == 302
    lan = db.session.scalar(select(User).where(User.username == "lan.nguyen"))
    assert lan.must_change_password and lan.team_id == team.id

    phone = browser()
    first = sign_in(phone, "lan.nguyen", "temporary password 1", next_url="/queues/admin-units/15")
    assert first.headers["Location"].startswith("/account/password")
    assert phone.get("/").headers["Location"].startswith("/account/password")
    weak = post_form(
        phone,
        "/account/password",
        {"current_password": "temporary password 1", "password": "short", "confirm": "short"},
    )
    assert weak.status_code == 200 and "ít nhất 10 ký tự" in weak.get_data(as_text=True)
    changed = post_form(
        phone,
        "/account/password?next=/queues/admin-units/15",
        {
            "current_password": "temporary password 1",
            "password": "lan's own passphrase",
            "confirm": "lan's own passphrase",
        },
    )
    assert changed.status_code == 302 and changed.headers["Location"] == "/queues/admin-units/15"
    assert phone.get("/").status_code == 200
    db.session.expire_all()
    assert not lan.must_change_password and check_password(db.session, "lan.nguyen", "lan's own passphrase")
    actions = db.session.scalars(select(AccountEvent.action).where(AccountEvent.user_id == lan.id)).all()
    assert actions == ["created", "password_reset", "password_set"]


def test_account_page_sets_the_language(client, person, db):
    """A signed-in person chooses vi or en; other values are refused."""
    user = person()
    assert sign_in(client, user.username).status_code == 302
    assert post_form(client, "/account", {"locale": "en"}).status_code == 302
    assert db.session.get(User, user.id).locale == "en"
    assert post_form(client, "/account", {"locale": "fr"}).status_code == 200
    assert db.session.get(User, user.id).locale == "en"


def test_admins_manage_teams_coordinators_read_theirs(client, browser, person, make_team, db):
    """Admins create and change teams; coordinators read the teams of their area (404 elsewhere, 403 to change)."""
    admin = person("admin")
    assert sign_in(client, admin.username).status_code == 302
    created = post_form(client, "/teams", {"name": "Đội TNTN xã", "kind": "youth_volunteer_team", "jurisdiction": "15"})
    assert created.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "Đội TNTN xã"))
    edited = post_form(
        client, f"/teams/{team.id}", {"name": "Đội TNTN", "kind": "commune_staff", "jurisdiction": "15, 08"}
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert (team.name, team.kind, team.jurisdiction_codes) == ("Đội TNTN", "commune_staff", ["08", "15"])
    unknown = post_form(client, "/teams", {"name": "x", "kind": "commune_staff", "jurisdiction": "99999"})
    assert unknown.status_code == 200 and "99999" in unknown.get_data(as_text=True)

    coordinator = person("coordinator", province="11")
    elsewhere = make_team(jurisdiction=["52"])
    ours = make_team(jurisdiction=["11"])
    reader = browser()
    assert sign_in(reader, coordinator.username).status_code == 302
    assert reader.get(f"/teams/{ours.id}").status_code == 200
    assert_problem(reader.get(f"/teams/{elsewhere.id}"), 404)
    change = {"name": "renamed", "kind": "commune_staff", "jurisdiction": "11"}
    assert_problem(post_form(reader, f"/teams/{ours.id}", change), 403)
    assert_problem(post_form(reader, "/teams", {**change, "name": "new one"}), 403)


# --- Open redirects --------------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "/\t/evil.example/",
    "/%09/evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_sign_in_never_redirects_to_another_site(client, person, next_url):
    """Whatever ``next`` holds, the browser ends up on a path of this site: ``/`` for anything that is not a
    plain relative path (after decoding and stripping)."""
    user = person()
    response = sign_in(client, user.username, next_url=next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("next_url", ["/queues/admin-units/15?status=all", "/maps/tickets?province=15", "/account"])
def test_sign_in_keeps_a_local_next(client, person, next_url):
    """A path of this site is kept, query string included."""
    user = person()
    assert sign_in(client, user.username, next_url=next_url).headers["Location"] == next_url


# --- Enrolling a phone -----------------------------------------------------------------------------------


def decode_qr(page: str) -> dict:
    """The payload of the QR code image on the page, read by a real decoder (ZXing)."""
    data_uri = re.search(r'<img src="data:image/png;base64,([^"]+)"', page).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(data_uri)))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1 and results[0].format == zxingcpp.BarcodeFormat.QRCode
    return json.loads(results[0].text)


def test_enrolment_qr_code_holds_the_server_and_a_working_token(client, person, db):
    """The coordinator enrols a phone: the QR code decodes to the server URL and a new token that works on the
    API as the member; it is listed with its label, and once revoked it stops working."""
    coordinator = person("coordinator", province="15")
    member = person(province="15")
    assert sign_in(client, coordinator.username).status_code == 302
    page = post_form(client, f"/people/{member.id}/devices", {"label": "Samsung A05 của Lan"})
    assert page.status_code == 200
    payload = decode_qr(page.get_data(as_text=True))
    assert payload["server"] == "http://localhost" and payload["token"].startswith("fo_")
    bearer = {"Authorization": f"Bearer {payload['token']}"}
    me = client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.get_json()["username"] == member.username

    second = decode_qr(post_form(client, f"/people/{member.id}/devices", {"label": "Nokia"}).get_data(as_text=True))
    assert second["token"] != payload["token"]  # one token per device
    listing = client.get(f"/people/{member.id}/devices").get_data(as_text=True)
    assert "Samsung A05 của Lan" in listing and "Nokia" in listing and payload["token"] not in listing
    token = db.session.scalar(select(ApiToken).where(ApiToken.label == "Samsung A05 của Lan"))
    revoked = post_form(
        client, f"/people/{member.id}/devices/{token.id}/revoke", {}, form_page=f"/people/{member.id}/devices"
    )
    assert revoked.status_code == 302
    assert_problem(client.get("/api/v1/me", headers=bearer), 401)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['token']}"}).status_code == 200
    actions = db.session.scalars(
        select(AccountEvent.action).where(AccountEvent.user_id == member.id).order_by(AccountEvent.id)
    ).all()
    assert actions == ["password_set", "device_enrolled", "device_enrolled", "device_revoked"]


def test_enrolment_needs_a_device_name(client, person, db):
    """No label, no token: the form says so."""
    coordinator = person("coordinator", province="15")
    member = person(province="15")
    assert sign_in(client, coordinator.username).status_code == 302
    page = post_form(client, f"/people/{member.id}/devices", {"label": ""})
    assert page.status_code == 200 and "data:image/png" not in page.get_data(as_text=True)
    assert count(db, ApiToken, ApiToken.user_id == member.id) == 1  # the fixture's own
