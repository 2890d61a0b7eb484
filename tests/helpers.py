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


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a browser would find in the form of the page at ``path`` (the session cookie follows)."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def sign_in_with_token(client, token: str, next_url: str | None = None):
    """Post the token form of /login as a browser would (with the CSRF token)."""
    data = {"token": token, "csrf_token": csrf_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)
