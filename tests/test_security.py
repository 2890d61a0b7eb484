"""Hardening: security headers, request ids and logs without secrets, rate limits on token issue, probes, the
database going away (503, not 500), and hostile input refused the same way on both backends."""

import io
import json
import logging
import sqlite3

import psycopg
import pytest
from limits import parse, storage, strategies
from sqlalchemy import exc

from server.config import load_config
from server.errors import ConfigError, database_unavailable
from server.request_log import REQUEST_LOGGER
from server.security import EXTENSION
from tests.helpers import assert_problem, sign_in_with_token
from tests.records_factory import reading

SITE = {"name": "Thôn 1", "kind": "village", "lat": 21.72, "lon": 104.91, "admin_unit_code": "04603"}


@pytest.fixture
def lead(make_user):
    return make_user("team_lead", province="15")[1]


@pytest.fixture
def fresh_limits(app, monkeypatch):
    """A rate limiter of its own for the test (``3 per minute``), so no test spends another's budget."""

    def make(limit: str = "3 per minute"):
        limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        monkeypatch.setitem(app.extensions, EXTENSION, (limiter, parse(limit)))

    make()
    return make


@pytest.fixture
def logs():
    """Every log line of the run of the test: the request log and all other loggers, DEBUG and up."""

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.lines: list[str] = []

        def emit(self, record):
            self.lines.append(self.format(record))

    keep = Keep()
    keep.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root, request_log = logging.getLogger(), logging.getLogger(REQUEST_LOGGER)
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(keep)
    request_log.addHandler(keep)
    try:
        yield keep.lines
    finally:
        root.removeHandler(keep)
        request_log.removeHandler(keep)
        root.setLevel(level)


# --- Headers ---------------------------------------------------------------------------------------------


def test_pages_carry_security_headers(client, lead):
    """HTML pages forbid sniffing, foreign framing and referrers, and allow scripts only from this origin."""
    for response in (client.get("/login"), client.get("/", headers=lead), client.get("/api/v1/docs")):
        assert response.status_code == 200 and response.mimetype == "text/html"
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Referrer-Policy"] == "no-referrer"
        policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'self'"
        assert policy["script-src"] == "'self' 'unsafe-inline'" and policy["object-src"] == "'none'"
        assert "https://tile.openstreetmap.org" in policy["img-src"]
        for directive, sources in policy.items():
            if directive != "img-src":
                assert "http" not in sources and "*" not in sources, directive


def test_api_responses_are_not_cached(client, make_user):
    """A response carrying a new token (and any other API answer) is never stored by a cache."""
    _, headers = make_user()
    response = client.post("/api/v1/tokens", json={"label": "phone"}, headers=headers)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/me", headers=headers).headers["Cache-Control"] == "no-store"


def test_tile_servers_are_configurable(tmp_path):
    """FIELDOPS_CSP_IMG_SOURCES names the tile servers pages may load images from."""
    config = load_config(tmp_path, env={"FIELDOPS_CSP_IMG_SOURCES": "https://tiles.example.vn"})
    assert config["CSP_IMG_SOURCES"] == ["https://tiles.example.vn"]


# --- Request ids and logs --------------------------------------------------------------------------------


def test_request_id_is_echoed_or_made(client):
    """A sane X-Request-ID comes back as sent; a missing or odd one is replaced by a fresh id."""
    assert client.get("/healthz", headers={"X-Request-ID": "phone-7f3a.42"}).headers["X-Request-ID"] == "phone-7f3a.42"
    made = client.get("/healthz").headers["X-Request-ID"]
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300}).headers["X-Request-ID"]
    assert len(made) == 32 and len(odd) == 32 and made != odd


def test_one_json_line_per_request(client, make_user, logs):
    """Each request logs method, path without query, status, duration, request id and the user's id."""
    user, headers = make_user()
    client.get("/api/v1/sites?kind=village&secret=1", headers={**headers, "X-Request-ID": "abc-1"})
    client.get("/api/v1/me")
    lines = [json.loads(line.split(" INFO ", 1)[1]) for line in logs if line.startswith(REQUEST_LOGGER)]
    first, second = lines[-2:]
    assert first["request_id"] == "abc-1" and first["method"] == "GET" and first["path"] == "/api/v1/sites"
    assert first["status"] == 200 and first["user_id"] == user.id and first["duration_ms"] >= 0
    assert second["status"] == 401 and second["user_id"] is None


def test_tokens_never_reach_the_logs(client, app, make_user, logs, monkeypatch, fresh_limits):
    """A token shows up in no log line: not when issued, used, sent in a query string, pasted into the login
    form, nor when the request fails on the way."""
    _, headers = make_user("coordinator")
    issued = client.post("/api/v1/tokens", json={"label": "phone"}, headers=headers).get_json()["token"]
    bearer = {"Authorization": f"Bearer {issued}"}
    assert client.get(f"/api/v1/me?token={issued}", headers=bearer).status_code == 200
    assert client.get("/api/v1/sites?limit=0", headers=bearer).status_code == 422
    assert "Đăng nhập không thành công" in sign_in_with_token(client, issued + "x").get_data(as_text=True)
    assert sign_in_with_token(client, issued).status_code == 302
    assert client.get("/").status_code == 200

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("server.services.sites.create_site", explode)
    assert client.post("/api/v1/sites", json=SITE, headers=bearer).status_code == 500
    assert any(line.startswith(REQUEST_LOGGER) for line in logs) and any("boom" in line for line in logs)
    secret = issued.removeprefix("fo_")
    assert not [line for line in logs if secret[:12] in line]


def test_statement_parameters_stay_out_of_errors(db):
    """The engine hides bound parameters in its errors and logs (they can hold token digests)."""
    assert db.engine.hide_parameters is True


# --- Rate limits -----------------------------------------------------------------------------------------


def test_token_issue_is_rate_limited_per_credential(client, make_user, fresh_limits):
    """The fourth token in a minute from one credential gets 429 with Retry-After; another caller is not held."""
    _, headers = make_user()
    _, other = make_user()
    for _ in range(3):
        assert client.post("/api/v1/tokens", json={}, headers=headers).status_code == 201
    refused = client.post("/api/v1/tokens", json={}, headers=headers)
    body = assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and "3 per 1 minute" in body["detail"]
    assert client.post("/api/v1/tokens", json={}, headers=other).status_code == 201
    assert client.get("/api/v1/tokens", headers=headers).status_code == 200


def test_failed_logins_are_rate_limited(client, make_user, fresh_limits):
    """Guessing tokens at the login form stops after three failures a minute; logging in does not count."""
    _, headers = make_user()
    token = headers["Authorization"].split()[1]
    for _ in range(4):
        assert sign_in_with_token(client, token).status_code == 302
    for _ in range(3):
        failed = sign_in_with_token(client, "fo_guess")
        assert failed.status_code == 200 and "Đăng nhập không thành công" in failed.get_data(as_text=True)
    refused = sign_in_with_token(client, token)
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1


def test_rate_limit_setting(tmp_path):
    """FIELDOPS_TOKEN_RATE_LIMIT takes the limits notation or off; anything else names the setting."""
    assert load_config(tmp_path, env={})["TOKEN_RATE_LIMIT"] == "10 per minute"
    assert load_config(tmp_path, env={"FIELDOPS_TOKEN_RATE_LIMIT": "5/hour"})["TOKEN_RATE_LIMIT"] == "5/hour"
    assert load_config(tmp_path, env={"FIELDOPS_TOKEN_RATE_LIMIT": "off"})["TOKEN_RATE_LIMIT"] is None
    with pytest.raises(ConfigError, match="FIELDOPS_TOKEN_RATE_LIMIT"):
        load_config(tmp_path, env={"FIELDOPS_TOKEN_RATE_LIMIT": "lots"})


def test_a_revoked_token_ends_the_browser_session(client, make_user):
    """The login cookie names the token; once the token is revoked the next page asks for a login again."""
    _, headers = make_user()
    token = headers["Authorization"].split()[1]
    assert sign_in_with_token(client, token).status_code == 302
    assert client.get("/").status_code == 200
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/").status_code == 302


# --- Probes and the database going away ------------------------------------------------------------------


def test_health_and_readiness(client):
    """/healthz answers without the database; /readyz runs a query; neither needs a token."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_readiness_fails_with_503_when_the_database_does_not_answer(client, app, monkeypatch):
    """A failed ping is a 503 problem document with Retry-After, so a balancer sends traffic elsewhere."""

    def refuse(*_args, **_kwargs):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr("server.health.ping", refuse)
    response = client.get("/readyz")
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == str(app.config["DB_RETRY_AFTER_SECONDS"])


def disconnect() -> exc.OperationalError:
    return exc.OperationalError(
        "SELECT 1", {}, psycopg.OperationalError("terminating connection due to administrator command")
    )


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (disconnect(), True),
        (exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), True),
        (exc.DisconnectionError("gone"), True),
        (exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
        (psycopg.OperationalError("connection failed"), True),
        (exc.OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x")), False),
        (exc.ProgrammingError("SELECT", {}, psycopg.ProgrammingError("syntax error")), False),
        (RuntimeError("boom"), False),
    ],
)
def test_which_database_errors_mean_unavailable(error, unavailable):
    """Connection loss, refusal, pool exhaustion and locks are the database being away; a bad statement is not."""
    assert database_unavailable(error) is unavailable


def test_lost_database_is_503_with_retry_after(client, app, lead, monkeypatch, logs):
    """A request that loses the database answers 503 with Retry-After, not 500, and logs no statement."""

    def lose_connection(*_args, **_kwargs):
        raise disconnect()

    monkeypatch.setattr("server.services.sites.create_site", lose_connection)
    response = client.post("/api/v1/sites", json=SITE, headers=lead)
    body = assert_problem(response, 503)
    assert response.headers["Retry-After"] == str(app.config["DB_RETRY_AFTER_SECONDS"])
    assert "database" in body["detail"] and "administrator command" not in body["detail"]
    warning = [line for line in logs if line.startswith("server.errors WARNING")]
    assert warning and "SELECT" not in warning[-1]


def test_a_broken_statement_stays_a_500(client, lead, monkeypatch):
    """An error in a statement is a bug: 500, not 'retry later'."""

    def broken(*_args, **_kwargs):
        raise exc.OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x"))

    monkeypatch.setattr("server.services.sites.create_site", broken)
    assert_problem(client.post("/api/v1/sites", json=SITE, headers=lead), 500)


# --- Hostile input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ('{"name": "a\\u0000b", "kind": "village", "lat": 21.72, "lon": 104.91}', 422, "name"),
        ('{"name": "a\\ud800b", "kind": "village", "lat": 21.72, "lon": 104.91}', 422, "name"),
        (
            '{"name": "a", "kind": "village", "lat": 21.72, "lon": 104.91, "attributes": {"\\u0000": 1}}',
            422,
            "attributes",
        ),
        ('{"name": "a", "kind": "village", "lat": NaN, "lon": 104.91}', 400, "_body"),
        ('{"name": "a", "kind": "village", "lat": 21.72, "lon": 104.91, "attributes": {"x": 1e999}}', 400, "_body"),
        ('{"name": "a", "kind": "village", "lat": -Infinity, "lon": 104.91}', 400, "_body"),
    ],
)
def test_text_and_numbers_no_column_can_hold_are_refused(client, lead, body, status, field):
    """NUL characters, unpaired surrogates, NaN, Infinity and overflowing numbers are refused up front on
    both backends (PostgreSQL could not store them: that was a 500)."""
    response = client.post("/api/v1/sites", data=body, headers={**lead, "Content-Type": "application/json"})
    assert field in assert_problem(response, status)["errors"]


def test_ordinary_text_that_looks_suspicious_is_accepted(client, lead):
    """Words like NaN, emoji (surrogate pairs) and a literal backslash-u are fine."""
    body = json.dumps({**SITE, "name": "NaN Infinity \\u0000 😀", "attributes": {"x": 1e300}}, ensure_ascii=True)
    response = client.post("/api/v1/sites", data=body, headers={**lead, "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["name"] == "NaN Infinity \\u0000 😀"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/sites/99999999999999999999", 404),
        ("/api/v1/tickets/2147483648", 404),
        ("/api/v1/admin-units/%00", 404),
        ("/api/v1/sites?q=a%00b", 422),
        ("/api/v1/tickets?team=99999999999999999999", 422),
        ("/api/v1/visits?site=2147483648", 422),
        ("/api/v1/visits?since=9999-12-31T23:59:59-14:00", 422),
        ("/api/v1/visits?until=0001-01-01T00:00:00%2B14:00", 422),
    ],
)
def test_out_of_range_lookups_are_client_errors(client, lead, url, status):
    """Ids beyond 32 bits, NUL characters and dates that overflow in UTC are 404/422, never a 500."""
    assert_problem(client.get(url, headers=lead), status)


def test_sync_record_with_an_overflowing_time_is_rejected_alone(client, make_user, make_site):
    """One record whose observed_at cannot be converted to UTC is rejected; the rest of the batch is stored."""
    make_site(commune="04603")
    _, headers = make_user("field_member", province="15")
    good, bad = reading(), reading(observed_at="9999-12-31T23:59:59-14:00")
    bad_site = reading(site_id=2**40)
    answer = client.post("/api/v1/sync", json={"records": [good, bad, bad_site]}, headers=headers).get_json()
    assert [result["status"] for result in answer["results"]] == ["created", "rejected", "rejected"]
    assert "observed_at" in answer["results"][1]["errors"] and "site_id" in answer["results"][2]["errors"]


def test_another_teams_record_takes_no_attachments(client, make_user, make_team, make_site):
    """A field member may read a record of another team in the province but not add files to it."""
    make_site(commune="04603")
    _, author = make_user("field_member", province="15")
    _, neighbour = make_user("field_member", province="15")
    record = reading()
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=author).get_json()["created"] == 1
    url = f"/api/v1/connectivity-readings/{record['id']}/attachments"
    assert client.get(url, headers=neighbour).status_code == 200
    photo = {"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), "p.png")}
    assert_problem(client.post(url, data=photo, headers=neighbour, content_type="multipart/form-data"), 403)


def test_only_numbers_that_may_overflow_send_a_body_to_the_strict_parse():
    """An exponent of three digits counts where a JSON number starts, not inside text such as a UUID, so a sync
    batch of UUIDs is parsed once."""
    from server.security import _suspicious

    for body in (b'{"x": 1e999}', b"[1E400]", b"1e999", b'{"a":[1,-2.5e400]}', b'{"x":"NaN"}', b'{"x":"\\u0000"}'):
        assert _suspicious(body), body
    for body in (b'{"id": "0b6e7c2e-1e23-4d7a-9d64-1f1c2a7e9a10"}', b'{"x": 1e30}', b'{"note": "a-21e234"}'):
        assert not _suspicious(body), body


def test_the_exponent_scan_finds_what_the_expression_finds():
    """The substring scan that stands in for BIG_EXPONENT decides as the expression does, on 20,000 random texts
    made of the characters that matter (digits, e/E, signs, points, quotes, separators, hex letters)."""
    import random

    from server.security import BIG_EXPONENT, NUMBER_CHARS, NUMBER_START, _exponent_starts, _suspicious

    def by_expression(body: bytes) -> bool:
        for match in BIG_EXPONENT.finditer(body):
            start = match.start()
            while start > 0 and body[start - 1] in NUMBER_CHARS:
                start -= 1
            if start == 0 or body[start - 1] in NUMBER_START:
                return True
        return False

    rng = random.Random(7)
    alphabet = b'0123456789eeEE++--.."" :,[]{}abcdf'
    found = 0
    for _ in range(20_000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        expected = by_expression(body)
        assert _suspicious(body) == expected, body
        assert {m.start() for m in BIG_EXPONENT.finditer(body)} <= set(_exponent_starts(body)), body
        found += expected
    assert found > 50  # some texts do hold such numbers
