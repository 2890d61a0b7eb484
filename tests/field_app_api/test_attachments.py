import hashlib
import io

import pytest

from tests.helpers import assert_problem
from tests.records_factory import LAT, LON, finding, without_type

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture
def stored_finding(client, make_user, make_site):
    make_site(commune="04603", lat=LAT, lon=LON)
    user, headers = make_user("field_member", province="15")
    record = finding()
    assert client.post("/api/v1/findings", json=without_type(record), headers=headers).status_code == 201
    return record["id"], headers, user


def upload(client, record_id, headers, data, name="photo.jpg"):
    return client.post(
        f"/api/v1/findings/{record_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_photo_upload_is_stored_once_and_served_back(client, stored_finding):
    """A JPEG is stored with its checksum; sending it again returns the same attachment; it downloads intact."""
    record_id, headers, _ = stored_finding
    first = upload(client, record_id, headers, JPEG)
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest() and body["content_type"] == "image/jpeg"
    again = upload(client, record_id, headers, JPEG, name="retry.jpg")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    listed = client.get(f"/api/v1/findings/{record_id}/attachments", headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    download = client.get(f"/api/v1/attachments/{body['id']}", headers=headers)
    data = download.data
    download.close()
    assert download.status_code == 200 and data == JPEG and download.mimetype == "image/jpeg"


def test_content_decides_the_type_not_the_name(client, stored_finding):
    """An HTML file named photo.jpg is refused (415) naming the field."""
    record_id, headers, _ = stored_finding
    body = assert_problem(upload(client, record_id, headers, b"<html><script>alert(1)</script></html>"), 415)
    assert "file" in body["errors"]


def test_oversized_attachment_is_refused(app, client, stored_finding):
    record_id, headers, _ = stored_finding
    saved = app.config["ATTACHMENT_MAX_BYTES"]
    app.config["ATTACHMENT_MAX_BYTES"] = 100
    try:
        assert_problem(upload(client, record_id, headers, JPEG), 413)
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = saved


def test_missing_file_names_the_field(client, stored_finding):
    record_id, headers, _ = stored_finding
    response = client.post(
        f"/api/v1/findings/{record_id}/attachments", data={}, headers=headers, content_type="multipart/form-data"
    )
    assert "file" in assert_problem(response, 422)["errors"]


def test_attachments_are_private_to_those_who_may_read_the_record(client, stored_finding, make_user):
    """A user of another province gets 404 for the record's attachments and for the file itself."""
    record_id, headers, _ = stored_finding
    attachment_id = upload(client, record_id, headers, JPEG).get_json()["id"]
    _, outsider = make_user("field_member", province="01")
    assert_problem(client.get(f"/api/v1/attachments/{attachment_id}", headers=outsider), 404)
    assert_problem(client.get(f"/api/v1/findings/{record_id}/attachments", headers=outsider), 404)
    assert_problem(upload(client, record_id, outsider, JPEG), 404)
