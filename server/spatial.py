"""Spatial SQL that works the same on PostGIS and SpatiaLite.

Geometry enters and leaves as shapely objects at the edges; filtering happens in SQL and uses the
spatial index on both backends (GiST on PostGIS, the R*Tree ``SpatialIndex`` table on SpatiaLite,
which SQLite does not consult on its own).
"""

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point, mapping
from sqlalchemy import ColumnElement, and_, func, literal_column, text
from sqlalchemy.orm import Session

SRID = 4326


def is_postgis(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def point(lon: float, lat: float):
    return from_shape(Point(lon, lat), srid=SRID)


def lon_lat(geom) -> tuple[float, float]:
    shape = to_shape(geom)
    return shape.x, shape.y


def geojson_geometry(geom) -> dict | None:
    return mapping(to_shape(geom)) if geom is not None else None


def _spatialite_index_hits(column, frame_sql: str, **params):
    return literal_column(f"{column.table.name}.ROWID").in_(
        text(
            "SELECT ROWID FROM SpatialIndex WHERE f_table_name = :_table AND f_geometry_column = :_column "
            f"AND search_frame = {frame_sql}"
        ).bindparams(_table=column.table.name, _column=column.name, **params)
    )


def within_bbox(session: Session, column, bbox: tuple[float, float, float, float]) -> ColumnElement[bool]:
    """Rows whose geometry intersects the box (west, south, east, north)."""
    west, south, east, north = bbox
    if is_postgis(session):
        return func.ST_Intersects(column, func.ST_MakeEnvelope(west, south, east, north, SRID))
    box = func.BuildMbr(west, south, east, north, SRID)
    return and_(
        _spatialite_index_hits(column, "BuildMbr(:_w, :_s, :_e, :_n, 4326)", _w=west, _s=south, _e=east, _n=north),
        func.ST_Intersects(column, box) == 1,
    )


def contains_point(session: Session, column, lon: float, lat: float) -> ColumnElement[bool]:
    """Rows whose polygon geometry contains the point."""
    if is_postgis(session):
        return func.ST_Contains(column, func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID))
    return and_(
        _spatialite_index_hits(column, "MakePoint(:_x, :_y, 4326)", _x=lon, _y=lat),
        func.ST_Contains(column, func.MakePoint(lon, lat, SRID)) == 1,
    )


# Batch lookups: one statement for many points (the sync path places thousands of records at once).
BATCH_CHUNK = 500

_PG_COMMUNES_AT = """
SELECT p.idx, a.code
FROM unnest(CAST(:idx AS int[]), CAST(:lon AS float8[]), CAST(:lat AS float8[])) AS p(idx, lon, lat)
JOIN LATERAL (
    SELECT code FROM admin_units a
    WHERE a.level = 'commune' AND ST_Contains(a.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
    LIMIT 1
) a ON true
"""

_SL_COMMUNES_AT = """
WITH p(idx, lon, lat) AS (VALUES {values})
SELECT p.idx, (
    SELECT a.code FROM admin_units a
    WHERE a.level = 'commune'
      AND a.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'admin_units'
                      AND f_geometry_column = 'boundary' AND search_frame = MakePoint(p.lon, p.lat, 4326))
      AND ST_Contains(a.boundary, MakePoint(p.lon, p.lat, 4326)) = 1
    LIMIT 1
) FROM p
"""


def _batch_lookup(
    session: Session, points: dict[int, tuple[float, float]], pg_sql: str, sl_sql: str, **params
) -> dict[int, str]:
    found: dict[int, str] = {}
    items = list(points.items())
    for start in range(0, len(items), BATCH_CHUNK):
        chunk = items[start : start + BATCH_CHUNK]
        if is_postgis(session):
            statement = text(pg_sql).bindparams(
                idx=[i for i, _ in chunk], lon=[p[0] for _, p in chunk], lat=[p[1] for _, p in chunk], **params
            )
        else:
            values = ", ".join(f"(:i{n}, :x{n}, :y{n})" for n in range(len(chunk)))
            chunk_params = {}
            for n, (index, (lon, lat)) in enumerate(chunk):
                chunk_params.update({f"i{n}": index, f"x{n}": lon, f"y{n}": lat})
            statement = text(sl_sql.format(values=values)).bindparams(**chunk_params, **params)
        found.update({row[0]: row[1] for row in session.execute(statement) if row[1] is not None})
    return found


def communes_at(session: Session, points: dict[int, tuple[float, float]]) -> dict[int, str]:
    """For each keyed (lon, lat), the code of the commune whose boundary contains it, when one does. Without any
    commune boundary loaded (the official list brings centroids only) that is none, asked in one small query."""
    if not points or not session.execute(text(_ANY_COMMUNE_BOUNDARY)).scalar():
        return {}
    return _batch_lookup(session, points, _PG_COMMUNES_AT, _SL_COMMUNES_AT)


_ANY_COMMUNE_BOUNDARY = "SELECT EXISTS (SELECT 1 FROM admin_units WHERE level = 'commune' AND boundary IS NOT NULL)"
