"""What the field app needs from the server: a token of its own from a password sign-in (rate limited like the
sign-in page) and its revocation at sign-out, the allowed actions of a ticket, the GPS accuracy of records, and the
app itself served with the right cache headers and the message catalogue of the pages."""

import re
import uuid

import pytest
from limits import parse, storage, strategies
from sqlalchemy import select

from field_app.pages import app_messages
from server.labels import VOCABULARIES
from server.models import AccountEvent, ApiToken
from server.security import EXTENSION
from server.services import tickets
from server.services.users import set_password
from tests.helpers import assert_problem
from tests.records_factory import visit

PASSWORD = "bamboo bridge over the stream"


@pytest.fixture
def own_limits(app, monkeypatch):
    """A rate limiter of its own (``3 per minute``), so no test spends another's budget of failures."""
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    monkeypatch.setitem(app.extensions, EXTENSION, (limiter, parse("3 per minute")))


@pytest.fixture
def member(db, make_user):
    user, _ = make_user("field_member")
    set_password(db.session, None, user, PASSWORD)
    db.session.flush()
    return user


def sign_in(client, username, password=PASSWORD, address="127.0.0.1", label="Samsung A05"):
    return client.post(
        "/api/v1/tokens/sign-in",
        json={"username": username, "password": password, "label": label},
        environ_base={"REMOTE_ADDR": address},
    )


def test_password_sign_in_gives_the_phone_its_own_token(client, db, member, own_limits):
    """The phone gets a token of its own, listed with the person's devices (audited), revoked at sign-out."""
    answer = sign_in(client, member.username)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    token = answer.get_json()["token"]
    assert token.startswith("fo_")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == member.username
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["items"]
    assert [item["label"] for item in listed if item["id"] == answer.get_json()["id"]] == ["Samsung A05"]
    events = db.session.scalars(select(AccountEvent.action).where(AccountEvent.user_id == member.id)).all()
    assert "device_enrolled" in events

    other = sign_in(client, member.username).get_json()["token"]
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == answer.get_json()["id"]))
    assert row.revoked_at is not None


def test_password_sign_in_refusals_say_the_same_and_are_limited(client, member, own_limits):
    """A wrong password and an unknown user get the same 401; past the limit even the right password gets 429."""
    wrong = assert_problem(sign_in(client, member.username, "not it", address="10.9.0.1"), 401)
    unknown = assert_problem(sign_in(client, "nobody-here", PASSWORD, address="10.9.0.2"), 401)
    assert wrong["detail"] == unknown["detail"]
    sign_in(client, member.username, "not it", address="10.9.0.3")
    sign_in(client, member.username, "not it", address="10.9.0.4")
    refused = sign_in(client, member.username, address="10.9.0.5")
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert_problem(client.post("/api/v1/tokens/sign-in", json={"username": member.username}), 422)


def test_ticket_detail_lists_the_callers_allowed_actions(client, two_provinces):
    """GET /tickets/{id} says which actions the caller may take now: the workflow's own list."""
    home = two_provinces.home
    for user, headers in (
        (home.lead, home.lead_headers),
        (two_provinces.coordinator, two_provinces.coordinator_headers),
    ):
        detail = client.get(f"/api/v1/tickets/{home.ticket.id}", headers=headers).get_json()
        assert detail["allowed_actions"] == tickets.allowed_actions(user, home.ticket)
        assert "comment" in detail["allowed_actions"]


def test_records_keep_the_accuracy_of_the_gps_fix(client, make_user):
    """A record's accuracy_m is stored and returned; a negative accuracy is refused."""
    _, headers = make_user("field_member")
    good = visit(lat=21.72, lon=104.91, accuracy_m=14.5)
    bad = visit(lat=21.72, lon=104.91, accuracy_m=-3)
    answer = client.post("/api/v1/sync", json={"records": [good, bad]}, headers=headers).get_json()
    assert [result["status"] for result in answer["results"]] == ["created", "rejected"]
    assert "accuracy_m" in answer["results"][1]["errors"]
    assert client.get(f"/api/v1/visits/{good['id']}", headers=headers).get_json()["accuracy_m"] == 14.5


def test_the_app_is_served_with_cache_headers(client):
    """Shell, service worker and manifest are revalidated on every load; hashed assets are immutable and
    compressed; anything else under /app/ is a 404."""
    shell = client.get("/app/")
    assert shell.status_code == 200, "the field app is not built: run `make app`"
    assert shell.headers["Cache-Control"] == "public, no-cache"
    assert "blob:" in shell.headers["Content-Security-Policy"]
    assert client.get("/app").status_code == 308
    for name in ("sw.js", "manifest.webmanifest"):
        assert client.get(f"/app/{name}").headers["Cache-Control"] == "public, no-cache"
    assert client.get("/app/sw.js").headers["Service-Worker-Allowed"] == "/app/"
    script = re.search(r'src="(/app/assets/[^"]+)"', shell.get_data(as_text=True)).group(1)
    asset = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Encoding"] == "gzip"
    assert client.get(f"/app/assets/{uuid.uuid4()}.js").status_code == 404
    assert client.get("/app/secret.py").status_code == 404


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_catalogue_holds_every_app_message_and_the_labels(client, locale):
    """The app's catalogue has each text marked in its sources (translated in Vietnamese) and every label table
    of server.labels in that language."""
    catalogue = client.get(f"/app/catalogue/{locale}.json").get_json()
    assert set(catalogue["messages"]) == set(app_messages())
    assert set(catalogue["labels"]) == set(VOCABULARIES)
    assert list(catalogue["labels"]["condition"]) == list(VOCABULARIES["condition"]), "in the server's order"
    if locale == "vi":
        assert catalogue["labels"]["condition"]["broken"] == "Hỏng"
        assert catalogue["messages"]["Outbox"] == "Hộp thư đi"
    else:
        assert all(key == value for key, value in catalogue["messages"].items())
    assert client.get("/app/catalogue/fr.json").status_code == 404
