"""Compressed responses, gzip request bodies, and content-hashed static URLs with long cache lifetimes."""

import gzip
import io
import re
import zlib

import brotli
import pytest
from sqlalchemy import func, select

from server.models import ConnectivityReading
from tests.helpers import assert_problem
from tests.records_factory import reading

LAO_CAI = "15"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.fixture
def coordinator(make_user, make_site):
    """A coordinator of Lao Cai with a few sites there, so that pages and exports have rows."""
    for number in range(6):
        make_site(commune="04603", lat=21.70 + number / 100, lon=104.90, name=f"Thôn {number}")
    return make_user("coordinator", province=LAO_CAI)[1]


def leaflet_url(client) -> str:
    """The hashed URL of leaflet.js, as the map pages emit it."""
    page = client.get("/maps/dead-spots").get_data(as_text=True)
    return re.search(r'src="(/maps/assets/leaflet/leaflet\.js\?v=\w+)"', page).group(1)


TEXT_RESPONSES = {
    "page": (f"/reports/provinces/{LAO_CAI}", "text/html"),
    "json": (f"/api/v1/admin-units?parent={LAO_CAI}", "application/json"),
    "geojson": (f"/api/v1/maps/equipment?province={LAO_CAI}", "application/geo+json"),
    "openapi": ("/api/v1/openapi.json", "application/json"),
    "csv": (f"/api/v1/reports/indicators?province={LAO_CAI}&format=csv", "text/csv"),
}


@pytest.mark.parametrize("coding", ["gzip", "br"])
@pytest.mark.parametrize("kind", [*TEXT_RESPONSES, "map asset"])
def test_text_responses_are_compressed(client, coordinator, kind, coding):
    """Pages, JSON, GeoJSON, the OpenAPI document, CSV and the map assets come compressed in the coding the
    client asks for, decode to the same bytes as the plain response, and say Vary: Accept-Encoding."""
    if kind == "map asset":
        client.environ_base.update({"HTTP_AUTHORIZATION": coordinator["Authorization"]})
        path, mimetype = leaflet_url(client), "text/javascript"
    else:
        path, mimetype = TEXT_RESPONSES[kind]
    plain = client.get(path, headers={**coordinator, "Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.mimetype == mimetype, plain.get_data(as_text=True)[:300]
    assert "Content-Encoding" not in plain.headers
    packed = client.get(path, headers={**coordinator, "Accept-Encoding": coding})
    assert packed.status_code == 200 and packed.mimetype == mimetype
    assert packed.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = packed.get_data()
    assert len(body) < len(plain.get_data())
    if kind != "page":  # a page may carry a per-request value (a CSRF token)
        assert DECODE[coding](body) == plain.get_data()
    else:
        assert DECODE[coding](body).decode()[:40] == plain.get_data(as_text=True)[:40]


def test_brotli_is_preferred_on_a_tie_and_quality_zero_is_respected(client):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_tiny_and_already_compressed_responses_are_sent_as_they_are(client, coordinator):
    """Under 500 bytes, or an image or xlsx file: no Content-Encoding."""
    tiny = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})
    assert tiny.status_code == 200 and "Content-Encoding" not in tiny.headers
    image = client.get("/maps/assets/leaflet/images/layers-2x.png", headers={"Accept-Encoding": "gzip, br"})
    assert image.status_code == 200 and image.mimetype == "image/png" and "Content-Encoding" not in image.headers
    xlsx = client.get(
        f"/api/v1/reports/indicators?province={LAO_CAI}&format=xlsx",
        headers={**coordinator, "Accept-Encoding": "gzip, br"},
    )
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK" and "Content-Encoding" not in xlsx.headers


def test_dynamic_responses_stay_no_store_when_compressed(client, coordinator):
    response = client.get(TEXT_RESPONSES["json"][0], headers={**coordinator, "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"


# Static assets


def test_static_urls_carry_the_content_hash_and_change_with_the_file(app, client, tmp_path, monkeypatch):
    """``url_for('static', ...)`` names the file's content; the hashed URL is cached for a year, immutable;
    editing the file gives a new URL, and the old one is only revalidated."""
    from flask import url_for

    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    style = tmp_path / "site.css"
    style.write_text("body { color: #222; }\n" * 40, encoding="utf-8")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
    assert re.fullmatch(r"/static/site\.css\?v=[0-9a-f]{12}", first)

    response = client.get(first, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == style.read_bytes()

    style.write_text("body { color: #000; }\n" * 40, encoding="utf-8")
    with app.test_request_context():
        second = url_for("static", filename="site.css")
    assert second != first
    assert client.get(second).get_data() == style.read_bytes()
    stale = client.get(first)
    assert stale.headers["Cache-Control"] == "public, no-cache"
    assert stale.get_data() == style.read_bytes()


def test_static_files_answer_conditional_requests(app, client, tmp_path, monkeypatch):
    """A browser revalidating what it holds (plain or compressed) gets 304 without the body."""
    from flask import url_for

    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "app.js").write_text("console.log('fieldops');\n" * 50, encoding="utf-8")
    with app.test_request_context():
        url = url_for("static", filename="app.js")
    for coding in ("identity", "gzip", "br"):
        first = client.get(url, headers={"Accept-Encoding": coding})
        again = client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"", coding
    assert client.get("/static/missing.js").status_code == 404
    assert client.get("/static/../__init__.py").status_code == 404


def test_map_and_docs_pages_link_hashed_assets_cached_for_a_year(client, coordinator):
    """The Leaflet files on map pages and the Swagger UI files on the docs page have content-hashed URLs
    served with the long cache lifetime."""
    client.environ_base.update({"HTTP_AUTHORIZATION": coordinator["Authorization"]})
    page = client.get("/maps/dead-spots").get_data(as_text=True)
    map_assets = re.findall(r'(?:src|href)="(/maps/assets/[^"]+)"', page)
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    docs_assets = re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', docs)
    assert map_assets and docs_assets
    for url in map_assets:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
    for url in docs_assets:
        assert re.match(r"/api/v1/docs/assets/[0-9a-f]{12}/", url), url
    for url in map_assets + docs_assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    other = re.sub(r"/assets/[0-9a-f]{12}/", "/assets/000000000000/", docs_assets[0])
    assert client.get(other).headers["Cache-Control"] == "public, no-cache"


# gzip request bodies


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6)


@pytest.fixture
def member(make_user, make_site):
    make_site(commune="04603", lat=21.72, lon=104.92)
    return make_user("field_member", province=LAO_CAI)[1]


def _sync_body(records) -> bytes:
    from flask import json

    return json.dumps({"device_id": "phone-gz", "records": records}).encode()


def test_gzip_sync_body_is_accepted_and_stored_once(client, db, member):
    """A gzip batch is stored like a plain one; sending it again stores nothing twice."""
    records = [reading() for _ in range(30)]
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    body = _gzip(_sync_body(records))
    first = client.post("/api/v1/sync", data=body, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["created"] == 30
    again = client.post("/api/v1/sync", data=body, headers=headers)
    assert again.get_json()["duplicate"] == 30
    assert db.session.scalar(select(func.count()).select_from(ConnectivityReading)) == 30


def test_gzip_body_of_several_members_and_json_api_posts(client, member):
    """Concatenated gzip members make one body (RFC 1952), and any JSON POST accepts gzip, not only sync."""
    records = [reading() for _ in range(4)]
    raw = _sync_body(records)
    body = _gzip(raw[:50]) + _gzip(raw[50:])
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert client.post("/api/v1/sync", data=body, headers=headers).get_json()["created"] == 4
    single = {key: value for key, value in reading().items() if key != "type"}
    from flask import json

    response = client.post("/api/v1/connectivity-readings", data=_gzip(json.dumps(single).encode()), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)


def test_gzip_bomb_is_refused_with_413_without_inflating_it(client, app, member, monkeypatch):
    """100 MB of zeros (about 100 KB compressed) against a 1 MB limit: 413 problem+json, and the inflater
    stops within one chunk past the limit instead of producing 100 MB."""
    import server.compression as compression

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(100)) + packer.flush()
    assert len(bomb) < 200_000

    inflated_sizes = []
    real_decompressobj = zlib.decompressobj

    class Counting:
        def __init__(self, *args, **kwargs):
            self.inner = real_decompressobj(*args, **kwargs)

        def decompress(self, data, max_length=0):
            out = self.inner.decompress(data, max_length)
            inflated_sizes.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(compression.zlib, "decompressobj", Counting)
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    body = assert_problem(client.post("/api/v1/sync", data=bomb, headers=headers), 413)
    assert "inflates to more than" in body["detail"]
    assert sum(inflated_sizes) <= 1024 * 1024 + 1


def test_compressed_size_over_the_limit_is_413_before_inflating(client, app, member, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    assert_problem(client.post("/api/v1/sync", data=bytes(4096), headers=headers), 413)


@pytest.mark.parametrize(
    "body",
    [
        b"this is not gzip at all",
        gzip.compress(b'{"records": []}')[:-6],  # truncated
        gzip.compress(b'{"records": []}')[:12] + b"\xff" * 20,  # corrupt deflate data
    ],
    ids=["not-gzip", "truncated", "corrupt"],
)
def test_corrupt_gzip_body_is_400(client, member, body):
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    problem = assert_problem(client.post("/api/v1/sync", data=body, headers=headers), 400)
    assert "gzip" in problem["detail"]


@pytest.mark.parametrize("coding", ["br", "deflate", "compress", "gzip, gzip"])
def test_unknown_content_encoding_is_415(client, member, coding):
    headers = {**member, "Content-Type": "application/json", "Content-Encoding": coding}
    response = client.post("/api/v1/sync", data=b"{}", headers=headers)
    assert_problem(response, 415)
    assert response.headers["Accept-Encoding"] == "gzip"


def test_identity_and_plain_bodies_still_work(client, member):
    from flask import json

    headers = {**member, "Content-Type": "application/json", "Content-Encoding": "identity"}
    body = json.dumps({"records": [reading()]})
    assert client.post("/api/v1/sync", data=body, headers=headers).get_json()["created"] == 1


def test_gzip_multipart_upload_is_inflated_for_form_parsing(client, member):
    """Form bodies go through the same inflation (the form parser reads the inflated stream)."""
    boundary = "fieldopsboundary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nxin chào\r\n--{boundary}--\r\n'
    ).encode()
    from flask import request

    packed = _gzip(raw)
    with client.application.test_request_context(
        "/any",
        method="POST",
        input_stream=io.BytesIO(packed),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Content-Encoding": "gzip", "Content-Length": str(len(packed))},
    ):
        from server.compression import inflate_request_body

        inflate_request_body()
        assert request.form["note"] == "xin chào"
