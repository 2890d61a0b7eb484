"""Small helpers shared by the test modules (fixtures live in conftest.py)."""

import json
from pathlib import Path

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem document with this status; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert {"type", "title", "status"} <= body.keys()
    assert body["status"] == status
    return body


def square(lon: float, lat: float, size: float = 0.05) -> dict:
    """A GeoJSON polygon: the square with its south-west corner at (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def write_boundaries(tmp_path: Path, features: list[dict]) -> Path:
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path
