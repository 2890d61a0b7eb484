"""Pieces every resource uses: list envelopes, keyset pagination, bbox and GeoJSON output."""

from datetime import UTC, datetime

import marshmallow as ma
from flask import Response, current_app, json, request
from flask_babel import gettext
from marshmallow import validate

from server import cursors
from server.extensions import db
from server.limits import ID_MAX, SUPPORTED_YEARS, serialized_size, value_depth
from server.spatial import geojson_geometry

GEOJSON_MIMETYPE = "application/geo+json"


def bbox_field() -> ma.fields.Field:
    return BBox(metadata={"description": "west,south,east,north in WGS 84 degrees", "example": "103.9,22.2,104.3,22.5"})


def id_field(**kwargs) -> ma.fields.Integer:
    """A reference to a stored row by its id."""
    return ma.fields.Integer(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


def supported_moment(value: datetime) -> datetime:
    """Field work and its reports happen in this century: a date outside it is a typo or a probe, refused
    as invalid input rather than overflowing in a comparison (``9999-12-31T23:00-14:00``) or the database."""
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(gettext("Out of range once converted to UTC.")) from exc
    first, last = SUPPORTED_YEARS
    if not first <= in_utc.year < last:
        raise ValueError(gettext("Must be between the years %(first)s and %(last)s.", first=first, last=last - 1))
    return value


class AwareDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 date-time with its offset, in the supported years (see ``supported_moment``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return supported_moment(parsed)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc


class JsonObject(ma.fields.Dict):
    """A free-form JSON object stored as it comes, bounded so one request cannot bloat the database: at most
    ``max_bytes`` as compact UTF-8 JSON, ``max_depth`` levels of objects and arrays (the object itself is one),
    ``max_properties`` keys of at most 64 characters. The OpenAPI document shows the bounds."""

    def __init__(self, max_bytes: int, max_depth: int, max_properties: int = 200, **kwargs):
        self.max_bytes, self.max_depth = max_bytes, max_depth
        metadata = kwargs.pop("metadata", {})
        limits = f"At most {max_bytes:,} bytes as JSON, {max_depth} levels deep, {max_properties} keys."
        metadata = {
            **metadata,
            "description": " ".join(filter(None, [metadata.get("description"), limits])),
            "maxProperties": max_properties,
            "x-max-bytes": max_bytes,
            "x-max-depth": max_depth,
        }
        super().__init__(
            keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
            validate=validate.Length(max=max_properties),
            metadata=metadata,
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            if value_depth(value) > self.max_depth:
                raise ma.ValidationError(gettext("Must be at most %(depth)s levels deep.", depth=self.max_depth))
            try:
                size = serialized_size(value)
            except (TypeError, ValueError) as exc:
                raise ma.ValidationError(gettext("Must be plain JSON.")) from exc
            if size > self.max_bytes:
                raise ma.ValidationError(gettext("Must be at most %(limit)s bytes as JSON.", limit=self.max_bytes))
        return super()._deserialize(value, attr, data, **kwargs)


class BBox(ma.fields.Field):
    """``west,south,east,north`` as four floats, validated."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            west, south, east, north = (float(part) for part in str(value).split(","))
        except ValueError as exc:
            raise ma.ValidationError(gettext("Must be four numbers: west,south,east,north.")) from exc
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
            raise ma.ValidationError(gettext("Coordinates out of range."))
        if west > east or south > north:
            raise ma.ValidationError(gettext("west must not exceed east, nor south exceed north."))
        return west, south, east, north

    def _jsonschema_type_mapping(self):
        return {"type": "string"}


def cursor_field(description: str, allow_empty: bool = False) -> ma.fields.String:
    """An opaque cursor made by ``server.cursors``; one it did not make is refused with 422."""
    pattern = f"^(?:{cursors.ALPHABET.pattern}){'?' if allow_empty else ''}$"
    return ma.fields.String(
        validate=[validate.Length(max=cursors.MAX_LENGTH), validate.Regexp(pattern)],
        metadata={"description": description},
    )


class ChangeSchema(ma.Schema):
    """A PATCH body: it must change something. An empty object is refused (422, "nothing to change"), and the
    OpenAPI document says ``minProperties: 1`` (``min_properties``, read by ``server.extensions``)."""

    min_properties = 1

    @ma.pre_load
    def something_to_change(self, data, **kwargs):
        if isinstance(data, dict) and not data:
            raise ma.ValidationError(gettext("Nothing to change: send at least one field."), "_schema")
        return data


class PageArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    after = cursor_field("Cursor: the `next_cursor` of the previous page, as it came")


def next_cursor_field() -> ma.fields.String:
    """The ``next_cursor`` member of a list envelope."""
    return ma.fields.String(allow_none=True, metadata={"description": "Send as `after`; null on the last page"})


def page_limit(args: dict) -> int:
    return min(args["limit"], current_app.config["PAGE_SIZE_MAX"])


def keyset_page(query, keys: tuple, shape: tuple, args: dict, descending: bool | tuple[bool, ...] = False) -> dict:
    """One page of ``query`` in the order of the columns ``keys`` (together unique), from the cursor
    ``args["after"]``; each row's cursor is its values of ``keys`` (attribute names = column keys). The order is
    ascending, or descending for every key (``descending=True``) or for those flagged (a tuple of flags)."""
    query = cursors.keyset(query, keys, shape, args.get("after"), descending)
    limit = page_limit(args)
    rows = list(db.session.scalars(query.limit(limit + 1)))
    return page(rows, limit, lambda row: cursors.cursor_of(row, keys, shape))


def page(items: list, limit: int, cursor_of) -> dict:
    """The list envelope: ``items`` plus ``next_cursor`` (null on the last page). Fetch ``limit + 1`` rows."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(cursor_of(items[-1])) if more and items else None}


def wants_geojson() -> bool:
    return GEOJSON_MIMETYPE in request.headers.get("Accept", "")


def feature_collection(rows, geometry_of, schema: ma.Schema, next_cursor: str | None = None) -> Response:
    features = []
    for row in rows:
        properties = schema.dump(row)
        features.append(
            {
                "type": "Feature",
                "id": properties.get("id", properties.get("code")),
                "geometry": geojson_geometry(geometry_of(row)),
                "properties": properties,
            }
        )
    body = {"type": "FeatureCollection", "features": features}
    if next_cursor is not None:
        body["next_cursor"] = next_cursor
    return Response(json.dumps(body), mimetype=GEOJSON_MIMETYPE)


class FeatureCollectionSchema(ma.Schema):
    """A GeoJSON FeatureCollection (RFC 7946); ``properties`` of each feature as in the JSON list."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(ma.fields.Dict())
    next_cursor = ma.fields.String(allow_none=True)


class LatLonMixin:
    """Point input as ``lat``/``lon`` in WGS 84 degrees; (0, 0) is a phone without a fix, not a place."""

    @ma.validates_schema
    def reject_null_island(self, data, **kwargs):
        if data.get("lat") == 0 and data.get("lon") == 0:
            raise ma.ValidationError(gettext("(0, 0) is not a real location: the device had no position fix."), "lat")


def lat_field(**kwargs) -> ma.fields.Float:
    return ma.fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def lon_field(**kwargs) -> ma.fields.Float:
    return ma.fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)
