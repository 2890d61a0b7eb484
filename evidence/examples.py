"""Example of the coverage evidence summary for the OpenAPI document (a test validates it against its schema):
Viettel (452-04) in Lào Cai (province 15)."""

SUMMARY = {
    "communes": [
        {
            "commune": "02788",
            "days": 3,
            "dead_spot_share": 0.0,
            "dead_spots": 0,
            "down_mbps_median": 17.1,
            "down_mbps_p10": 5.72,
            "first_observed_at": "2026-11-04T04:35:00+00:00",
            "last_observed_at": "2026-11-14T04:27:00+00:00",
            "name": "Xã Bản Lầu",
            "readings": 7,
            "signal_dbm_median": -93.0,
            "signal_dbm_p10": -110.0,
            "sites": [{"id": 42, "kind": "health_station", "name": "Trạm y tế Xã Bản Lầu"}],
            "teams": 2,
        }
    ],
    "dead_spots": 3,
    "not_qualifying_cells": [
        {
            "cell": "8841591365fffff",
            "communes": [{"code": "03091", "name": "Xã Chiềng Ken"}],
            "days": 2,
            "dead_spot_share": 0.0,
            "dead_spots": 0,
            "down_mbps_median": 14.3,
            "down_mbps_p10": 12.06,
            "first_observed_at": "2026-11-03T02:39:00+00:00",
            "last_observed_at": "2026-11-12T01:58:00+00:00",
            "qualifies": False,
            "readings": 2,
            "signal_dbm_median": -106.0,
            "signal_dbm_p10": -107.6,
            "sites": [],
            "teams": 2,
        }
    ],
    "operator": {"code": "452-04", "name": "Viettel"},
    "province": {"code": "15", "name": "Tỉnh Lào Cai"},
    "qualifying_cells": [
        {
            "cell": "8841591369fffff",
            "communes": [{"code": "03091", "name": "Xã Chiềng Ken"}],
            "days": 4,
            "dead_spot_share": 0.4231,
            "dead_spots": 11,
            "down_mbps_median": 1.2,
            "down_mbps_p10": 0.3,
            "first_observed_at": "2026-11-03T02:10:00+00:00",
            "last_observed_at": "2026-11-21T08:45:00+00:00",
            "qualifies": True,
            "readings": 26,
            "signal_dbm_median": -112.0,
            "signal_dbm_p10": -118.0,
            "sites": [
                {"id": 37, "kind": "commune_service_centre", "name": "Trung tâm phục vụ hành chính công Xã Chiềng Ken"}
            ],
            "teams": 2,
        }
    ],
    "readings": 109,
    "since": "2026-09-01T00:00:00+07:00",
    "thresholds": {"min_days": 3, "min_readings": 20, "min_teams": 2},
    "until": "2026-12-01T00:00:00+07:00",
}
