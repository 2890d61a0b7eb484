"""Report pages per province and commune: login, jurisdiction, escaping, the map frame, downloads."""

import pytest

import reports.pages
from tests.helpers import sign_in_with_token
from tests.reports.conftest import C1, OTHER, OTHER_PROVINCE, PROVINCE

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", jurisdiction_code=PROVINCE)[1]


@pytest.fixture
def window(period):
    return {"since": period.since.isoformat(), "until": period.until.isoformat()}


@pytest.fixture(autouse=True)
def english(client):
    """These tests read the English texts: the pages' second language, asked for by the browser."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def page(client, path, headers, **query):
    response = client.get(path, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_pages_need_a_login(client):
    """Without a token or session, off to the login form."""
    response = client.get(f"/reports/provinces/{PROVINCE}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_province_page_shows_tables_and_the_map_frame(client, world, coordinator, window, monkeypatch):
    """The province page has its summary, ranking with parts, communes, teams and coverage, and embeds the map."""
    monkeypatch.setattr(reports.pages, "maps_available", lambda: True)
    html = page(client, f"/reports/provinces/{PROVINCE}", coordinator, **window)
    assert "Investment priorities" in html and "Communes with no visit in the last 90 days" in html
    assert "Xã Tà Xi Láng" in html and "Team A" in html
    assert '<iframe src="/maps/communes?indicator=dead_spot_share&amp;since=' in html
    assert f"&amp;province={PROVINCE}" in html
    assert "Score (sum of contributions)" in html
    assert "Maps are unavailable" not in html


def test_page_says_when_maps_are_unavailable(client, world, coordinator, monkeypatch):
    """Without the maps package's page, the report says so instead of embedding a broken frame."""
    monkeypatch.setattr(reports.pages, "maps_available", lambda: False)
    html = page(client, f"/reports/provinces/{PROVINCE}", coordinator)
    assert "Maps are unavailable" in html and "<iframe" not in html


def test_everything_shown_is_escaped(client, db, world, build, coordinator, make_site):
    """Names typed in the field (sites, teams, asset labels) cannot inject markup."""
    world["team_a"].name = HOSTILE
    site = make_site(commune=C1, kind="village", name=HOSTILE)
    build.reading(C1, 1, dead=True, site=site)
    build.check(C1, 1, "printer", HOSTILE, "broken", site=site)
    db.session.flush()
    for path in (f"/reports/provinces/{PROVINCE}", f"/reports/communes/{C1}"):
        html = page(client, path, coordinator)
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_commune_page_shows_the_score_part_by_part(client, world, coordinator, window):
    """The commune page explains its score and lists its sites and assets."""
    html = page(client, f"/reports/communes/{C1}", coordinator, **window)
    assert "Rank 2 among the places ranked" in html
    assert "People affected" in html and "0.2370" in html
    assert "Thôn Nà Lốc" in html and "Canon LBP2900 #1" in html and "(repeat failure)" in html


def test_report_rows_lead_to_the_tickets(client, db, world, coordinator, window):
    """The commune page lists its open tickets (overdue first), each linking to its ticket page; the province
    page's open and overdue counts per commune link to that commune's queue."""
    import re

    from sqlalchemy import select

    from server.models import Ticket
    from server.models.tickets import ACTIVE_STATUSES

    html = page(client, f"/reports/communes/{C1}", coordinator, **window)
    active = set(
        db.session.scalars(select(Ticket.id).where(Ticket.admin_unit_code == C1, Ticket.status.in_(ACTIVE_STATUSES)))
    )
    listed = [int(found) for found in re.findall(r'<tr class="(?:overdue)?" data-ticket-id="(\d+)"', html)]
    assert len(active) == 3 and sorted(listed) == sorted(active)
    for ticket_id in active:
        assert f'href="/tickets/{ticket_id}"' in html
    assert html.index('class="overdue"') < html.index('<tr class="" data-ticket-id=')  # overdue first
    html = page(client, f"/reports/provinces/{PROVINCE}", coordinator, **window)
    assert f'href="/queues/admin-units/{C1}"' in html and f'href="/queues/admin-units/{C1}?overdue=1"' in html


def test_pages_outside_jurisdiction_are_not_found(client, world, coordinator):
    """Another province or its commune: 404; an unknown code too."""
    for path in (f"/reports/provinces/{OTHER_PROVINCE}", f"/reports/communes/{OTHER}", "/reports/provinces/99"):
        assert client.get(path, headers=coordinator).status_code == 404


def test_budget_on_the_page_shows_a_plan(client, world, coordinator, window):
    """With a budget the page shows the chosen interventions and the rank-by-score comparison."""
    html = page(client, f"/reports/provinces/{PROVINCE}", coordinator, budget="100.000.000", **window)
    assert "Budget 100,000,000\xa0₫" in html and "equipment" in html and "in score order" in html


def test_bad_period_on_the_page_is_reported_and_defaults_used(client, world, coordinator):
    """A mistyped date does not break the page."""
    html = page(client, f"/reports/provinces/{PROVINCE}", coordinator, since="yesterday", budget="lots")
    assert "From: not a date" in html and "Budget: must be a whole positive number" in html


def test_dates_from_the_form_include_the_last_day(client, world, coordinator):
    """``until`` given as a date includes that whole day (Viet Nam time)."""
    html = page(client, f"/reports/communes/{C1}", coordinator, since="2026-01-01", until="2026-01-31")
    assert "Period: 01/01/2026 00:00 to 01/02/2026 00:00" in html


def test_downloads_from_the_page_with_a_browser_session(client, db, world, make_user, window):
    """After logging in with a token, the page's download links work without an Authorization header."""
    from server.auth import issue_token

    user, _ = make_user("coordinator", jurisdiction_code=PROVINCE)
    _, token = issue_token(db.session, user, "browser")
    assert sign_in_with_token(client, token, next_url="/").status_code == 302
    html = page(client, f"/reports/provinces/{PROVINCE}", {}, **window)
    assert "/reports/download/indicators.csv?since=" in html
    response = client.get("/reports/download/indicators.csv", query_string={"province": PROVINCE, **window})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert C1 in response.data.decode("utf-8-sig")
    assert client.get("/reports/download/secrets.csv").status_code == 404
    bad = client.get("/reports/download/plan.csv", query_string={"budget": "0"})
    assert bad.status_code == 422 and "budget" in bad.get_json()["errors"]


def test_page_downloads_read_in_the_persons_language(client, world, coordinator, window):
    """The page's files have translated headers and labels; the API's files keep the column names and codes."""
    query = {"province": PROVINCE, **window}
    people = client.get(
        "/reports/download/equipment.csv", query_string=query, headers={**coordinator, "Accept-Language": "vi"}
    ).data.decode("utf-8-sig")
    header = people.splitlines()[0]
    assert "Tình trạng" in header and "condition" not in header
    api = client.get("/api/v1/reports/equipment", query_string={**query, "format": "csv"}, headers=coordinator)
    assert "condition" in api.data.decode("utf-8-sig").splitlines()[0]
