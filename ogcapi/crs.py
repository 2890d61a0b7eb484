"""Coordinate reference systems of the OGC API (Part 2): CRS84 (longitude, latitude; the default and storage
CRS), EPSG:4326 (latitude, longitude, as that CRS defines its axes) and EPSG:3405, VN-2000 / UTM zone 48N
(easting, northing in metres), the national grid Vietnamese GIS staff work in.

Projection to and from VN-2000 runs in the database (``ST_Transform`` of PostGIS or SpatiaLite, with its EPSG
parameters, Helmert shift to WGS 84 included): one statement per page of features. A second PROJ in the
process (pyproj) would clash with the one SpatiaLite links.
"""

import numpy
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.spatial import is_postgis

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_3405 = "http://www.opengis.net/def/crs/EPSG/0/3405"
SUPPORTED = (CRS84, EPSG_4326, EPSG_3405)
VN2000_UTM48N = 3405
CHUNK = 200  # geometries per statement


def _swap_axes(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda coords: numpy.ascontiguousarray(coords[:, ::-1]))


def _ensure_srid(session: Session) -> None:
    """SpatiaLite databases start with the WGS 84 systems only: add VN-2000 / UTM 48N from its EPSG table."""
    if is_postgis(session):
        return
    known = session.execute(text("SELECT count(*) FROM spatial_ref_sys WHERE srid = :srid"), {"srid": VN2000_UTM48N})
    if not known.scalar():
        session.execute(text("SELECT InsertEpsgSrid(:srid)"), {"srid": VN2000_UTM48N})


def _transform(session: Session, geometries: list[BaseGeometry], source: int, target: int) -> list[BaseGeometry]:
    _ensure_srid(session)
    done: list[BaseGeometry] = []
    for start in range(0, len(geometries), CHUNK):
        chunk = geometries[start : start + CHUNK]
        columns = ", ".join(
            f"ST_AsBinary(ST_Transform(ST_GeomFromWKB(:g{i}, {source}), {target}))" for i in range(len(chunk))
        )
        params = {f"g{i}": shapely.to_wkb(geometry) for i, geometry in enumerate(chunk)}
        row = session.execute(text(f"SELECT {columns}"), params).one()
        done.extend(shapely.from_wkb(bytes(value)) for value in row)
    return done


def from_crs84(session: Session, geometries: list[BaseGeometry | None], target: str) -> list[BaseGeometry | None]:
    """The geometries (CRS84; None stays None) in ``target``'s coordinates and axis order."""
    if target == CRS84:
        return geometries
    if target == EPSG_4326:
        return [_swap_axes(g) if g is not None else None for g in geometries]
    present = [g for g in geometries if g is not None]
    converted = iter(_transform(session, present, 4326, VN2000_UTM48N))
    return [next(converted) if g is not None else None for g in geometries]


def bbox_to_crs84(session: Session, bbox: tuple[float, float, float, float], source: str):
    """A bbox given in ``source`` (its axis order: lat,lon for EPSG:4326) as west, south, east, north in CRS84."""
    if source == CRS84:
        return bbox
    if source == EPSG_4326:
        south, west, north, east = bbox
        return west, south, east, north
    outline = shapely.segmentize(box(*bbox), max_segment_length=(bbox[2] - bbox[0] + bbox[3] - bbox[1]) / 40 or 1)
    (projected,) = _transform(session, [outline], VN2000_UTM48N, 4326)
    west, south, east, north = projected.bounds
    return west, south, east, north
