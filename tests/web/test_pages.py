"""The shell, languages, labels, formats and error pages of the server-rendered pages."""

from datetime import UTC, date, datetime, timedelta

import pytest

from server.labels import VOCABULARIES, label
from server.models.records import ASSET_KINDS, CATEGORIES, CONDITIONS, NETWORKS, RECORD_MODELS, SERVICES, SEVERITIES
from server.models.sites import SITE_KINDS
from server.models.teams import TEAM_KINDS
from server.models.tickets import PRIORITIES, STATUSES
from server.models.users import ROLES
from tests.helpers import assert_problem, csrf_token, sign_in_with_token

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
MENU = ("/", "/queues/", "/visit-plans", "/maps/", "/reports/", "/surveys/")


def test_every_vocabulary_has_a_label_for_each_code():
    """One label per code the models define, no more, no less."""
    expected = {
        "asset_kind": ASSET_KINDS,
        "site_kind": SITE_KINDS,
        "network": NETWORKS,
        "ticket_status": STATUSES,
        "category": CATEGORIES,
        "team_kind": TEAM_KINDS,
        "role": ROLES,
        "service": SERVICES,
        "record_kind": (*RECORD_MODELS, "ticket", "survey_response"),
        "condition": CONDITIONS,
        "severity": SEVERITIES,
        "priority": PRIORITIES,
    }
    for vocabulary, codes in expected.items():
        assert set(VOCABULARIES[vocabulary]) == set(codes), vocabulary


def test_labels_follow_the_language(app):
    """The same code reads in Vietnamese or English; an unknown code is shown as it is."""
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        app.preprocess_request()
        assert label("youth_volunteer_team", "team_kind") == "Đội thanh niên tình nguyện"
        assert label("escalated", "ticket_status") == "Đã chuyển lên tỉnh"
        assert label("something_new", "category") == "something_new"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        assert label("youth_volunteer_team", "team_kind") == "Youth volunteer team"


def test_formats_in_vietnamese(app):
    """dd/mm/yyyy in Viet Nam time, Vietnamese separators, money in đồng."""
    # Values come in as variables: Jinja would fold filters of constants when it compiles, outside any request.
    render = app.jinja_env.from_string(
        "{{ when|date }} {{ when|datetime }} · {{ n|number(1) }} · {{ share|percent }} · {{ money|vnd }}"
    )
    late_evening_utc = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # 03:30 on 1 December in Viet Nam
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        app.preprocess_request()
        text = render.render(when=late_evening_utc, n=1234.5, share=0.256, money=1500000)
    assert text == "01/12/2026 01/12/2026 03:30 · 1.234,5 · 25,6% · 1.500.000\xa0₫"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        english = app.jinja_env.from_string("{{ day|date }} {{ money|vnd }}").render(
            day=date(2026, 1, 2), money=1500000
        )
        assert english == "02/01/2026 1,500,000\xa0₫"


def test_pages_are_vietnamese_by_default_and_english_when_asked(client, make_user):
    """Vietnamese without a preference; the browser's Accept-Language or the switch's cookie choose English."""
    _, headers = make_user(role="coordinator")
    page = client.get("/", headers=headers).get_data(as_text=True)
    assert '<html lang="vi">' in page and "Tổng quan" in page and "Đăng xuất" in page
    english = client.get("/", headers={**headers, "Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Dashboard" in english and "Sign out" in english
    csrf = csrf_token(client)
    switched = client.post("/language", data={"locale": "en", "next": "/queues/", "csrf_token": csrf})
    assert switched.status_code == 302 and switched.headers["Location"] == "/queues/"
    assert "lang=en" in switched.headers["Set-Cookie"]
    page = client.get("/queues/", headers={**headers, "Accept-Language": "vi"}).get_data(as_text=True)
    assert "Tickets in your area" in page
    client.post("/language", data={"locale": "vi", "csrf_token": csrf})
    assert "Phiếu việc trong địa bàn của bạn" in client.get("/queues/", headers=headers).get_data(as_text=True)


def test_language_switch_refuses_other_sites_and_languages(client):
    """``next`` stays on this site; an unknown language changes nothing."""
    csrf = csrf_token(client)
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/", "csrf_token": csrf})
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"locale": "fr", "next": "/queues/", "csrf_token": csrf})
    assert response.status_code == 302 and "Set-Cookie" not in response.headers


def test_shell_menu_and_area(client, make_user):
    """Every page has the menu; coordinators also get people and teams; the header names the person's area."""
    _, coordinator = make_user(role="coordinator", province="15")
    _, member = make_user(role="field_member", province="15")
    for path in MENU:
        page = client.get(path, headers=coordinator, follow_redirects=True).get_data(as_text=True)
        assert 'action="/language"' in page and 'href="/"' in page, path
        if path == "/maps/":  # map pages: a way back, the other maps and the language in their own bar
            continue
        assert all(f'href="{entry}"' in page for entry in MENU) and 'action="/logout"' in page, path
        assert 'href="/people"' in page and 'href="/teams"' in page and "Lào Cai" in page, path
    page = client.get("/", headers=member).get_data(as_text=True)
    assert 'href="/people"' not in page and "Thành viên tổ/đội" in page


def test_dashboard_counts_link_to_their_lists(client, db, make_user, make_site):
    """An overdue ticket shows in the open and overdue tiles, each linking to the queue that lists it."""
    from server.auth import scope_for
    from server.services.tickets import create_ticket

    user, headers = make_user(role="coordinator", province="15")
    make_site(commune="04603")
    from server.services.calendar import WorkingCalendar

    ticket = create_ticket(
        db.session,
        user,
        scope_for(user),
        title="Máy in hỏng",
        category="equipment",
        admin_unit_code="04603",
        calendar=WorkingCalendar(),
    )
    ticket.due_at = datetime.now(UTC) - timedelta(days=2)
    db.session.flush()
    page = client.get("/", headers=headers).get_data(as_text=True)
    assert 'href="/queues/" data-tile="open_tickets"' in page
    assert 'href="/queues/?overdue=1" data-tile="overdue_tickets" class="alert"' in page
    assert 'data-tile="unvisited_communes"' in page and 'href="/maps/dead-spots"' in page
    queue = client.get("/queues/?overdue=1", headers=headers).get_data(as_text=True)
    assert "Máy in hỏng" in queue and "quá hạn" in queue and "Thiết bị" in queue


def test_surveys_page_lists_the_surveys(client, db, make_user):
    """The surveys page reads the surveys service."""
    from surveys.services import load_builtin

    load_builtin(db.session)
    _, headers = make_user()
    page = client.get("/surveys/", headers=headers).get_data(as_text=True)
    assert "commune_service_centre_checklist" in page and "Phiếu khảo sát và bảng kiểm" in page


@pytest.mark.parametrize("path", ["/no-such-page", "/queues/admin-units/99999"])
def test_browsers_get_an_error_page_in_the_shell(client, make_user, path):
    """A browser gets the error as a page with a way back; an API client gets problem+json."""
    _, headers = make_user()
    response = client.get(path, headers={**headers, **BROWSER})
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Không tìm thấy" in page and 'href="/"' in page and "Về trang tổng quan" in page
    assert_problem(client.get(path, headers={**headers, "Accept": "application/json"}), 404)
    assert_problem(client.get(path, headers=headers), 404)


def test_unknown_page_keeps_the_menu_of_the_signed_in_person(client, make_user):
    """A path no view serves still shows the signed-in person's shell and menu, with a way back."""
    _, headers = make_user(role="coordinator")
    anonymous = client.get("/no-such-page", headers=BROWSER)
    assert anonymous.status_code == 404 and 'href="/queues/"' not in anonymous.get_data(as_text=True)
    assert sign_in_with_token(client, headers["Authorization"].split()[1]).status_code == 302
    page = client.get("/no-such-page", headers=BROWSER)
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert all(f'href="{entry}"' in html for entry in MENU) and 'href="/people"' in html


def test_method_not_allowed_page_for_browsers(client):
    """405 keeps its Allow header on the HTML page too."""
    response = client.delete("/login", headers=BROWSER)
    assert response.status_code == 405 and response.mimetype == "text/html" and "GET" in response.headers["Allow"]


def test_api_problems_follow_accept_language(client):
    """Under /api/ the problem document stays JSON, in the language of Accept-Language (English without one)."""
    body = assert_problem(client.get("/api/v1/me", headers={"Accept-Language": "vi", **BROWSER}), 401)
    assert body["title"] == "Chưa đăng nhập" and "Authorization" in body["detail"]
    body = assert_problem(client.get("/api/v1/me"), 401)
    assert body["title"] == "Unauthorized"
    body = assert_problem(client.get("/api/v1/nowhere", headers={"Accept-Language": "vi"}), 404)
    assert body["title"] == "Không tìm thấy" and body["type"] == "about:blank"


def test_stylesheet_is_served_as_a_static_file(client):
    """One stylesheet, mobile first, from the app itself."""
    with client.get("/static/fieldops.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert "@media (min-width" in response.get_data(as_text=True)
