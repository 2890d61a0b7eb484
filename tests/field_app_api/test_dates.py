import pytest

from tests.helpers import assert_problem


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/maps/dead-spots?since=9999-12-31T23:59:59-14:00", "since"),
        ("/api/v1/maps/communes?indicator=dead_spot_share&province=15&since=0001-01-01", "since"),
        ("/api/v1/reports/indicators?since=0001-01-01T00:00:00%2B07:00", "since"),
        ("/api/v1/tickets?overdue=true&page=1", None),
        ("/api/v1/connectivity-readings?until=1900-01-01T00:00:00Z", "until"),
    ],
)
def test_dates_outside_the_supported_years_are_invalid_input(client, make_user, url, field):
    """Dates far outside this century are a 422 naming the field on every API, never a 500."""
    _, headers = make_user("admin")
    response = client.get(url, headers=headers)
    if field is None:
        assert response.status_code == 200
    else:
        assert field in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31"])
def test_report_page_falls_back_to_the_default_period(client, make_user, query):
    _, headers = make_user("admin")
    page = client.get(f"/reports/provinces/15?{query}", headers={**headers, "Accept-Language": "en"})
    assert page.status_code == 200 and "default" in page.get_data(as_text=True)
