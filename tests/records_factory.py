"""Builders of field-record payloads as a phone sends them."""

import uuid
from datetime import UTC, datetime, timedelta

# Near the official centroid of commune 04603 Tà Xi Láng (Lao Cai, province 15): placed there without boundaries.
LAT, LON = 21.48, 104.60


def observed(hours_ago: float = 1.0) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).astimezone().isoformat()


def reading(**fields) -> dict:
    return {
        "type": "connectivity_reading",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "lat": LAT,
        "lon": LON,
        "network": "none",
        "operator_code": "452-04",
        "operator": "Viettel",
        "signal_dbm": None,
        "down_mbps": None,
        "up_mbps": None,
        "latency_ms": None,
        "power_available": True,
        **fields,
    }


def equipment_check(**fields) -> dict:
    return {
        "type": "equipment_check",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "lat": LAT,
        "lon": LON,
        "asset_kind": "printer",
        "asset_label": "Canon LBP2900 #2",
        "condition": "broken",
        "notes": "paper feed jammed since October",
        **fields,
    }


def visit(**fields) -> dict:
    return {
        "type": "visit",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "lat": LAT,
        "lon": LON,
        "purpose": "go - observe - handle",
        **fields,
    }


def assistance_log(**fields) -> dict:
    return {
        "type": "assistance_log",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "lat": LAT,
        "lon": LON,
        "service": "digital_id",
        "citizens_helped": 14,
        "language_support": 6,
        "outcome": "accounts activated",
        **fields,
    }


def finding(**fields) -> dict:
    return {
        "type": "finding",
        "id": str(uuid.uuid4()),
        "observed_at": observed(),
        "lat": LAT,
        "lon": LON,
        "category": "software",
        "severity": "high",
        "description": "public-service portal times out",
        "beyond_local_authority": False,
        **fields,
    }


BUILDERS = [reading, equipment_check, visit, assistance_log, finding]


def mixed_batch(size: int, bad: int = 0) -> tuple[list[dict], set[int]]:
    """``size`` records of all kinds; ``bad`` of them (spread out) invalid. Returns records and bad indexes."""
    records = [BUILDERS[i % len(BUILDERS)](lat=LAT + (i % 50) * 0.0002) for i in range(size)]
    bad_indexes = set(range(0, size, size // bad)) if bad else set()
    for index in bad_indexes:
        records[index]["lat"] = 123.0
    return records, bad_indexes


def without_type(record: dict) -> dict:
    return {name: value for name, value in record.items() if name != "type"}
