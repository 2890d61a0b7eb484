"""One commune, one period, one number per indicator: the map's GeoJSON, the commune report, the province report
and the CSV export all read the indicator core, so they must agree figure by figure."""

import csv
import io

import pytest

from server.indicators import rollups
from server.indicators.figures import FIELDS
from tests.reports.conftest import C1, PROVINCE

BASE = "/api/v1/reports"


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def _csv_text(value) -> str:
    return "" if value is None else str(value)


def test_every_indicator_agrees_across_map_reports_and_export(client, db, world, admin, period):
    """Commune 04603 over the 30-day period: every figure of the commune report is the same on its map feature,
    in its row of the province report and in the province CSV (the map once said 0 broken assets where the
    report said 1, and rounded the dead-spot share to 4 places where the report used 6). The figures come from
    the daily rollups (readings, equipment, tickets, assistance, visits): rebuilt from the raw records, the
    rollups and every figure are the same."""
    window = {"since": period.since.isoformat(), "until": period.until.isoformat()}

    commune = client.get(f"{BASE}/indicators", headers=admin, query_string={"commune": C1, **window}).get_json()
    [commune_row] = commune["items"]
    province = client.get(f"{BASE}/indicators", headers=admin, query_string={"province": PROVINCE, **window})
    province_row = next(row for row in province.get_json()["items"] if row["commune_code"] == C1)
    exported = client.get(
        f"{BASE}/indicators", headers=admin, query_string={"province": PROVINCE, "format": "csv", **window}
    )
    csv_row = next(
        row for row in csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))) if row["commune_code"] == C1
    )
    mapped = client.get(
        "/api/v1/maps/communes",
        headers=admin,
        query_string={"province": PROVINCE, "indicator": "broken_equipment", **window},
    ).get_json()
    feature = next(f["properties"] for f in mapped["features"] if f["id"] == C1)

    # The world's commune has something in every topic, so no figure agrees by being empty everywhere.
    assert commune_row["readings"] == 10 and commune_row["assets_broken"] == 1 and commune_row["assets_missing"] == 1
    assert commune_row["tickets_overdue_now"] == 2 and commune_row["citizens_helped"] == 20
    assert commune_row["visits"] == 1 and commune_row["median_hours_to_resolve"] is not None
    for name in FIELDS:
        value = commune_row[name]
        assert province_row[name] == value, name
        assert feature[name] == value, name
        assert csv_row[name] == _csv_text(value), name
    assert feature["broken_equipment"] == feature["value"] == 2
    assert feature["overdue_tickets"] == commune_row["tickets_overdue_now"]
    assert feature["dead_spot_share"] == commune_row["dead_spot_share"] == 0.4

    incremental = rollups.snapshot(db.session)
    assert incremental["rollup_equipment_daily"] and incremental["rollup_ticket_durations_daily"]
    rollups.rebuild(db.session)
    assert rollups.snapshot(db.session) == incremental
    again = client.get(f"{BASE}/indicators", headers=admin, query_string={"commune": C1, **window}).get_json()
    assert again["items"] == [commune_row]
