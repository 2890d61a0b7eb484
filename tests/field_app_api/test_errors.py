import pytest

from tests.helpers import assert_problem


@pytest.fixture
def lead(make_user):
    return make_user("team_lead", province="15")[1]


def test_unknown_route_is_404_problem(client):
    """A URL that matches no route answers a problem document, not an HTML page."""
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert body["title"] == "Not Found"


def test_wrong_method_is_405_with_allow(client):
    """A method the route does not have is 405 and the Allow header lists the ones it has."""
    response = client.put("/api/v1/sites")
    assert_problem(response, 405)
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "PUT" not in allowed


def test_malformed_json_is_400(client, lead):
    """A body that is not JSON is a 400 that says so."""
    response = client.post(
        "/api/v1/sites", data='{"name": "Thôn 1",', headers={**lead, "Content-Type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


def test_body_over_the_size_limit_is_413(client, app, lead, monkeypatch):
    """A body larger than MAX_CONTENT_LENGTH is refused before it is parsed."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    body = {"name": "x" * 2000, "kind": "village", "lat": 21.72, "lon": 104.91, "admin_unit_code": "04603"}
    assert_problem(client.post("/api/v1/sites", json=body, headers=lead), 413)


def test_invalid_fields_are_422_keyed_by_field(client, lead):
    """Each invalid or missing field has its own messages under `errors`."""
    response = client.post("/api/v1/sites", json={"kind": "castle", "lat": "north", "lon": 104.9}, headers=lead)
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"name", "kind", "lat"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


def test_invalid_query_arguments_are_422_keyed_by_field(client, lead):
    """Query string errors are keyed by parameter name, without the webargs location."""
    body = assert_problem(client.get("/api/v1/sites?limit=0&bbox=1,2", headers=lead), 422)
    assert set(body["errors"]) == {"limit", "bbox"}


def test_unexpected_error_is_500_problem(client, app, lead, monkeypatch, caplog):
    """A crash in a view is a 500 problem document that leaks nothing; the traceback goes to the log."""

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("server.services.sites.create_site", explode)
    body = {"name": "Thôn 1", "kind": "village", "lat": 21.72, "lon": 104.91, "admin_unit_code": "04603"}
    response = client.post("/api/v1/sites", json=body, headers=lead)
    problem = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert problem["title"] == "Internal Server Error"
    assert "secret internals" in caplog.text


@pytest.mark.parametrize(
    ("role", "method", "url", "status"),
    [
        (None, "get", "/api/v1/me", 401),
        ("field_member", "get", "/api/v1/sites/999999", 404),
        ("field_member", "delete", "/api/v1/sites/1", 403),
        ("field_member", "get", "/api/v1/sites?kind=castle", 422),
        ("coordinator", "post", "/api/v1/teams", 422),
    ],
)
def test_every_error_is_a_problem_document(client, make_user, role, method, url, status):
    """Authentication, permission, lookup and validation errors share the problem+json shape."""
    headers = make_user(role)[1] if role else {}
    response = getattr(client, method)(url, headers=headers, json={} if method == "post" else None)
    assert_problem(response, status)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_problem_class_takes_the_one_title_of_its_status(app):
    """No problem class names its own title: the title is the status's, whoever raises it."""
    import importlib

    from server import feature_modules
    from server.errors import HTTP_TITLES, ProblemError

    for name in ("server.compression", "server.limits", "server.security", "server.services.attachments"):
        importlib.import_module(name)
    feature_modules()
    classes = list(_subclasses(ProblemError))
    assert len(classes) > 10
    for cls in classes:
        assert "title" not in vars(cls), cls
        assert cls.http_status in HTTP_TITLES, cls


def test_same_status_same_title_from_webargs_and_from_domain_code(client, lead):
    """A 422 of a schema (webargs) and a 422 raised by domain code (a forged cursor) share their title; so do a
    404 of the router and a 404 of a service; in Vietnamese too."""
    for language in ("en", "vi"):
        headers = {**lead, "Accept-Language": language}
        schema = assert_problem(client.post("/api/v1/sites", json={"name": "x", "lat": 200}, headers=headers), 422)
        domain = assert_problem(client.get("/api/v1/sites", query_string={"after": "AAAA"}, headers=headers), 422)
        assert schema["title"] == domain["title"] and schema["detail"] and domain["errors"]["after"]
        router = assert_problem(client.get("/api/v1/no-such-thing", headers=headers), 404)
        service = assert_problem(client.get("/api/v1/sites/999999", headers=headers), 404)
        assert router["title"] == service["title"]
    assert schema["title"] == "Dữ liệu không xử lý được" and router["title"] == "Không tìm thấy"
