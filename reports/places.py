"""Geometry of report rows for GeoJSON: a commune's (or province's) boundary, else its centroid, else none;
an H3 cell's hexagon."""

from collections.abc import Callable, Iterable

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit
from server.spatial import geojson_geometry


def h3_polygon(cell: str) -> dict:
    ring = [[round(lng, 7), round(lat, 7)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def unit_geometries(session: Session, codes: Iterable[str]) -> dict[str, dict]:
    """GeoJSON geometry of each admin unit that has one (boundary preferred), in one query."""
    codes = sorted({code for code in codes if code})
    if not codes:
        return {}
    found = {}
    for code, boundary, centroid in session.execute(
        select(AdminUnit.code, AdminUnit.boundary, AdminUnit.centroid).where(
            AdminUnit.code.in_(codes), (AdminUnit.boundary.isnot(None)) | (AdminUnit.centroid.isnot(None))
        )
    ):
        found[code] = geojson_geometry(boundary if boundary is not None else centroid)
    return found


def geometry_of_rows(session: Session, rows: list[dict]) -> Callable[[dict], dict | None]:
    """A function giving each row its geometry: ranked places (``place_kind``/``code``), or rows naming a
    commune (``commune_code``) or only a province (``province_code``)."""

    def place(row: dict) -> tuple[str, str | None]:
        if "place_kind" in row:
            return row["place_kind"], row["code"]
        return "unit", row.get("commune_code") or row.get("province_code")

    geometries = unit_geometries(session, (code for kind, code in map(place, rows) if kind != "h3_cell"))

    def geometry(row: dict) -> dict | None:
        kind, code = place(row)
        if kind == "h3_cell":
            return h3_polygon(code) if code and h3.is_valid_cell(code) else None
        return geometries.get(code)

    return geometry
