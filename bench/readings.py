"""Deterministic connectivity-reading payloads, as a phone sends them to ``POST /api/v1/sync``."""

import random
import uuid
from datetime import datetime, timedelta, timezone

ICT = timezone(timedelta(hours=7))
OPERATORS = (("452-01", "MobiFone"), ("452-02", "VinaPhone"), ("452-04", "Viettel"))
# network: (share of readings, download Mbps range, whether the phone reports a radio signal)
NETWORKS = {
    "none": (0.12, None, False),
    "2g": (0.08, (0.01, 0.3), True),
    "3g": (0.15, (0.2, 8.0), True),
    "4g": (0.40, (1.0, 80.0), True),
    "5g": (0.08, (50.0, 900.0), True),
    "fixed_broadband": (0.07, (5.0, 100.0), False),
    "fiber": (0.07, (20.0, 300.0), False),
    "satellite": (0.03, (5.0, 150.0), False),
}
# Around commune 04603 (Lao Cai, province 15).
LAT_RANGE, LON_RANGE = (21.6, 21.9), (104.8, 105.0)


def connectivity_readings(count: int, seed: int = 1, now: datetime | None = None) -> list[dict]:
    """``count`` readings from ``seed``: same seed, same ids, places and values (times are relative to ``now``)."""
    rng = random.Random(seed)
    now = (now or datetime.now(ICT)).astimezone(ICT)
    names = list(NETWORKS)
    weights = [share for share, _, _ in NETWORKS.values()]
    readings = []
    for _ in range(count):
        network = rng.choices(names, weights)[0]
        _, down_range, has_signal = NETWORKS[network]
        operator_code, operator = rng.choice(OPERATORS)
        down = round(rng.uniform(*down_range), 2) if down_range else None
        readings.append(
            {
                "type": "connectivity_reading",
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "observed_at": (now - timedelta(seconds=rng.randint(60, 30 * 86400))).isoformat(timespec="seconds"),
                "lat": round(rng.uniform(*LAT_RANGE), 6),
                "lon": round(rng.uniform(*LON_RANGE), 6),
                "network": network,
                "operator_code": operator_code,
                "operator": operator,
                "signal_dbm": rng.randint(-125, -60) if has_signal else None,
                "down_mbps": down,
                "up_mbps": round(down * rng.uniform(0.1, 0.5), 2) if down else None,
                "latency_ms": round(rng.uniform(15, 900), 1) if down else None,
                "power_available": rng.random() > 0.1,
            }
        )
    return readings
