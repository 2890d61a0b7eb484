"""Indicators computed in SQL against hand-counted expectations (see conftest.py), on both backends."""

import pytest

from reports.indicators import indicator_rows
from reports.parameters import Area
from server.auth import Scope
from server.indicators.assistance import assistance_table
from server.indicators.connectivity import site_connectivity
from server.indicators.equipment import asset_list
from server.indicators.tickets import on_time_rows, tickets_by
from server.indicators.visits import unvisited
from tests.reports.conftest import C1, C2, C3, OTHER, PROVINCE

EVERYWHERE = Scope(everywhere=True)
LAO_CAI = Scope(provinces=frozenset({PROVINCE}))


def row_of(rows, code):
    [row] = [row for row in rows if row["commune_code"] == code]
    return row


def test_dead_spot_share_and_sites_without_service(db, world, period, now):
    """4 dead spots in 10 readings of the period: 0.4; the village had no service, no broadband and no power."""
    rows = indicator_rows(db.session, LAO_CAI, Area(province=PROVINCE), period, "commune", now)
    c1 = row_of(rows, C1)
    assert (c1["readings"], c1["dead_spot_readings"], c1["dead_spot_share"]) == (10, 4, 0.4)
    assert c1["fixed_broadband_readings"] == 1
    assert c1["sites_measured"] == 2
    assert (c1["sites_no_service"], c1["villages_no_service"]) == (1, 1)
    assert (c1["sites_no_fixed_broadband"], c1["sites_no_power"]) == (1, 1)
    c2 = row_of(rows, C2)
    assert (c2["readings"], c2["dead_spot_share"], c2["sites_measured"]) == (5, 1.0, 0)
    c3 = row_of(rows, C3)
    assert (c3["readings"], c3["dead_spot_share"], c3["population"]) == (0, None, None)
    assert OTHER not in {row["commune_code"] for row in rows}


def test_sites_of_a_commune(db, world, period):
    """Each measured site says what it lacks."""
    sites = {s["site_name"]: s for s in site_connectivity(db.session, LAO_CAI, Area(PROVINCE, C1), period)}
    assert sites["Thôn Nà Lốc"]["no_service"] and sites["Thôn Nà Lốc"]["no_power"]
    assert sites["Thôn Nà Lốc"]["no_fixed_broadband"]
    school = sites["Trường tiểu học"]
    assert (school["no_service"], school["no_fixed_broadband"], school["no_power"]) == (False, False, False)
    assert school["dead_spot_share"] == 0.5


def test_equipment_by_latest_condition_with_repeat_failures(db, world, period, now):
    """Printer broken again after a repair (repeat failure), a working computer, a scanner missing since before."""
    c1 = row_of(indicator_rows(db.session, LAO_CAI, Area(PROVINCE, C1), period, "commune", now), C1)
    assert (c1["assets"], c1["assets_working"], c1["assets_broken"], c1["assets_missing"]) == (3, 1, 1, 1)
    assert c1["assets_degraded"] == 0
    assert c1["share_working"] == pytest.approx(1 / 3, abs=1e-6)
    assert c1["oldest_asset_years"] == 7.0
    assert c1["repeat_failure_assets"] == 1
    assets = asset_list(db.session, LAO_CAI, Area(PROVINCE, C1), period)
    assert [a["asset_kind"] for a in assets] == ["printer", "computer", "scanner"]  # oldest first, unknown age last
    printer = assets[0]
    assert (printer["condition"], printer["failures_in_period"], printer["repeat_failure"]) == ("broken", 2, True)
    assert printer["site_name"] == "Thôn Nà Lốc"
    assert assets[2]["failures_in_period"] == 0  # went missing before the period


def test_on_time_rate_overdue_median_and_escalations(db, world, period, now):
    """3 resolved in the period, 2 by their due date (one exactly on it): 2/3; median of 192, 240, 240 h is 240 h;
    the reopened ticket is not resolved but overdue; the escalated one is open and not yet due."""
    c1 = tickets_by(db.session, LAO_CAI, Area(PROVINCE), period, "commune", now)[C1]
    assert c1 == {
        "tickets_opened": 6,
        "tickets_resolved": 3,
        "tickets_resolved_on_time": 2,
        "on_time_rate": pytest.approx(2 / 3, abs=1e-6),
        "tickets_open_now": 3,
        "tickets_overdue_now": 2,
        "median_hours_to_resolve": 240.0,
        "escalations": 1,
    }


def test_on_time_by_team_with_even_median(db, world, period, now):
    """Team A resolved 2 (1 on time): 50%, median of 192 h and 240 h is 216 h; team B 1 of 1."""
    rows = {row["team_name"]: row for row in on_time_rows(db.session, LAO_CAI, Area(), period, "team", now)}
    assert (rows["Team A"]["on_time_rate"], rows["Team A"]["median_hours_to_resolve"]) == (0.5, 216.0)
    assert (rows["Team B"]["on_time_rate"], rows["Team B"]["median_hours_to_resolve"]) == (1.0, 240.0)
    assert rows["(no team)"]["tickets_overdue_now"] == 2


def test_province_row_adds_up_its_communes_and_unplaced_records(db, world, period, now):
    """The province row counts every record of the province, including those placed in no commune."""
    [row] = indicator_rows(db.session, LAO_CAI, Area(PROVINCE), period, "province", now)
    assert (row["readings"], row["dead_spot_readings"]) == (10 + 5 + 4, 4 + 5 + 3)
    assert row["on_time_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert (row["citizens_helped"], row["language_support"], row["language_support_share"]) == (20, 6, 0.3)
    assert row["commune_code"] is None and row["province_name"]


def test_assistance_by_service_team_and_week(db, world, period):
    """Citizens helped per (week, team, service); language support share per row."""
    rows = assistance_table(db.session, LAO_CAI, Area(PROVINCE), period)
    assert sorted((r["service"], r["team_name"], r["citizens_helped"], r["language_support_share"]) for r in rows) == [
        ("digital_id", "Team A", 14, pytest.approx(6 / 14, abs=1e-6)),
        ("e_payment", "Team A", 6, 0.0),
    ]
    assert all(len(r["week"]) == 10 for r in rows)
    by_service = assistance_table(db.session, LAO_CAI, Area(PROVINCE), period, ("service",))
    assert [(r["service"], r["citizens_helped"]) for r in by_service] == [("digital_id", 14), ("e_payment", 6)]


def test_week_starts_on_monday_in_viet_nam_time(db, build, now):
    """Sunday 20:00 UTC is already Monday in Viet Nam: it counts in the new week, on both backends."""
    from datetime import UTC, datetime

    from reports.parameters import Period

    sunday_evening_utc = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # Monday 2 March 03:00 in Viet Nam
    build.now = sunday_evening_utc
    build.assistance(C1, 0, "digital_id", 3, 0)
    db.session.flush()
    window = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    [row] = assistance_table(db.session, EVERYWHERE, Area(commune=C1), window, ("week",))
    assert row["week"] == "2026-03-02"


def test_unvisited_communes_per_province(db, world, now):
    """With 30 days: 04465 (visited 100 days ago) and 04456 (never) are listed, 04603 (5 days ago) is not."""
    result = unvisited(db.session, LAO_CAI, Area(PROVINCE), now, 30)
    listed = {row["commune_code"]: row for row in result["communes"]}
    assert C1 not in listed
    assert listed[C2]["days_since_visit"] == 100 and listed[C3]["last_visit_at"] is None
    [summary] = result["provinces"]
    assert summary["unvisited"] == summary["communes"] - 1
    assert (
        unvisited(db.session, LAO_CAI, Area(PROVINCE), now, 200)["provinces"][0]["unvisited"] == summary["communes"] - 2
    )


def test_scope_limits_every_figure(db, world, period, now):
    """A team answering only for commune 04465 sees none of 04603's records."""
    scope = Scope(communes=frozenset({C2}))
    rows = indicator_rows(db.session, scope, Area(), period, "commune", now)
    assert [row["commune_code"] for row in rows] == [C2]
    [province] = indicator_rows(db.session, scope, Area(), period, "province", now)
    assert (province["readings"], province["assets"], province["tickets_opened"]) == (5, 0, 0)
