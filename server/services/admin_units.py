"""Loading the official list of provinces and communes, boundaries, and finding the unit of a point."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit
from server.spatial import SRID, contains_point


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def official_units() -> list[dict]:
    """Provinces and communes/wards from the ``vietnam-provinces`` package, with zero-padded official codes."""
    from vietnam_provinces import Province, Ward

    units = []
    for province in Province.iter_all():
        units.append(
            {
                "code": f"{int(province.code):02d}",
                "level": "province",
                "name": province.name,
                "codename": province.codename,
                "division_type": province.division_type.value,
                "parent_code": None,
            }
        )
    for ward in Ward.iter_all():
        units.append(
            {
                "code": f"{int(ward.code):05d}",
                "level": "commune",
                "name": ward.name,
                "codename": ward.codename,
                "division_type": ward.division_type.value,
                "parent_code": f"{int(ward.province_code):02d}",
            }
        )
    return units


def load_official_units(session: Session) -> LoadReport:
    """Insert or update every unit; running it twice changes nothing the second time."""
    report = LoadReport()
    existing = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
    fields = ("level", "name", "codename", "division_type", "parent_code")
    for data in sorted(official_units(), key=lambda d: (d["level"] != "province", d["code"])):
        unit = existing.get(data["code"])
        if unit is None:
            session.add(AdminUnit(**data))
            report.created += 1
        elif any(getattr(unit, name) != data[name] for name in fields):
            for name in fields:
                setattr(unit, name, data[name])
            report.updated += 1
        else:
            report.unchanged += 1
        if data["level"] == "province":
            session.flush()
    session.flush()
    return report


@dataclass
class BoundaryReport:
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


CODE_PROPERTIES = ("code", "ma", "ma_xa", "ma_tinh", "ward_code", "province_code", "admin_code")


def _feature_code(properties: dict, code_property: str | None) -> str | None:
    names = (code_property,) if code_property else CODE_PROPERTIES
    for name in names:
        value = properties.get(name)
        if value not in (None, ""):
            text = str(value).strip()
            return text.zfill(5) if len(text) > 2 else text.zfill(2)
    return None


def import_boundaries(session: Session, path: Path, code_property: str | None = None) -> BoundaryReport:
    """Attach polygons from a GeoJSON FeatureCollection (WGS 84) to units matched by official code."""
    report = BoundaryReport()
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    units = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
    for index, feature in enumerate(collection.get("features", [])):
        properties = feature.get("properties") or {}
        code = _feature_code(properties, code_property)
        label = f"feature {index} (code {code!r}, name {properties.get('name', '')!r})"
        unit = units.get(code) if code else None
        if unit is None:
            report.unmatched.append(label)
            continue
        try:
            geometry = shape(feature["geometry"])
        except Exception:  # noqa: BLE001  (any malformed geometry is reported, not fatal)
            report.invalid.append(label)
            continue
        if geometry.geom_type == "Polygon":
            geometry = MultiPolygon([geometry])
        if geometry.geom_type != "MultiPolygon" or geometry.is_empty:
            report.invalid.append(label)
            continue
        if not geometry.is_valid:
            geometry = geometry.buffer(0)
            if geometry.geom_type == "Polygon":
                geometry = MultiPolygon([geometry])
        unit.boundary = from_shape(geometry, srid=SRID)
        unit.centroid = from_shape(geometry.representative_point(), srid=SRID)
        report.matched.append(code)
    session.flush()
    return report


def commune_at(session: Session, lon: float, lat: float) -> AdminUnit | None:
    """The commune whose boundary contains the point, if commune boundaries are loaded."""
    return session.scalars(
        select(AdminUnit)
        .where(AdminUnit.level == "commune", AdminUnit.boundary.is_not(None))
        .where(contains_point(session, AdminUnit.boundary, lon, lat))
        .limit(1)
    ).first()
