"""One example of each record kind, as a phone sends it and as the server answers it: the OpenAPI document's
examples of the record endpoints and of ``POST /sync`` (tests load each through its schema). The requests name
no site or visit (a reference must exist in the caller's area, which an example cannot know); the answers show
where they go."""

PLACE = {"lat": 22.3364, "lon": 104.1472}
SENT = {
    "visit": {
        "id": "3c1f6a2e-7b4d-4f0a-9e21-5d8c7b6a4e10", "observed_at": "2026-11-20T08:30:00+07:00", **PLACE,
        "purpose": "đi - nhìn - xử lý: commune service centre", "notes": "", "attendees": 3,
    },
    "equipment_check": {
        "id": "5f1d7c3a-8e2b-4b6f-a0c4-2d9e7b1a3c55", "observed_at": "2026-11-20T09:20:00+07:00", **PLACE,
        "asset_kind": "printer",
        "asset_label": "Canon LBP2900 #2", "condition": "broken", "notes": "paper feed jammed since October",
    },
    "connectivity_reading": {
        "id": "0b6e2c1e-4d0a-4c7e-9a51-3f2d8c1b7a10", "observed_at": "2026-11-20T09:14:05+07:00", **PLACE,
        "network": "4g", "operator_code": "452-04", "operator": "Viettel", "signal_dbm": -97, "down_mbps": 3.5,
        "up_mbps": 0.8, "latency_ms": 120.0, "power_available": True,
    },
    "assistance_log": {
        "id": "9a4c2e7b-1f3d-4e8a-b6c0-7d5e3f2a1b99", "observed_at": "2026-11-20T10:05:00+07:00", **PLACE,
        "service": "digital_id", "citizens_helped": 14, "language_support": 6, "outcome": "accounts activated",
    },
    "finding": {
        "id": "e2b7c9d4-6a1f-4c3e-8b5d-0f9a2c4e6b71", "observed_at": "2026-11-20T10:40:00+07:00", **PLACE,
        "category": "software", "severity": "high", "description": "public-service portal times out",
        "beyond_local_authority": True,
    },
}  # fmt: skip
SERVER_FIELDS = {
    "admin_unit_code": "04603",
    "province_code": "15",
    "h3_cell": "8841596a9bfffff",
    "team_id": 3,
    "author_id": 7,
    "device_id": "phone-7f3a",
    "received_at": "2026-11-20T03:15:02+00:00",
}
STORED = {kind: {**{"site_id": None, "visit_id": None}, **fields, **SERVER_FIELDS} for kind, fields in SENT.items()}
STORED["connectivity_reading"]["dead_spot"] = False
STORED["visit"]["site_id"] = STORED["equipment_check"]["site_id"] = 12
STORED["equipment_check"]["visit_id"] = SENT["visit"]["id"]
LIST_CURSOR = "WyIyMDI2LTExLTIwVDAyOjE0OjA1KzAwOjAwIiwiMGI2ZTJjMWUtNGQwYS00YzdlLTlhNTEtM2YyZDhjMWI3YTEwIl0"


def listed(kind: str) -> dict:
    return {"items": [STORED[kind]], "next_cursor": LIST_CURSOR}


def feature_collection(kind: str) -> dict:
    stored = STORED[kind]
    feature = {
        "type": "Feature",
        "id": stored["id"],
        "geometry": {"type": "Point", "coordinates": [stored["lon"], stored["lat"]]},
        "properties": stored,
    }
    return {"type": "FeatureCollection", "features": [feature], "next_cursor": LIST_CURSOR}


def sync_records() -> list[dict]:
    return [{"type": kind, **fields} for kind, fields in SENT.items()]
