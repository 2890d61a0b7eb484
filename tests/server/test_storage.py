"""Attachment bytes in the upload folder or in an S3-compatible bucket (moto's server, started here on a loopback
port): upload, read back, refusal outside the area, and the move from disk with checksums."""

import hashlib
import io
import urllib.request
import uuid

import pytest

from server.models import Attachment
from server.storage import LocalStorage, S3Storage, get_storage
from tests.helpers import assert_problem
from tests.records_factory import visit

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3-compatible server (moto) on 127.0.0.1 and a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch):
    """A fresh bucket; boto3 reads the usual AWS variables (moto takes any credentials)."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"fieldops-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def use_bucket(app, monkeypatch, endpoint: str, bucket: str, serve: str = "redirect") -> S3Storage:
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{bucket}/attachments")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", endpoint)
    monkeypatch.setitem(app.config, "STORAGE_SERVE", serve)
    return get_storage(app)


@pytest.fixture(params=["local", "s3"])
def storage(request, app, monkeypatch, tmp_path):
    """Each test runs with the upload folder and with a bucket as the storage."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "STORAGE_URL", None)
    if request.param == "local":
        return get_storage(app)
    return use_bucket(app, monkeypatch, request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket"))


def upload(client, headers, record_id: str, content: bytes, name: str = "photo.jpg"):
    return client.post(
        f"/api/v1/visits/{record_id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def fetch(client, response) -> tuple[bytes, str]:
    """The bytes a browser ends up with: the app's response, or the signed URL it redirects to."""
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location.startswith("http://127.0.0.1:"), location
        with urllib.request.urlopen(location, timeout=10) as answer:  # noqa: S310 (loopback test server)
            return answer.read(), answer.headers["Content-Type"]
    assert response.status_code == 200, response.get_data(as_text=True)
    content = response.get_data()
    response.close()  # releases the file a folder download holds open
    return content, response.mimetype


@pytest.fixture
def member(client, make_user):
    user, headers = make_user("field_member", province="15")
    record = visit()
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()["created"] == 1
    return headers, record["id"]


def test_upload_and_read_back(client, db, storage, member):
    """An upload lands in the storage under its checksum and reads back byte for byte (a bucket answers with a
    redirect to a short-lived signed URL)."""
    headers, record_id = member
    created = upload(client, headers, record_id, JPEG)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    attachment = db.session.get(Attachment, uuid.UUID(body["id"]))
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert storage.exists(attachment.storage_key)
    assert isinstance(storage, S3Storage) or (storage.folder / attachment.storage_key).read_bytes() == JPEG
    answer = client.get(f"/api/v1/attachments/{body['id']}", headers=headers)
    content, mimetype = fetch(client, answer)
    assert content == JPEG and mimetype == "image/jpeg"
    assert answer.headers["X-Checksum-SHA256"] == body["sha256"]
    assert upload(client, headers, record_id, JPEG).status_code == 200  # the same bytes: the first attachment


def test_streamed_from_the_bucket(app, client, db, monkeypatch, s3_endpoint, s3_bucket, member):
    """With FIELDOPS_STORAGE_SERVE=stream the app sends the bucket's bytes itself, PDFs as downloads."""
    monkeypatch.setitem(app.config, "STORAGE_URL", None)
    use_bucket(app, monkeypatch, s3_endpoint, s3_bucket, serve="stream")
    headers, record_id = member
    body = upload(client, headers, record_id, PDF, name="report.pdf").get_json()
    answer = client.get(f"/api/v1/attachments/{body['id']}", headers=headers)
    assert answer.status_code == 200
    assert answer.get_data() == PDF and answer.mimetype == "application/pdf"
    answer.close()
    assert answer.headers["Content-Disposition"].startswith("attachment")


def test_access_refused_outside_the_area(client, storage, two_provinces):
    """A team of Hà Nội neither gets Lào Cai's photo nor a signed URL to it: the same 404 as a missing one."""
    home, away = two_provinces.home, two_provinces.away
    refused = client.get(f"/api/v1/attachments/{home.attachment_id}", headers=away.member_headers)
    body = assert_problem(refused, 404)
    assert "Location" not in refused.headers
    missing = client.get(f"/api/v1/attachments/{uuid.uuid4()}", headers=away.member_headers)
    assert assert_problem(missing, 404)["detail"] == body["detail"]
    content, _ = fetch(client, client.get(f"/api/v1/attachments/{home.attachment_id}", headers=home.member_headers))
    assert content.startswith(b"\xff\xd8\xff")


def test_move_from_disk_checks_every_checksum(app, client, db, monkeypatch, tmp_path, s3_endpoint, s3_bucket, member):
    """Files uploaded to the folder move to the bucket, each checksum checked before and after; a file whose bytes
    changed on disk is reported and not sent; a second run sends nothing again; the files then serve from the
    bucket."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    monkeypatch.setitem(app.config, "STORAGE_URL", None)
    headers, record_id = member
    photo = upload(client, headers, record_id, JPEG).get_json()
    report = upload(client, headers, record_id, PDF, name="report.pdf").get_json()
    assert isinstance(get_storage(app), LocalStorage)
    bucket = use_bucket(app, monkeypatch, s3_endpoint, s3_bucket)
    runner = app.test_cli_runner()

    pdf_key = db.session.get(Attachment, uuid.UUID(report["id"])).storage_key
    (folder / pdf_key).write_bytes(PDF + b"tampered")
    first = runner.invoke(args=["attachments", "move-to-storage"])
    assert first.exit_code == 1, first.output
    assert "1 moved, 0 already there (checked), 0 missing, 1 corrupt on disk, 0 failed" in first.output
    assert not bucket.exists(pdf_key)

    (folder / pdf_key).write_bytes(PDF)
    second = runner.invoke(args=["attachments", "move-to-storage", "--delete-local"])
    assert second.exit_code == 0, second.output
    assert "1 moved, 1 already there (checked), 0 missing, 0 corrupt on disk, 0 failed" in second.output
    assert not any(path.is_file() and not path.name.startswith(".") for path in folder.rglob("*"))

    third = runner.invoke(args=["attachments", "move-to-storage"])
    assert "0 moved, 2 already there (checked), 0 missing" in third.output and third.exit_code == 0
    verified = runner.invoke(args=["attachments", "verify"])
    assert verified.exit_code == 0 and "2 file(s) checked" in verified.output
    for attachment_id, expected in ((photo["id"], JPEG), (report["id"], PDF)):
        content, _ = fetch(client, client.get(f"/api/v1/attachments/{attachment_id}", headers=headers))
        assert content == expected


def test_a_file_missing_from_the_folder_fails_the_move(
    app, client, db, monkeypatch, tmp_path, s3_endpoint, s3_bucket, member
):
    """A file recorded but absent from disk (and from the bucket) is named and the command exits non-zero."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    monkeypatch.setitem(app.config, "STORAGE_URL", None)
    headers, record_id = member
    body = upload(client, headers, record_id, JPEG).get_json()
    (folder / db.session.get(Attachment, uuid.UUID(body["id"])).storage_key).unlink()
    use_bucket(app, monkeypatch, s3_endpoint, s3_bucket)
    result = app.test_cli_runner().invoke(args=["attachments", "move-to-storage"])
    assert result.exit_code == 1
    assert "0 moved, 0 already there (checked), 1 missing" in result.output
    missing = client.get(f"/api/v1/attachments/{body['id']}", headers=headers)
    assert missing.status_code in (302, 404)  # a signed URL to nothing, or a clear 404 when streamed


def test_storage_url_is_checked():
    """A storage URL that is neither s3:// nor file:// is a configuration error at start."""
    from server.errors import ConfigError
    from server.storage import storage_from_settings

    with pytest.raises(ConfigError):
        storage_from_settings("ftp://bucket/x", "/tmp")
    with pytest.raises(ConfigError):
        storage_from_settings("s3:///prefix", "/tmp")
    assert isinstance(storage_from_settings("s3://b/p", "/tmp"), S3Storage)


def test_pages_may_show_images_from_the_bucket(s3_endpoint, s3_bucket):
    """With signed URLs, the pages' Content-Security-Policy lets images come from the bucket's origin."""
    from server import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
            "SECRET_KEY": "csp",
            "STARTUP_CHECK": False,
            "REQUEST_LOG": False,
            "STORAGE_URL": f"s3://{s3_bucket}/attachments",
            "S3_ENDPOINT_URL": s3_endpoint,
        }
    )
    policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    images = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert s3_endpoint in images.split()


def test_ticket_page_files_come_from_the_storage(client, db, storage, make_user):
    """A photo attached to a ticket shows on the ticket's page from the folder or the bucket; a person of another
    province gets the ticket page's 404, not the file."""
    from server.auth import scope_for
    from server.services import tickets
    from server.services.calendar import WorkingCalendar

    lead, headers = make_user("team_lead", province="15")
    ticket = tickets.create_ticket(
        db.session, lead, scope_for(lead), title="Máy in hỏng", category="equipment", admin_unit_code="04603",
        calendar=WorkingCalendar.load(db.session),
    )  # fmt: skip
    photo = client.post(
        f"/api/v1/tickets/{ticket.id}/attachments",
        data={"file": (io.BytesIO(JPEG), "proof.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_data(as_text=True)
    url = f"/tickets/{ticket.id}/files/{photo.get_json()['id']}"
    content, mimetype = fetch(client, client.get(url, headers=headers))
    assert content == JPEG and mimetype == "image/jpeg"
    _, stranger = make_user("field_member", province="01")
    refused = client.get(url, headers=stranger)
    assert refused.status_code == 404 and "Location" not in refused.headers
