"""Examples of the report endpoints for the OpenAPI document (a test validates each against its schema): Lào Cai
(province 15) over a quarter, one row each, as the JSON answer and as the GeoJSON download."""

JSON = {
    "operators": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "items": [
            {
                "dead_spot_readings": 4,
                "dead_spot_share": 0.1176,
                "operator_code": "452-01",
                "operator_name": "MobiFone",
                "readings": 34,
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
    "indicators": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "items": [
            {
                "assets": 0,
                "assets_broken": 0,
                "assets_degraded": 0,
                "assets_missing": 0,
                "assets_working": 0,
                "assistance_logs": 0,
                "citizens_helped": 0,
                "commune_code": "02647",
                "commune_name": "Phường Lào Cai",
                "dead_spot_readings": 0,
                "dead_spot_share": None,
                "escalations": 0,
                "fixed_broadband_readings": 0,
                "language_support": 0,
                "language_support_share": None,
                "last_visit_at": None,
                "median_hours_to_resolve": None,
                "oldest_asset_years": None,
                "on_time_rate": None,
                "population": None,
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
                "readings": 0,
                "repeat_failure_assets": 0,
                "share_working": None,
                "sites_measured": 0,
                "sites_no_fixed_broadband": 0,
                "sites_no_power": 0,
                "sites_no_service": 0,
                "tickets_open_now": 0,
                "tickets_opened": 0,
                "tickets_overdue_now": 0,
                "tickets_resolved": 0,
                "tickets_resolved_on_time": 0,
                "villages_no_service": 0,
                "visits": 0,
            }
        ],
        "level": "commune",
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
    "investment-priorities": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "items": [
            {
                "assets": 9,
                "assets_broken": 2,
                "assets_missing": 2,
                "citizens_helped": 36,
                "code": "04387",
                "dead_spot_readings": 1,
                "dead_spot_share": 0.0278,
                "fixed_broadband_readings": 0,
                "name": "Xã Châu Quế",
                "parts": [
                    {
                        "contribution": 0.0083,
                        "name": "dead_spot_share",
                        "normalised": 0.0278,
                        "note": "",
                        "raw": 0.0278,
                        "weight": 0.3,
                    }
                ],
                "place_kind": "commune",
                "population": None,
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
                "rank": 1,
                "readings": 36,
                "score": 0.1219,
                "tickets_open_now": 2,
                "tickets_overdue_now": 2,
            }
        ],
        "method": (
            "score = sum over parts of weight x normalised; normalised = min(raw / cap, 1); "
            "a part without data counts 0 (see each part's note)"
        ),
        "parts": [
            {
                "cap": 1.0,
                "description": "Share of connectivity readings with no usable service",
                "name": "dead_spot_share",
                "unit": "share",
                "weight": 0.3,
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
        "total": 6,
    },
    "plan": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "budget": 20000000000,
        "budget_unit": 15000000,
        "candidates": 4,
        "costs": {
            "equipment": 15000000,
            "fibre": 600000000,
            "fibre_min_dead_spot_share": 0.1,
            "tower": 2500000000,
            "tower_min_dead_spot_share": 0.3,
        },
        "exact": True,
        "gap_closed": 0.1,
        "items": [
            {
                "closes": [{"assets": 4, "gap_closed": 0.08, "part": "broken_equipment"}],
                "code": "04387",
                "cost": 60000000,
                "gap_closed": 0.08,
                "gap_closed_per_billion_vnd": 1.3333,
                "intervention": "equipment",
                "name": "Xã Châu Quế",
                "place_kind": "commune",
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
                "quantity": 4,
                "rank": 1,
                "score": 0.1219,
                "unit_cost": 15000000,
            }
        ],
        "method": "0/1 knapsack by dynamic programming over the budget in units of 15,000,000 VND (exact)",
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
        "rank_by_score": {"gap_closed": 0.1, "places": ["04387"], "total_cost": 75000000},
        "total_cost": 75000000,
        "unspent": 19925000000,
        "weights": {
            "assistance_demand": 0.1,
            "broken_equipment": 0.2,
            "dead_spot_share": 0.3,
            "open_tickets": 0.1,
            "overdue_tickets": 0.1,
            "people_affected": 0.2,
        },
    },
    "on-time": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "group_by": "commune",
        "items": [
            {
                "commune_code": "02788",
                "commune_name": "Xã Bản Lầu",
                "escalations": 0,
                "median_hours_to_resolve": 103.79,
                "on_time_rate": 1.0,
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
                "tickets_open_now": 0,
                "tickets_opened": 1,
                "tickets_overdue_now": 0,
                "tickets_resolved": 1,
                "tickets_resolved_on_time": 1,
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
    "assistance": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "group_by": ["commune"],
        "items": [
            {
                "assistance_logs": 2,
                "citizens_helped": 26,
                "commune_code": "02788",
                "commune_name": "Xã Bản Lầu",
                "language_support": 2,
                "language_support_share": 0.0769,
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
    "unvisited": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "as_of": "2026-11-30T03:00:00+00:00",
        "communes": [
            {
                "commune_code": "02647",
                "commune_name": "Phường Lào Cai",
                "days_since_visit": None,
                "last_visit_at": None,
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
            }
        ],
        "days": 90,
        "provinces": [
            {
                "communes": 99,
                "province_code": "15",
                "province_name": "Tỉnh Lào Cai",
                "unvisited": 93,
                "unvisited_share": 0.9394,
            }
        ],
    },
    "equipment": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "items": [
            {
                "age_years": 10.6,
                "asset_kind": "printer",
                "asset_label": "Canon LBP2900 #2",
                "commune_code": "03091",
                "condition": "degraded",
                "failures_in_period": 0,
                "last_checked_at": "2026-11-19T04:41:00+00:00",
                "province_code": "15",
                "repeat_failure": False,
                "site_id": 37,
                "site_name": "Trung tâm phục vụ hành chính công Xã Chiềng Ken",
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
    "visit-plans": {
        "area": {"commune": None, "province": "15", "reviewed_only": False},
        "group_by": "commune",
        "items": [
            {
                "commune_code": "03106",
                "commune_name": "Xã Dương Quỳ",
                "completion_rate": 0.0,
                "fulfilled": 0,
                "missed": 4,
                "overdue_now": 4,
                "province_code": "15",
                "waiting_now": 1,
                "windows_ended": 4,
            }
        ],
        "period": {"since": "2026-09-03T00:00:00+07:00", "until": "2026-12-02T00:00:00+07:00"},
    },
}

GEOJSON = {
    "operators": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "operator_code": "452-01",
                    "operator_name": "MobiFone",
                    "readings": 34,
                    "dead_spot_readings": 4,
                    "dead_spot_share": 0.1176,
                },
            }
        ],
    },
    "indicators": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.015, 22.4979]},
                "properties": {
                    "province_code": "15",
                    "province_name": "Tỉnh Lào Cai",
                    "commune_code": "02647",
                    "commune_name": "Phường Lào Cai",
                    "population": None,
                    "readings": 0,
                    "dead_spot_readings": 0,
                    "dead_spot_share": None,
                    "fixed_broadband_readings": 0,
                    "sites_measured": 0,
                    "sites_no_service": 0,
                    "villages_no_service": 0,
                    "sites_no_fixed_broadband": 0,
                    "sites_no_power": 0,
                    "assets": 0,
                    "assets_working": 0,
                    "assets_degraded": 0,
                    "assets_broken": 0,
                    "assets_missing": 0,
                    "share_working": None,
                    "oldest_asset_years": None,
                    "repeat_failure_assets": 0,
                    "tickets_opened": 0,
                    "tickets_resolved": 0,
                    "tickets_resolved_on_time": 0,
                    "on_time_rate": None,
                    "tickets_open_now": 0,
                    "tickets_overdue_now": 0,
                    "median_hours_to_resolve": None,
                    "escalations": 0,
                    "assistance_logs": 0,
                    "citizens_helped": 0,
                    "language_support": 0,
                    "language_support_share": None,
                    "visits": 0,
                    "last_visit_at": None,
                },
            }
        ],
    },
    "investment-priorities": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.458, 22.0246]},
                "properties": {
                    "rank": 1,
                    "place_kind": "commune",
                    "code": "04387",
                    "name": "Xã Châu Quế",
                    "province_code": "15",
                    "province_name": "Tỉnh Lào Cai",
                    "population": None,
                    "score": 0.1219,
                    "dead_spot_share_raw": 0.0278,
                    "dead_spot_share_normalised": 0.0278,
                    "dead_spot_share_weight": 0.3,
                    "dead_spot_share_contribution": 0.0083,
                    "people_affected_raw": None,
                    "people_affected_normalised": 0.0,
                    "people_affected_weight": 0.2,
                    "people_affected_contribution": 0.0,
                    "broken_equipment_raw": 4,
                    "broken_equipment_normalised": 0.4,
                    "broken_equipment_weight": 0.2,
                    "broken_equipment_contribution": 0.08,
                    "open_tickets_raw": 2,
                    "open_tickets_normalised": 0.1,
                    "open_tickets_weight": 0.1,
                    "open_tickets_contribution": 0.01,
                    "overdue_tickets_raw": 2,
                    "overdue_tickets_normalised": 0.2,
                    "overdue_tickets_weight": 0.1,
                    "overdue_tickets_contribution": 0.02,
                    "assistance_demand_raw": 36,
                    "assistance_demand_normalised": 0.036,
                    "assistance_demand_weight": 0.1,
                    "assistance_demand_contribution": 0.0036,
                    "dead_spot_share": 0.0278,
                    "readings": 36,
                    "dead_spot_readings": 1,
                    "fixed_broadband_readings": 0,
                    "assets": 9,
                    "assets_broken": 2,
                    "assets_missing": 2,
                    "tickets_open_now": 2,
                    "tickets_overdue_now": 2,
                    "citizens_helped": 36,
                },
            }
        ],
    },
    "plan": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.458, 22.0246]},
                "properties": {
                    "rank": 1,
                    "place_kind": "commune",
                    "code": "04387",
                    "name": "Xã Châu Quế",
                    "province_code": "15",
                    "province_name": "Tỉnh Lào Cai",
                    "score": 0.1219,
                    "intervention": "equipment",
                    "quantity": 4,
                    "unit_cost": 15000000,
                    "cost": 60000000,
                    "gap_closed": 0.08,
                    "gap_closed_per_billion_vnd": 1.3333,
                    "closes": [{"part": "broken_equipment", "gap_closed": 0.08, "assets": 4}],
                },
            }
        ],
    },
    "on-time": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.07, 22.5943]},
                "properties": {
                    "province_code": "15",
                    "province_name": "Tỉnh Lào Cai",
                    "commune_code": "02788",
                    "commune_name": "Xã Bản Lầu",
                    "tickets_opened": 1,
                    "tickets_resolved": 1,
                    "tickets_resolved_on_time": 1,
                    "on_time_rate": 1.0,
                    "tickets_open_now": 0,
                    "tickets_overdue_now": 0,
                    "median_hours_to_resolve": 103.79,
                    "escalations": 0,
                },
            }
        ],
    },
    "unvisited": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.015, 22.4979]},
                "properties": {
                    "province_code": "15",
                    "province_name": "Tỉnh Lào Cai",
                    "commune_code": "02647",
                    "commune_name": "Phường Lào Cai",
                    "last_visit_at": None,
                    "days_since_visit": None,
                },
            }
        ],
    },
    "equipment": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.395, 21.9828]},
                "properties": {
                    "province_code": "15",
                    "commune_code": "03091",
                    "site_id": 37,
                    "site_name": "Trung tâm phục vụ hành chính công Xã Chiềng Ken",
                    "asset_kind": "printer",
                    "asset_label": "Canon LBP2900 #2",
                    "condition": "degraded",
                    "age_years": 10.6,
                    "failures_in_period": 0,
                    "repeat_failure": False,
                    "last_checked_at": "2026-11-19T04:41:00+00:00",
                },
            }
        ],
    },
    "visit-plans": {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [104.152, 22.0253]},
                "properties": {
                    "province_code": "15",
                    "commune_code": "03106",
                    "commune_name": "Xã Dương Quỳ",
                    "windows_ended": 4,
                    "fulfilled": 0,
                    "missed": 4,
                    "completion_rate": 0.0,
                    "waiting_now": 1,
                    "overdue_now": 4,
                },
            }
        ],
    },
}
