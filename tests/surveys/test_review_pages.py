"""The review pages without a browser: the list with its filters, one response beside its photo and point, the
review posted through the page (with its audit event), and the refusals: 403 for a field member, 404 outside the
area, a stale version shown as changed meanwhile (409), a missing comment next to its field (422)."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import csrf_token, sign_in_with_token
from tests.surveys.answers import CHECKLIST, response

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def sent(client, builtin, member, site):
    """A checklist answered by the member, with a photo on its visit."""
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    reply = client.post(
        f"/api/v1/surveys/{survey.id}/versions/1/responses", json=response(CHECKLIST, site.id), headers=headers
    )
    assert reply.status_code == 201, reply.get_json()
    stored = reply.get_json()
    photo = client.post(
        f"/api/v1/visits/{stored['visit_id']}/attachments",
        data={"file": (io.BytesIO(JPEG), "may-in.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_data(as_text=True)
    return stored


def page(client, headers, path, **kwargs):
    return client.get(path, headers={**headers, "Accept-Language": "vi"}, **kwargs)


def test_the_list_filters_by_state_form_and_commune(client, sent, make_user, builtin):
    _, coordinator = make_user("coordinator", province="15")
    html = page(client, coordinator, "/surveys/reviews/").get_data(as_text=True)
    assert sent["id"] in html and "Đã nhận" in html
    assert sent["id"] in page(client, coordinator, "/surveys/reviews/?state=received&commune=04603").get_data(
        as_text=True
    )
    assert sent["id"] not in page(client, coordinator, "/surveys/reviews/?state=approved").get_data(as_text=True)
    other = builtin["village_connectivity_survey"].id
    assert sent["id"] not in page(client, coordinator, f"/surveys/reviews/?survey={other}").get_data(as_text=True)


def test_one_response_beside_its_photo_and_point(client, sent, make_user):
    _, lead = make_user("team_lead", province="15")
    reply = page(client, lead, f"/surveys/reviews/{sent['id']}")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "Số cán bộ được phân công" in html  # the question's Vietnamese label
    assert "<svg" in html and "21.72" in html
    photo = re.search(r'src="(/surveys/reviews/[^"]+/files/[^"]+)"', html).group(1)
    with client.get(photo, headers=lead) as reply:
        assert reply.data == JPEG


def test_a_review_through_the_page(client, app, sent, make_user, monkeypatch):
    """Posted with the version shown: saved with its event; the same version again is 'changed meanwhile'."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    _, coordinator = make_user("coordinator", province="15")
    path = f"/surveys/reviews/{sent['id']}"
    missing = client.post(path, data={"state": "has_issues", "comment": "", "version": 1}, headers=coordinator)
    assert missing.status_code == 422 and 'class="error"' in missing.get_data(as_text=True)
    done = client.post(path, data={"state": "has_issues", "comment": "Thiếu ảnh", "version": 1}, headers=coordinator)
    assert done.status_code == 302
    html = page(client, coordinator, path).get_data(as_text=True)
    assert "Cần bổ sung, sửa" in html and "Thiếu ảnh" in html
    stale = client.post(path, data={"state": "approved", "comment": "", "version": 1}, headers=coordinator)
    assert stale.status_code == 409 and 'id="stale"' in stale.get_data(as_text=True)


def test_who_may_open_the_review_pages(client, sent, member, make_user):
    _, headers = member
    assert page(client, headers, "/surveys/reviews/").status_code == 403
    assert page(client, headers, f"/surveys/reviews/{sent['id']}").status_code == 403
    _, elsewhere = make_user("coordinator", province="01")
    assert page(client, elsewhere, f"/surveys/reviews/{sent['id']}").status_code == 404


def test_the_review_form_carries_the_csrf_token(client, sent, make_user):
    """Signed in with a browser session, the form posts only with its CSRF token."""
    from server.auth import issue_token
    from server.extensions import db

    user, _ = make_user("coordinator", province="15")
    _, token = issue_token(db.session, user, "browser")
    sign_in_with_token(client, token)
    path = f"/surveys/reviews/{sent['id']}"
    refused = client.post(path, data={"state": "approved", "version": 1})
    assert refused.status_code == 400
    saved = client.post(path, data={"state": "approved", "version": 1, "csrf_token": csrf_token(client, path)})
    assert saved.status_code == 302


def test_the_list_pages_with_a_next_page_link(client, builtin, member, site, make_user, monkeypatch):
    """The list shows a page at a time, newest first: following "next page" (the API's cursor, kept with the
    filters) shows every response exactly once, two of them sent at the same instant; a cursor the server did not
    make is a 422 page in Vietnamese."""
    from server.web import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    _, headers = member
    survey = builtin["commune_service_centre_checklist"]
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    moments = [base, base, base + timedelta(hours=1), base + timedelta(hours=2), base - timedelta(days=1)]
    sent_ids = []
    for moment in moments:
        body = response(CHECKLIST, site.id, observed_at=moment.isoformat())
        reply = client.post(f"/api/v1/surveys/{survey.id}/versions/1/responses", json=body, headers=headers)
        assert reply.status_code == 201, reply.get_json()
        sent_ids.append(body["id"])
    _, coordinator = make_user("coordinator", province="15")
    path, seen, pages = f"/surveys/reviews/?survey={survey.id}", [], 0
    while path and pages < 10:
        html = page(client, coordinator, path).get_data(as_text=True)
        seen += re.findall(r'href="/surveys/reviews/([0-9a-f-]{36})"', html)
        following = re.search(r'<a href="([^"]+)" rel="next">Trang sau</a>', html)
        path = following.group(1).replace("&amp;", "&") if following else None
        assert path is None or f"survey={survey.id}" in path
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(sent_ids) and len(set(seen)) == len(seen)
    assert seen[:2] == [sent_ids[3], sent_ids[2]] and seen[-1] == sent_ids[4]
    browser = {**coordinator, "Accept-Language": "vi", "Accept": "text/html"}
    refused = client.get("/surveys/reviews/?after=W3RydWVd", headers=browser)
    assert refused.status_code == 422 and refused.mimetype == "text/html"
    assert "Con trỏ không hợp lệ" in refused.get_data(as_text=True)
