"""The speed-test endpoints: authenticated, rate-limited per token, capped in bytes, never cached or compressed."""

import gzip
import io

import pytest
from limits import parse, storage, strategies

from server.config import load_config
from server.errors import ConfigError
from server.security import SPEED_TEST
from tests.helpers import assert_problem

CAP = 1024 * 1024


@pytest.fixture
def speed_limit(app, monkeypatch):
    """A speed-test limiter of its own for the test (``5 per minute``), so no test spends another's budget."""
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    monkeypatch.setitem(app.extensions, SPEED_TEST, (limiter, parse("5 per minute")))


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/v1/speedtest/ping"), ("get", "/api/v1/speedtest/download"), ("post", "/api/v1/speedtest/upload")],
)
def test_speed_test_needs_a_token(client, method, path):
    """Without a bearer token every speed-test endpoint answers 401 as a problem document."""
    response = getattr(client, method)(path, data=b"x" * 10 if method == "post" else None)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_ping_is_tiny_and_tells_the_server_time(client, make_user, speed_limit):
    """A ping is a small JSON answer with the server's clock, not cached."""
    _, headers = make_user()
    response = client.get("/api/v1/speedtest/ping", headers=headers)
    assert response.status_code == 200
    assert len(response.data) < 200
    assert response.get_json()["server_time"].endswith("+00:00")
    assert response.headers["Cache-Control"] == "no-store"


def test_download_sends_the_bytes_asked_incompressible_and_uncached(client, make_user, speed_limit):
    """bytes=N gives exactly N random bytes; gzip would not shrink them and the server does not try."""
    _, headers = make_user()
    response = client.get("/api/v1/speedtest/download?bytes=300000", headers={**headers, "Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.data) == 300_000
    assert len(gzip.compress(response.data)) > 0.99 * 300_000
    again = client.get("/api/v1/speedtest/download?bytes=300000", headers=headers)
    assert again.data != response.data


def test_download_default_size_and_the_cap(client, make_user, speed_limit):
    """Without bytes the server sends 256 KiB; exactly the cap is fine; one byte more is 413; 0 or text is 422."""
    _, headers = make_user()
    assert len(client.get("/api/v1/speedtest/download", headers=headers).data) == 256 * 1024
    assert len(client.get(f"/api/v1/speedtest/download?bytes={CAP}", headers=headers).data) == CAP
    body = assert_problem(client.get(f"/api/v1/speedtest/download?bytes={CAP + 1}", headers=headers), 413)
    assert "bytes" in body["errors"]
    assert_problem(client.get("/api/v1/speedtest/download?bytes=0", headers=headers), 422)


def test_upload_counts_and_discards_the_body(client, make_user, speed_limit):
    """The server reads the whole body, answers how many bytes it got, and keeps nothing."""
    _, headers = make_user()
    payload = bytes(range(256)) * 1000
    response = client.post(
        "/api/v1/speedtest/upload",
        data=payload,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.get_json()["bytes"] == len(payload)
    assert response.get_json()["server_time"].endswith("+00:00")


def test_upload_above_the_cap_is_refused(client, make_user, speed_limit):
    """A body larger than the cap gets 413 (problem+json), also when sent without a Content-Length."""
    _, headers = make_user()
    octets = {**headers, "Content-Type": "application/octet-stream"}
    assert_problem(client.post("/api/v1/speedtest/upload", data=b"\0" * (CAP + 1), headers=octets), 413)

    streamed = client.post(
        "/api/v1/speedtest/upload",
        input_stream=io.BytesIO(b"\0" * (CAP + 1)),
        headers=octets,
        environ_overrides={"wsgi.input_terminated": True},  # chunked: no Content-Length
    )
    assert_problem(streamed, 413)


def test_speed_test_is_rate_limited_per_token(client, make_user, speed_limit):
    """The sixth call in a minute from one token gets 429 with Retry-After; another token is not held."""
    _, headers = make_user()
    _, other = make_user()
    for _ in range(5):
        assert client.get("/api/v1/speedtest/ping", headers=headers).status_code == 200
    refused = client.post("/api/v1/speedtest/upload", data=b"x", headers=headers)
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/speedtest/ping", headers=other).status_code == 200


def test_errors_speak_the_users_language(client, make_user, speed_limit):
    """The refusal of a too-large download is in Vietnamese for a Vietnamese phone."""
    _, headers = make_user()
    response = client.get(f"/api/v1/speedtest/download?bytes={CAP + 1}", headers={**headers, "Accept-Language": "vi"})
    body = assert_problem(response, 413)
    assert body["title"] == "Dữ liệu gửi lên quá lớn"  # the one title of 413
    assert body["detail"].startswith("Mỗi yêu cầu đo tốc độ tối đa 1048576 byte")
    assert body["errors"]["bytes"] == ["Tối đa 1048576."]


def test_speed_test_is_documented(client):
    """The OpenAPI document lists the three endpoints with their example answers and their errors."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"401", "429"} <= set(paths["/api/v1/speedtest/ping"]["get"]["responses"])
    assert "413" in paths["/api/v1/speedtest/download"]["get"]["responses"]
    upload = paths["/api/v1/speedtest/upload"]["post"]
    assert "example" in upload["responses"]["200"]["content"]["application/json"]
    assert "application/octet-stream" in upload["requestBody"]["content"]


def test_speed_test_settings(tmp_path):
    """The limit takes the limits notation or off; the cap is a number of bytes."""
    config = load_config(tmp_path, env={})
    assert config["SPEED_TEST_RATE_LIMIT"] == "60 per minute" and config["SPEED_TEST_MAX_BYTES"] == CAP
    env = {"FIELDOPS_SPEED_TEST_RATE_LIMIT": "off", "FIELDOPS_SPEED_TEST_MAX_BYTES": "500000"}
    config = load_config(tmp_path, env=env)
    assert config["SPEED_TEST_RATE_LIMIT"] is None and config["SPEED_TEST_MAX_BYTES"] == 500_000
    with pytest.raises(ConfigError, match="FIELDOPS_SPEED_TEST_RATE_LIMIT"):
        load_config(tmp_path, env={"FIELDOPS_SPEED_TEST_RATE_LIMIT": "fast"})
