"""Crafted input of each hostile class gets a problem document, never a 500, on every endpoint it can reach.

The endpoints come from the OpenAPI document (every list taking a cursor, every operation taking a JSON body),
so a new endpoint is covered without editing this file.
"""

import base64
import json
import random
import re
from pathlib import Path

import pytest

from field_app_api.common import JsonObject
from server import limits
from surveys.services import load_builtin
from tests.helpers import assert_problem

ROOT = Path(__file__).resolve().parents[1]


def spec_of(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def operations(spec: dict):
    """(method, path template, operation) of every operation in the document."""
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method, path, item[method]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


UUID = "0b6e5a4e-3c57-4b38-9b7c-3f5e2c1d9a10"
# One row per class of hostile cursor; each is sent to every cursor-taking endpoint.
HOSTILE_CURSORS = {
    "garbage": "%%%",
    "not base64 json": "abc",
    "non-ASCII digits": "١٢٣",
    "fullwidth digits": "１２",
    "digits past 64 bits": "9" * 30,
    "number past 64 bits": b64("[99999999999999999999999999]"),
    "negative id": b64("[-1]"),
    "fraction": b64("[1.5]"),
    "NaN": b64("[NaN]"),
    "huge exponent": b64("[1e400]"),
    "overflowing date-time": b64(f'["9999-12-31T23:59:59-14:00","{UUID}"]'),
    "date-time before 2000": b64(f'["0001-01-01T00:00:00+00:00","{UUID}"]'),
    "naive date-time": b64(f'["2026-01-01T00:00:00","{UUID}"]'),
    "offset date-time": b64(f'["2026-01-01T07:00:00+07:00","{UUID}"]'),
    "non-ASCII date digits": b64(f'["２０２６-01-01T00:00:00+00:00","{UUID}"]'),
    "uuid not canonical": b64(f'["2026-01-01T00:00:00+00:00","{UUID.upper()}"]'),
    "object instead of parts": b64('{"sites":{"a":1}}'),
    "null": b64("null"),
    "null position": b64('{"sites":null}'),
    "huge number position": b64('{"sites":["2026-01-01T00:00:00+00:00",1e999]}'),
    "string as key": b64('{"sites":["2026-01-01T00:00:00+00:00","x"]}'),
    "unknown feed": b64('{"nope":["2026-01-01T00:00:00+00:00",1]}'),
    "bool as id": b64('{"sites":["2026-01-01T00:00:00+00:00",true]}'),
    "deep": b64("[" * 1100 + "]" * 1100),
    "padding": b64("[1]") + "==",
    "invalid utf-8": base64.urlsafe_b64encode(b"\xff\xfe[1]").decode().rstrip("="),
    "too long": "A" * 2100,
}


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


@pytest.fixture
def cursor_endpoints(client, db, make_user) -> list[tuple[str, str]]:
    """(URL, cursor parameter) of every list that takes a cursor, path ids pointing at real rows (a survey, a field
    record of each kind, a ticket, a visit plan, a webhook)."""
    load_builtin(db.session)
    db.session.flush()
    from field_app_api.records.routes import RECORD_PATHS
    from server.services.notifications.webhooks import create_webhook
    from surveys.models import Survey
    from tests import records_factory as factory

    member, member_headers = make_user("field_member")
    _lead, lead_headers = make_user("team_lead", team=member.team)
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    records = [
        factory.visit(),
        factory.equipment_check(),
        factory.reading(),
        factory.assistance_log(),
        factory.finding(),
    ]
    assert client.post("/api/v1/sync", json={"records": records}, headers=member_headers).get_json()["created"] == 5
    record_ids = {RECORD_PATHS[record["type"]]: record["id"] for record in records}
    ticket = {"title": "Máy in hỏng", "category": "equipment", "admin_unit_code": "04603"}
    plan = {"team_id": member.team_id, "title": "Kế hoạch", "every": 1, "unit": "month", "communes": ["04603"]}
    plan["starts_on"] = "2026-01-01"
    hook = create_webhook(
        db.session,
        coordinator,
        url="http://127.0.0.1:9/hook",
        events=["ticket_escalated"],
        area_code="15",
        allow_private=True,
    )
    db.session.flush()
    ids = {
        "survey_id": db.session.query(Survey.id).order_by(Survey.id).first()[0],
        "ticket_id": client.post("/api/v1/tickets", json=ticket, headers=lead_headers).get_json()["id"],
        "plan_id": client.post("/api/v1/visit-plans", json=plan, headers=coordinator_headers).get_json()["id"],
        "webhook_id": hook.id,
    }
    found = []
    for method, path, operation in operations(spec_of(client)):
        names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
        for name in names & {"after", "cursor"}:
            assert method == "get"
            url = path.replace("{record_id}", record_ids.get(path.split("/")[3], "{record_id}"))
            for key, value in ids.items():
                url = url.replace("{" + key + "}", str(value))
            found.append((url, name))
    assert len(found) >= 25 and all("{" not in url for url, _ in found), found
    return found


class TestHostileCursors:
    @pytest.mark.parametrize("label", list(HOSTILE_CURSORS))
    def test_every_cursor_endpoint_refuses_it(self, client, admin, cursor_endpoints, label):
        """A cursor the server did not make is a 422 naming the cursor parameter, on every list."""
        for url, name in cursor_endpoints:
            response = client.get(url, query_string={name: HOSTILE_CURSORS[label]}, headers=admin)
            assert response.status_code == 422, (url, response.get_data(as_text=True))
            assert name in assert_problem(response, 422)["errors"], url

    def test_cursors_it_made_still_page(self, client, admin, make_site):
        """The codec's own cursors keep working: sites page on, and the changes feed takes its cursor back."""
        for number in range(3):
            make_site(name=f"Thôn {number}")
        first = client.get("/api/v1/sites?limit=2", headers=admin).get_json()
        second = client.get(f"/api/v1/sites?limit=2&after={first['next_cursor']}", headers=admin)
        assert second.status_code == 200 and second.get_json()["items"]
        pulled = client.get("/api/v1/sync/changes", headers=admin).get_json()
        assert client.get(f"/api/v1/sync/changes?cursor={pulled['cursor']}", headers=admin).status_code == 200


def json_operations(spec: dict) -> list[tuple[str, str]]:
    """(method, URL) of every operation taking a JSON body, path parameters set to 1."""
    found = []
    for method, path, operation in operations(spec):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


class TestJsonDepth:
    def test_every_json_endpoint_refuses_a_deep_body(self, client, admin):
        """~1,100 levels of nesting is a 400 problem document on every operation that takes JSON, before parsing."""
        targets = json_operations(spec_of(client))
        assert len(targets) >= 20, targets
        for body in ("[" * 1100 + "]" * 1100, '{"a":' * 1100 + "1" + "}" * 1100):
            for method, url in targets:
                response = client.open(url, method=method, data=body, content_type="application/json", headers=admin)
                assert "_body" in assert_problem(response, 400)["errors"], (method, url)

    def test_depth_within_the_limit_reaches_the_schema(self, client, admin):
        """A body just within the limit is parsed, and the field's own depth limit answers (422)."""
        attributes = {"a": 1}
        for _ in range(limits.JSON_MAX_DEPTH - 3):
            attributes = {"a": attributes}
        body = {"name": "Thôn", "kind": "village", "lat": 21.72, "lon": 104.91, "attributes": attributes}
        assert limits.json_depth(json.dumps(body)) < limits.JSON_MAX_DEPTH
        response = client.post("/api/v1/sites", json=body, headers=admin)
        assert "attributes" in assert_problem(response, 422)["errors"]

    def test_scan_ignores_brackets_in_strings(self):
        """Brackets inside strings (escaped quotes included) do not count; an unterminated string is linear."""
        assert limits.json_depth('{"a": "[[[[\\"[[[", "b": [[1]]}') == 3
        assert limits.json_depth('"' + '\\"' * 100_000) == 0
        assert limits.json_depth("[" * 1100) == 1100
        assert limits.json_depth('{"a": "[[[[", "b": [[1]], "c": "]]]]]"}') == 3  # no escape: the quick path
        assert limits.json_depth('[{"a": "{{{{{{') == 2  # unterminated string, no escape

    def test_both_ways_of_skipping_strings_agree(self):
        """Bodies with and without escapes, valid or cut short anywhere: the quick path (no backslash) gives
        what the expression gives."""
        rng = random.Random(8)
        pieces = ["[", "]", "{", "}", '"', '"x"', '"[{"', '"]}"', ":", ",", "1", " ", "é"]
        for _ in range(3000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
            body = text.encode()
            assert b"\\" not in body
            expected = limits.json_depth(body + b' "\\\\"')  # a trailing escaped string: the expression's way
            assert limits.json_depth(body) == expected, text

    def test_sync_record_nested_deep_is_refused(self, client, admin):
        """A phone's batch nested past the limit inside one record is refused whole, as a problem document."""
        record = {"type": "finding", "id": UUID, "extra": json.loads("[" * 70 + "]" * 70)}
        assert_problem(client.post("/api/v1/sync", json={"records": [record]}, headers=admin), 400)


class TestLongUrls:
    def test_over_long_url_is_a_problem_document(self, client, admin):
        """A URL over the app's limit gets a 414 problem document, not the server's HTML page."""
        url = "/api/v1/sites?q=" + "a" * limits.MAX_URL_LENGTH
        response = client.get(url, headers=admin)
        assert response.status_code == 414 and response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 414
        assert client.get("/api/v1/sites?q=" + "a" * 100, headers=admin).status_code == 200

    def test_gunicorn_lets_the_app_answer(self):
        """gunicorn.conf.py passes request lines longer than the app's limit (method and protocol included)."""
        settings: dict = {}
        exec((ROOT / "gunicorn.conf.py").read_text(), settings)
        assert settings["limit_request_line"] >= limits.MAX_URL_LENGTH + len("OPTIONS  HTTP/1.1\r\n")


def string_and_object_fields(spec: dict):
    """(where, property schema) of every string and free-form object in request bodies (what gets stored; query
    parameters are bounded by the URL length)."""
    schemas = spec["components"]["schemas"]

    def resolve(schema):
        while "$ref" in schema:
            schema = schemas[schema["$ref"].split("/")[-1]]
        return schema

    def walk(schema, where):
        schema = resolve(schema)
        for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
            yield from walk(part, where)
        if schema.get("type") == "string" or "additionalProperties" in schema and schema["additionalProperties"]:
            yield where, schema
        for name, child in schema.get("properties", {}).items():
            if not child.get("readOnly"):
                yield from walk(child, f"{where}.{name}")
        if schema.get("type") == "array":
            yield from walk(schema.get("items", {}), f"{where}[]")

    for method, path, operation in operations(spec):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            yield from walk(content["schema"], f"{method} {path}")


class TestFieldSizes:
    def test_every_text_and_json_field_has_a_documented_bound(self, client):
        """Every string has a maxLength (or is an enum, a date-time, a file); every JSON object a byte size."""
        unbounded = []
        for where, schema in string_and_object_fields(spec_of(client)):
            if schema.get("type") == "string":
                if (
                    "maxLength" in schema
                    or "enum" in schema
                    or schema.get("format") in ("date-time", "date", "binary", "uuid")
                ):
                    continue
            elif "x-max-bytes" in schema and "x-max-depth" in schema and "maxProperties" in schema:
                continue
            unbounded.append(where)
        # Raw sync records are each validated by the schema of their type once unpacked.
        assert [where for where in unbounded if not where.startswith("post /api/v1/sync.records")] == []

    def test_ten_megabytes_of_attributes_are_refused(self, client, admin, make_site):
        """A 10 MB attributes value is a 422 on create and on change; nothing is stored."""
        site = make_site()
        huge = {"notes": "x" * 10_000_000}
        body = {"name": "Thôn", "kind": "village", "lat": 21.72, "lon": 104.91, "attributes": huge}
        assert "attributes" in assert_problem(client.post("/api/v1/sites", json=body, headers=admin), 422)["errors"]
        response = client.patch(f"/api/v1/sites/{site.id}", json={"attributes": huge}, headers=admin)
        assert "attributes" in assert_problem(response, 422)["errors"]
        assert client.get(f"/api/v1/sites/{site.id}", headers=admin).get_json()["attributes"] == {}

    @pytest.mark.parametrize(
        "url, field",
        [
            ("/api/v1/sites", "name"),
            ("/api/v1/findings", "description"),
            ("/api/v1/teams", "name"),
        ],
    )
    def test_over_long_text_is_refused(self, client, admin, url, field):
        """Free text over its maximum is a 422 naming the field."""
        response = client.post(url, json={field: "x" * 100_001}, headers=admin)
        assert field in assert_problem(response, 422)["errors"]

    def test_json_object_checks_size_before_depth_overflow(self):
        """The field's own checks are iterative: a value nested far past Python's recursion limit is refused."""
        value: dict = {}
        for _ in range(5000):
            value = {"a": value}
        field = JsonObject(max_bytes=1000, max_depth=4)
        with pytest.raises(Exception, match="levels deep"):
            field.deserialize(value)


class TestEmptyChanges:
    def test_empty_patch_bodies_change_nothing_and_are_refused(self, client, admin, make_site, make_team):
        """An empty PATCH is a 422 "nothing to change" on every PATCH that takes JSON, and the document says
        minProperties: 1."""
        spec = spec_of(client)
        site, team = make_site(), make_team()
        ids = {
            "site_id": site.id,
            "team_id": team.id,
            "user_id": 1,
            "ticket_id": 1,
            "category": "equipment",
            "plan_id": 1,
        }
        patches = [(path, operation) for method, path, operation in operations(spec) if method == "patch"]
        assert len(patches) >= 5, patches
        for path, operation in patches:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            name = schema["$ref"].split("/")[-1]
            assert spec["components"]["schemas"][name].get("minProperties") == 1, path
            url = path.format(**ids)
            response = client.patch(url, json={}, headers=admin)
            if response.status_code == 404:
                continue  # a ticket or user 1 may not exist in this test: the empty body is checked on the others
            assert "Nothing to change" in str(assert_problem(response, 422)["errors"]), url

    def test_token_body_is_optional_in_the_document(self, client, admin):
        """POST /tokens without a body issues a token for the caller, and the document says the body is optional."""
        operation = spec_of(client)["paths"]["/api/v1/tokens"]["post"]
        assert operation["requestBody"].get("required", False) is False
        assert client.post("/api/v1/tokens", headers=admin).status_code == 201


class TestEscapingErrors:
    def test_an_error_after_the_view_is_a_problem_document(self):
        """An exception raised in teardown (after the view answered) becomes a problem+json 503 when the database
        is unreachable, a 500 otherwise; never the server's HTML page."""
        import psycopg
        from flask import Flask

        app = Flask(__name__)
        failure: list[Exception] = []

        @app.get("/")
        def index():
            return {"ok": True}

        @app.teardown_request
        def fail(_exc):
            if failure:
                raise failure[0]

        app.wsgi_app = limits.RequestGuard(app.wsgi_app, retry_after=3)
        client = app.test_client()
        assert client.get("/").get_json() == {"ok": True}
        failure.append(psycopg.OperationalError("server closed the connection unexpectedly"))
        response = client.get("/")
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"] == "3" and response.get_json()["status"] == 503
        failure[0] = RuntimeError("a bug")
        response = client.get("/")
        assert response.status_code == 500 and response.get_json()["status"] == 500


class TestNestedSurveyGroups:
    def test_xlsform_with_groups_nested_past_the_recursion_limit_is_refused(self, client, make_user):
        """An XLSForm with ~1,100 nested groups is a 422 problem document naming the survey sheet, not a 500."""
        from io import BytesIO

        from tests.surveys.xlsforms import SURVEY_HEADER, workbook

        blank = ("",) * (len(SURVEY_HEADER) - 2)
        rows = [("begin_group", f"g{level}", f"G{level}", *blank[1:]) for level in range(1100)]
        rows += [("text", "deep", "Deep", *blank[1:])] + [("end_group", "", "", *blank[1:])] * 1100
        _, headers = make_user("admin")
        response = client.post(
            "/api/v1/surveys/import",
            data={"file": (BytesIO(workbook(survey_rows=rows)), "deep.xlsx")},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert "file" in assert_problem(response, 422)["errors"]
