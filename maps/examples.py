"""Examples of the map layers for the OpenAPI document (a test validates each against its schema): Lào Cai
(province 15), one feature each."""

DEAD_SPOTS = {
    "coarsened": False,
    "dead_spot_share": 0.0667,
    "dead_spots": 14,
    "features": [
        {
            "geometry": {
                "coordinates": [
                    [
                        [104.41254, 21.98783],
                        [104.40921, 22.00076],
                        [104.39542, 22.00491],
                        [104.38496, 21.99613],
                        [104.41254, 21.98783],
                    ]
                ],
                "type": "Polygon",
            },
            "id": "874159136ffffff",
            "properties": {"cell": "874159136ffffff", "dead_spot_share": 0.0444, "dead_spots": 2, "readings": 45},
            "type": "Feature",
        }
    ],
    "readings": 210,
    "resolution": 7,
    "type": "FeatureCollection",
}

EQUIPMENT = {
    "features": [
        {
            "geometry": {"coordinates": [104.409089, 21.992231], "type": "Point"},
            "id": 37,
            "properties": {
                "admin_unit_code": "03091",
                "assets": [
                    {
                        "age_years": 6.5,
                        "asset_kind": "computer",
                        "asset_label": "PC một cửa #1",
                        "condition": "working",
                        "notes": "",
                        "observed_at": "2026-11-19T06:36:00+00:00",
                    }
                ],
                "kind": "commune_service_centre",
                "last_check_at": "2026-11-19T08:14:00+00:00",
                "name": "Trung tâm phục vụ hành chính công Xã Chiềng Ken",
                "site_id": 37,
                "worst_condition": "broken",
            },
            "type": "Feature",
        }
    ],
    "truncated": False,
    "type": "FeatureCollection",
}

TICKETS = {
    "features": [
        {
            "geometry": {"coordinates": [104.839826, 21.600635], "type": "Point"},
            "id": 23,
            "properties": {
                "admin_unit_code": "04564",
                "admin_unit_name": "Xã Việt Hồng",
                "category": "software",
                "created_at": "2026-11-13T11:00:00+00:00",
                "due_at": "2026-11-20T10:00:00+00:00",
                "id": 23,
                "overdue": True,
                "priority": "high",
                "status": "escalated",
                "title": (
                    "Phần mềm: Cổng dịch vụ công quốc gia không truy cập được trong giờ làm việc "
                    "tại Trường tiểu học Xã Việt Hồng"
                ),
            },
            "type": "Feature",
        }
    ],
    "overdue": 3,
    "total": 4,
    "truncated": False,
    "type": "FeatureCollection",
    "without_location": 0,
}

COMMUNES = {
    "boundaries": 0,
    "features": [
        {
            "geometry": {"coordinates": [104.015, 22.4979], "type": "Point"},
            "id": "02647",
            "properties": {
                "area_km2": 72.32,
                "assets": 0,
                "assets_broken": 0,
                "assets_degraded": 0,
                "assets_missing": 0,
                "assets_working": 0,
                "assistance_logs": 0,
                "broken_equipment": 0,
                "citizens_helped": 0,
                "code": "02647",
                "dead_spot_readings": 0,
                "dead_spot_share": None,
                "dead_spots": 0,
                "escalations": 0,
                "fixed_broadband_readings": 0,
                "geometry_source": "centroid",
                "language_support": 0,
                "language_support_share": None,
                "last_visit_at": None,
                "median_hours_to_resolve": None,
                "name": "Phường Lào Cai",
                "oldest_asset_years": None,
                "on_time_rate": None,
                "overdue_tickets": 0,
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
                "value": None,
                "villages_no_service": 0,
                "visits": 0,
            },
            "type": "Feature",
        }
    ],
    "indicator": "dead_spot_share",
    "indicator_label": "Dead-spot share of connectivity readings",
    "type": "FeatureCollection",
}
