import re

from openapi_spec_validator import validate

PROBLEM = "application/problem+json"


def resolve(spec: dict, response: dict) -> dict:
    """Follow a `$ref` to components/responses."""
    while "$ref" in response:
        name = response["$ref"].removeprefix("#/components/responses/")
        response = spec["components"]["responses"][name]
    return response


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


def test_openapi_document_is_valid(client):
    """The generated document is a valid OpenAPI 3 description of the API."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert {"/api/v1/sites", "/api/v1/sites.geojson", "/api/v1/admin-units/{code}", "/api/v1/tokens"} <= set(
        spec["paths"]
    )


def test_every_error_response_is_problem_json(client):
    """Each error response (4xx, 5xx) in the document (inline or referenced) has only the problem+json content
    type; a redirect (an attachment's signed URL) has no body."""
    spec = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for name, operation in operations(spec):
        for status, response in operation["responses"].items():
            if re.fullmatch(r"[23]\d\d", status):
                continue
            content = resolve(spec, response).get("content", {})
            assert list(content) == [PROBLEM], f"{name} {status}: {list(content)}"
            checked += 1
    for name, response in spec["components"]["responses"].items():
        assert list(response.get("content", {PROBLEM: {}})) == [PROBLEM], name
    assert checked > 20


def test_error_schema_is_the_problem_document(client):
    """The documented error shape is the one the handlers send: type, title, status, detail, errors."""
    spec = client.get("/api/v1/openapi.json").get_json()
    default = resolve(spec, {"$ref": "#/components/responses/DEFAULT_ERROR"})
    ref = default["content"][PROBLEM]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"type", "title", "status", "detail", "errors"} <= set(schema["properties"])


# How a phone gets its token: the one operation that takes a user name and password instead.
SIGN_IN = "POST /api/v1/tokens/sign-in"


def test_endpoints_declare_bearer_auth(client):
    """Every operation except the document itself and the phones' password sign-in requires the bearer token
    scheme; the sign-in says it needs none."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    missing = [
        name
        for name, operation in operations(spec)
        if name != SIGN_IN and operation.get("security") != [{"bearerAuth": []}]
    ]
    assert missing == []
    assert dict(operations(spec))[SIGN_IN]["security"] == []


def test_docs_page_loads_its_assets_from_the_app(client):
    """The interactive docs page works offline: its scripts and styles come from this server, not a CDN."""
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page)
    assets = re.findall(r"(?:src|href)\s*=\s*[\"']([^\"']+)[\"']", page)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/api/v1/docs/assets/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()


def test_the_record_and_sync_examples_are_valid_and_documented(app):
    """Each record kind's example loads through its schema (as the server would take it), and the record
    endpoints and POST /sync show examples of request and response."""
    from field_app_api.records import examples
    from field_app_api.records.schemas import RECORD_SCHEMAS

    with app.test_request_context():
        for kind, body in examples.SENT.items():
            RECORD_SCHEMAS[kind]().load(body)
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    documented = [
        paths["/api/v1/sync"]["post"]["requestBody"]["content"]["application/json"]["example"],
        paths["/api/v1/sync"]["post"]["responses"]["200"]["content"]["application/json"]["example"],
    ]
    for path in ("visits", "equipment-checks", "connectivity-readings", "assistance-logs", "findings"):
        post = paths[f"/api/v1/{path}"]["post"]
        documented.append(post["requestBody"]["content"]["application/json"]["example"])
        documented.append(post["responses"]["201"]["content"]["application/json"]["example"])
        documented.append(paths[f"/api/v1/{path}"]["get"]["responses"]["200"]["content"]["application/json"]["example"])
        documented.append(
            paths[f"/api/v1/{path}/{{record_id}}"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
        )
    assert all(documented)
    assert [r["type"] for r in documented[0]["records"]] == list(RECORD_SCHEMAS)


def test_the_ticket_and_site_examples_load_and_are_documented(app):
    from field_app_api.sites import examples as site_examples
    from field_app_api.sites.schemas import SiteCreateSchema, SitePatchSchema
    from field_app_api.tickets import examples as ticket_examples
    from field_app_api.tickets.schemas import CommentSchema, TicketCreateSchema, TicketPatchSchema, TransitionSchema

    with app.test_request_context():
        for schema, body in (
            (SiteCreateSchema, site_examples.CREATE),
            (SitePatchSchema, site_examples.PATCH),
            (TicketCreateSchema, ticket_examples.CREATE),
            (TicketPatchSchema, ticket_examples.PATCH),
            (TransitionSchema, ticket_examples.TRANSITION),
            (CommentSchema, ticket_examples.COMMENT),
        ):
            schema().load(body)
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (
        ("/api/v1/sites", "get"),
        ("/api/v1/sites", "post"),
        ("/api/v1/sites/{site_id}", "get"),
        ("/api/v1/sites/{site_id}", "patch"),
        ("/api/v1/tickets", "get"),
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets/{ticket_id}", "get"),
        ("/api/v1/tickets/{ticket_id}", "patch"),
        ("/api/v1/tickets/{ticket_id}/transitions", "post"),
        ("/api/v1/tickets/{ticket_id}/comments", "post"),
    ):
        operation = paths[path][method]
        answers = [r for code, r in operation["responses"].items() if code.startswith("2")]
        assert any("example" in c for r in answers for c in r.get("content", {}).values()), (method, path)
        if method != "get":
            assert operation["requestBody"]["content"]["application/json"]["example"], (method, path)


def json_media(content: dict) -> dict:
    """The JSON representations of a request or response body (JSON, GeoJSON), by media type; CSV, spreadsheet and
    binary alternatives have no JSON example to show."""
    return {media: body for media, body in content.items() if media.split(";")[0].endswith("json")}


def example_problems(spec: dict) -> list[str]:
    """Every JSON request body and every success (2xx) JSON response of every operation that lacks an example, or
    whose example does not validate against its own schema (OpenAPI 3.0 dialect, references resolved in the
    document)."""
    from openapi_schema_validator import OAS30Validator

    def check(where: str, body: dict) -> list[str]:
        if "example" not in body:
            return [f"{where}: no example"]
        schema = {**body.get("schema", {}), "components": spec["components"]}
        errors = sorted(OAS30Validator(schema).iter_errors(body["example"]), key=lambda e: list(e.path))
        return [f"{where}: {'/'.join(map(str, e.path))}: {e.message}" for e in errors[:3]]

    problems = []
    for name, operation in operations(spec):
        request = operation.get("requestBody", {}).get("content", {})
        for media, body in json_media(request).items():
            problems += check(f"{name} request {media}", body)
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                for media, body in json_media(resolve(spec, response).get("content", {})).items():
                    problems += check(f"{name} {status} {media}", body)
    return problems


def test_every_operation_shows_a_valid_example(client):
    """Each operation of the document shows an example of its JSON request body (where it takes one) and of each
    JSON success response, and each example is valid against the schema it illustrates, so the docs page and a
    generated client's authors see real shapes."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert example_problems(spec) == []


def test_the_example_check_catches_a_missing_or_wrong_example(client):
    """The check above is not vacuous: a removed example and an example of the wrong type are both reported."""
    spec = client.get("/api/v1/openapi.json").get_json()
    sites = spec["paths"]["/api/v1/sites"]
    del sites["get"]["responses"]["200"]["content"]["application/json"]["example"]
    created = sites["post"]["requestBody"]["content"]["application/json"]
    created["example"] = {**created["example"], "name": 12}
    problems = example_problems(spec)
    assert "GET /api/v1/sites 200 application/json: no example" in problems
    assert any(p.startswith("POST /api/v1/sites request application/json: name:") for p in problems)
