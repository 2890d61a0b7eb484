"""The query parameters of OGC API - Features requests, read as the standard says.

- An unknown parameter, a ``bbox`` that is not 4 (or 6) numbers in range, a ``datetime`` that is not an RFC 3339
  instant or interval, a ``limit`` that is not a positive integer, or a CRS the service does not offer: 400
  (Part 1, /req/core/query-param-invalid and /req/core/query-param-unknown; Part 2, /req/crs/...).
- A ``limit`` above the maximum is no error: the maximum is used instead (Part 1, /per/core/limit-override).
- A property filter is checked by the same schema as the JSON API's filter of that name.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import marshmallow as ma
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from field_app_api.common import supported_moment
from ogcapi import crs
from ogcapi.collections import Collection, ItemsQuery
from server import cursors
from server.errors import ProblemError
from server.extensions import db

STANDARD = ("limit", "bbox", "bbox-crs", "datetime", "crs", "f", "after")
FORMATS = ("json", "geojson")


class InvalidParameter(ProblemError):
    """400 with the OGC exception members (``code``, ``description``) beside the problem document's."""

    http_status = 400

    def __init__(self, name: str, message: str):
        super().__init__(_("Invalid value of the query parameter %(name)s.", name=name), errors={name: [message]})
        self.extra = {"code": "InvalidParameterValue", "description": f"{name}: {message}"}


@dataclass
class ItemsRequest:
    query: ItemsQuery
    crs: str
    requested_limit: int


def _single(args: MultiDict, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(name, _("Give this parameter once."))
    return values[0] if values else None


def check_known(args: MultiDict, allowed) -> None:
    for name in args:
        if name not in allowed:
            raise InvalidParameter(name, _("Unknown query parameter."))


def read_format(args: MultiDict) -> None:
    value = _single(args, "f")
    if value is not None and value not in FORMATS:
        raise InvalidParameter("f", _("Only json is offered."))


def read_crs(args: MultiDict, name: str) -> str:
    value = _single(args, name)
    if value is None:
        return crs.CRS84
    if value not in crs.SUPPORTED:
        raise InvalidParameter(name, _("Unsupported CRS; use one of: %(list)s.", list=", ".join(crs.SUPPORTED)))
    return value


def read_limit(args: MultiDict, default: int, maximum: int) -> tuple[int, int]:
    """(the limit used, the limit asked for)."""
    value = _single(args, "limit")
    if value is None:
        return min(default, maximum), default
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidParameter("limit", _("Must be a whole number of at least 1."))
    return min(int(value), maximum), int(value)


def read_bbox(args: MultiDict, bbox_crs: str) -> tuple[float, float, float, float] | None:
    value = _single(args, "bbox")
    if value is None:
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
        raise InvalidParameter("bbox", _("Must be 4 or 6 numbers: lower corner, then upper corner."))
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    low_x, low_y, high_x, high_y = numbers
    if low_x > high_x or low_y > high_y:
        raise InvalidParameter("bbox", _("The lower corner must not exceed the upper corner."))
    if bbox_crs == crs.CRS84 and not (-180 <= low_x <= 180 and -180 <= high_x <= 180 and -90 <= low_y <= high_y <= 90):
        raise InvalidParameter("bbox", _("Coordinates out of range."))
    if bbox_crs == crs.EPSG_4326 and not (-90 <= low_x <= high_x <= 90 and -180 <= low_y <= high_y <= 180):
        raise InvalidParameter("bbox", _("Coordinates out of range."))
    if bbox_crs == crs.EPSG_3405 and not (-1e7 <= low_x <= high_x <= 1e7 and -1e7 <= low_y <= high_y <= 1e7):
        raise InvalidParameter("bbox", _("Coordinates out of range."))
    return crs.bbox_to_crs84(db.session, (low_x, low_y, high_x, high_y), bbox_crs)


def _moment(text: str, end: bool) -> datetime | None:
    """One end of an interval (``..`` or empty: open); a date alone is that whole day in UTC."""
    if text in ("..", ""):
        return None
    if len(text) == 10:
        day = date.fromisoformat(text)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    if "T" not in text.upper():
        raise ValueError("not RFC 3339")
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    supported_moment(moment)
    return moment + timedelta(microseconds=1) if end else moment


def read_datetime(args: MultiDict) -> tuple[datetime | None, datetime | None]:
    """(since, until) with ``until`` exclusive, from an instant or a closed or half-bounded interval."""
    value = _single(args, "datetime")
    if value is None:
        return None, None
    try:
        if "/" in value:
            start, _slash, finish = value.partition("/")
            if start in ("..", "") and finish in ("..", ""):
                return None, None
            since, until = _moment(start, end=False), _moment(finish, end=True)
        else:
            if value == "..":
                raise ValueError("not an instant")
            since, until = _moment(value, end=False), _moment(value, end=True)
    except (ValueError, OverflowError):
        raise InvalidParameter(
            "datetime", _("Must be an RFC 3339 date-time or date, or an interval such as 2026-01-01/.. .")
        ) from None
    if since is not None and until is not None and since >= until:
        raise InvalidParameter("datetime", _("The interval ends before it starts."))
    return since, until


def read_filters(args: MultiDict, collection: Collection) -> dict:
    """The property filters, checked and converted by the JSON API's schema of the same filters."""
    given = {name: _single(args, name) for name in collection.queryable_names if name in args}
    if not given:
        return {}
    try:
        loaded = collection.args_schema.load(given, partial=True)
    except ma.ValidationError as error:
        name, messages = next(iter(error.normalized_messages().items()))
        raise InvalidParameter(name, " ".join(map(str, messages))) from None
    return {name: value for name, value in loaded.items() if name in given}


def read_after(args: MultiDict) -> str | None:
    value = _single(args, "after")
    if value is not None and (len(value) > cursors.MAX_LENGTH or not cursors.ALPHABET.fullmatch(value)):
        raise InvalidParameter("after", _("Not a valid cursor: follow the next link as it came."))
    return value


def items_request(args: MultiDict, collection: Collection, default_limit: int, max_limit: int) -> ItemsRequest:
    check_known(args, (*STANDARD, *collection.queryable_names))
    read_format(args)
    limit, asked = read_limit(args, default_limit, max_limit)
    bbox = read_bbox(args, read_crs(args, "bbox-crs"))
    since, until = read_datetime(args)
    if collection.temporal_property is None:
        since = until = None  # a collection without time: datetime selects everything (Part 1, 7.15.4)
    query = ItemsQuery(
        limit=limit, bbox=bbox, since=since, until=until, after=read_after(args), filters=read_filters(args, collection)
    )
    return ItemsRequest(query=query, crs=read_crs(args, "crs"), requested_limit=asked)
