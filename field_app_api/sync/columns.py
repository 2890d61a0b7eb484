"""Column-wise loading of the connectivity readings of a sync batch, the bulk of what phones send.

marshmallow's ``ConnectivityReadingSchema`` stays the definition (it makes the OpenAPI document and loads the
single-record endpoint); loading a thousand readings through it costs about 50 µs each. Here each column of the
batch is checked in one pass against the same rules (types, ranges, vocabularies, lengths, the same parsing
functions), and a reading that passes every check gets exactly the dict the schema would load. A reading that
fails any check, or carries anything unusual (a number as a string, an unknown field), is left to the schema, so
its errors are the schema's, word for word. ``tests/field_app_api/test_sync_columns.py`` holds both to that.
"""

import math
import re
import uuid
from datetime import UTC, datetime, timedelta

from field_app_api.records.schemas import EARLIEST_OBSERVATION, ConnectivityReadingSchema
from server.limits import ID_MAX, SUPPORTED_YEARS
from server.models.records import NETWORKS

BAD = object()
OPERATOR_CODE = re.compile(r"^[0-9]{3}-[0-9]{2,3}$")  # the schema's Regexp validator (``match``)
FIELDS = frozenset(name for name, field in ConnectivityReadingSchema().fields.items() if not field.dump_only)
REQUIRED = frozenset(("id", "observed_at", "lat", "lon", "network"))
ACCEPTED = FIELDS | {"type"}  # a sync record names its kind beside the reading's fields
_NETWORKS = frozenset(NETWORKS)


def _number(value, low: float, high: float, nullable: bool):
    """A JSON number (not a boolean, not a string) within [low, high], as the schema's Float loads it."""
    if value is None:
        return None if nullable else BAD
    kind = type(value)
    if kind is not float and kind is not int:
        return BAD
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        return BAD
    return number


def _integer(value, low: int, high: int, nullable: bool):
    if value is None:
        return None if nullable else BAD
    if type(value) is not int or not low <= value <= high:
        return BAD
    return value


def _text(value, low: int, high: int, nullable: bool):
    if value is None:
        return None if nullable else BAD
    if type(value) is not str or not low <= len(value) <= high:
        return BAD
    return value


def _uuid(value):
    if value is None:
        return None
    if type(value) is not str:
        return BAD
    try:
        return uuid.UUID(value)
    except ValueError:
        return BAD


def _boolean(value):
    return value if value is None or value is True or value is False else BAD


def _network(value):
    return value if type(value) is str and value in _NETWORKS else BAD


def _operator_code(value):
    if value is None:
        return None
    if type(value) is not str or not 6 <= len(value) <= 7 or not OPERATOR_CODE.match(value):
        return BAD
    return value


def _moment(value, latest: datetime):
    """An ISO 8601 time with its offset, in the supported years, not before 2020 nor past ``latest``."""
    if type(value) is not str:
        return BAD
    try:
        moment = datetime.fromisoformat(value)
        in_utc = moment.astimezone(UTC) if moment.utcoffset() is not None else None
    except (ValueError, OverflowError):
        return BAD
    first, last = SUPPORTED_YEARS
    if in_utc is None or not first <= in_utc.year < last or not EARLIEST_OBSERVATION <= moment <= latest:
        return BAD
    return moment


def _columns(latest: datetime) -> dict:
    return {
        "id": _uuid,
        "observed_at": lambda value: _moment(value, latest),
        "lat": lambda value: _number(value, -90, 90, False),
        "lon": lambda value: _number(value, -180, 180, False),
        "accuracy_m": lambda value: _number(value, 0, 100_000, True),
        "site_id": lambda value: _integer(value, 1, ID_MAX, True),
        "visit_id": _uuid,
        "team_id": lambda value: _integer(value, 1, ID_MAX, True),
        "device_id": lambda value: _text(value, 0, 100, True),
        "network": _network,
        "operator_code": _operator_code,
        "operator": lambda value: _text(value, 0, 100, False),
        "signal_dbm": lambda value: _integer(value, -150, -20, True),
        "down_mbps": lambda value: _number(value, 0, 10_000, True),
        "up_mbps": lambda value: _number(value, 0, 10_000, True),
        "latency_ms": lambda value: _number(value, 0, 120_000, True),
        "power_available": _boolean,
    }


def load_readings(
    bodies: list[dict], clock_skew_seconds: int, now: datetime | None = None, ids: list[uuid.UUID] | None = None
) -> list[dict | None]:
    """For each reading body (its ``type`` aside), what ``ConnectivityReadingSchema().load`` returns, or None
    where the schema must load it itself (an error, or input the fast path does not take). ``ids``, when given,
    are the bodies' ids already parsed (``uuid.UUID`` of each body's ``id`` text), so they are not parsed again."""
    latest = (now or datetime.now(UTC)) + timedelta(seconds=clock_skew_seconds)
    loaded: list[dict | None] = [
        {"operator": ""} if type(body) is dict and REQUIRED <= body.keys() and body.keys() <= ACCEPTED else None
        for body in bodies
    ]
    columns = _columns(latest)
    if ids is not None:
        for position, record_id in enumerate(ids):
            record = loaded[position]
            if record is not None:
                if type(bodies[position]["id"]) is str:
                    record["id"] = record_id
                else:
                    loaded[position] = None
        del columns["id"]
    for name, check in columns.items():
        for position, body in enumerate(bodies):
            record = loaded[position]
            if record is None or name not in body:
                continue
            value = check(body[name])
            if value is BAD:
                loaded[position] = None
            else:
                record[name] = value
    for position, record in enumerate(loaded):
        if record is None:
            continue
        if record["lat"] == 0 and record["lon"] == 0:  # no position fix (LatLonMixin)
            loaded[position] = None
        elif record["network"] == "none" and (record.get("down_mbps") or 0) > 0:
            loaded[position] = None
    return loaded
