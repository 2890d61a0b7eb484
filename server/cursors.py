"""Opaque keyset cursors: one codec for every paginated list and the phones' changes feed.

A cursor is URL-safe base64 (no padding) of compact JSON holding the position's parts. Decoding refuses, as
invalid input (422), anything this module did not produce: the text must re-encode to exactly itself, and every
part must have the kind and range its list expects (an aware date-time in the supported years, an id in range,
a UUID in its canonical form, a short code). A hostile cursor therefore never reaches a query.
"""

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime

from flask_babel import gettext
from sqlalchemy import and_, or_

from server.errors import InvalidInput
from server.limits import ID_MAX, SUPPORTED_YEARS

MAX_LENGTH = 2000
ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
CODE_MAX_LENGTH = 40
TEXT_MAX_LENGTH = 200


class Kind:
    """One part of a position: how it is written into JSON and read back (``ValueError`` when wrong)."""

    def dump(self, value):
        raise NotImplementedError

    def load(self, value):
        raise NotImplementedError


class Moment(Kind):
    """An aware date-time, written in UTC."""

    def dump(self, value: datetime) -> str:
        return value.astimezone(UTC).isoformat()

    def load(self, value) -> datetime:
        if not isinstance(value, str) or not value.isascii():
            raise ValueError("not a date-time")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or moment.utcoffset():
            raise ValueError("not a UTC date-time")
        first, last = SUPPORTED_YEARS
        if not first <= moment.year < last:
            raise ValueError("out of range")
        return moment


class RowId(Kind):
    """A row id: an integer between 0 (before the first row) and the largest 32-bit id."""

    def dump(self, value: int) -> int:
        return int(value)

    def load(self, value) -> int:
        if type(value) is not int or not 0 <= value <= ID_MAX:
            raise ValueError("not a row id")
        return value


class Uuid(Kind):
    def dump(self, value: uuid.UUID) -> str:
        return str(value)

    def load(self, value) -> uuid.UUID:
        if not isinstance(value, str):
            raise ValueError("not a UUID")
        parsed = uuid.UUID(value)
        if str(parsed) != value:
            raise ValueError("not a canonical UUID")
        return parsed


class Code(Kind):
    """A short printable ASCII key such as an official admin-unit code."""

    def dump(self, value: str) -> str:
        return value

    def load(self, value) -> str:
        if not isinstance(value, str) or not value.isascii() or not value.isprintable():
            raise ValueError("not a code")
        if not 0 < len(value) <= CODE_MAX_LENGTH:
            raise ValueError("not a code")
        return value


class Text(Kind):
    """A printable name (a team's name, a username) up to ``TEXT_MAX_LENGTH`` characters."""

    def dump(self, value: str) -> str:
        return value

    def load(self, value) -> str:
        if not isinstance(value, str) or not value.isprintable() or len(value) > TEXT_MAX_LENGTH:
            raise ValueError("not a name")
        return value


class Day(Kind):
    """A calendar day, written as ISO 8601 (YYYY-MM-DD)."""

    def dump(self, value: date) -> str:
        return value.isoformat()

    def load(self, value) -> date:
        if not isinstance(value, str) or not value.isascii():
            raise ValueError("not a day")
        day = date.fromisoformat(value)
        first, last = SUPPORTED_YEARS
        if not first <= day.year < last:
            raise ValueError("out of range")
        return day


MOMENT, ROW_ID, UUID, CODE, DAY, TEXT = Moment(), RowId(), Uuid(), Code(), Day(), Text()


def _pack(raw) -> str:
    text = json.dumps(raw, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unpack(cursor, field: str, message: str):
    """The JSON inside ``cursor``, or a 422 naming ``field``."""
    if not isinstance(cursor, str) or len(cursor) > MAX_LENGTH or not ALPHABET.fullmatch(cursor):
        raise InvalidInput({field: [message]}, message)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(text, parse_constant=_no_constant, parse_float=_no_float)
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise InvalidInput({field: [message]}, message) from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def _no_float(text: str):
    raise ValueError("fractions are not allowed")


def _load_parts(raw, shape: tuple[Kind, ...]) -> tuple:
    if not isinstance(raw, list) or len(raw) != len(shape):
        raise ValueError("wrong number of parts")
    return tuple(kind.load(value) for kind, value in zip(shape, raw, strict=True))


def _dump_parts(parts, shape: tuple[Kind, ...]) -> list:
    return [kind.dump(value) for kind, value in zip(shape, parts, strict=True)]


def encode(parts: tuple, shape: tuple[Kind, ...]) -> str:
    """The cursor of one position in a list ordered by ``shape``'s columns."""
    return _pack(_dump_parts(parts, shape))


def decode(cursor: str, shape: tuple[Kind, ...], field: str = "after") -> tuple:
    """The position ``encode`` wrote into ``cursor``; anything else is a 422 on ``field``."""
    message = gettext("Not a valid cursor: use the next_cursor of the previous page.")
    raw = _unpack(cursor, field, message)
    try:
        parts = _load_parts(raw, shape)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput({field: [message]}, message) from exc
    if encode(parts, shape) != cursor:
        raise InvalidInput({field: [message]}, message)
    return parts


def after(keys, position, descending: tuple[bool, ...] = ()):
    """A SQL condition: rows after ``position`` in the order of the columns ``keys``, ascending except those
    flagged in ``descending`` (written out, not a row-value comparison: both backends, any types)."""
    conditions = []
    for index, key in enumerate(keys):
        equal = [keys[i] == position[i] for i in range(index)]
        backwards = index < len(descending) and descending[index]
        conditions.append(and_(*equal, key < position[index] if backwards else key > position[index]))
    return or_(*conditions)


def keyset(query, keys, shape: tuple[Kind, ...], cursor: str | None, descending: bool | tuple[bool, ...] = False):
    """``query`` in the order of the columns ``keys`` (together unique), from the position in ``cursor`` (a 422 on
    ``after`` when this module did not make it). The order is ascending, or descending for every key
    (``descending=True``) or for those flagged (a tuple of flags)."""
    flags = descending if isinstance(descending, tuple) else (descending,) * len(keys)
    flags = flags + (False,) * (len(keys) - len(flags))
    if cursor:
        query = query.where(after(keys, decode(cursor, shape), flags))
    return query.order_by(None).order_by(*(key.desc() if back else key for key, back in zip(keys, flags, strict=True)))


def cursor_of(row, keys, shape: tuple[Kind, ...]) -> str:
    """The cursor of ``row`` in a list ordered by the columns ``keys`` (attribute names = column keys)."""
    return encode(tuple(getattr(row, key.key) for key in keys), shape)


def encode_map(positions: Mapping[str, tuple], shape: tuple[Kind, ...]) -> str:
    """A cursor holding one position per named feed (the changes feed)."""
    return _pack({name: _dump_parts(parts, shape) for name, parts in positions.items()})


def decode_map(cursor: str, names: set[str], shape: tuple[Kind, ...], field: str = "cursor") -> dict[str, tuple]:
    """The positions ``encode_map`` wrote for known feed ``names``; anything else is a 422 on ``field``."""
    message = gettext("Not a valid cursor: start again without one.")
    raw = _unpack(cursor, field, message)
    try:
        if not isinstance(raw, dict) or not set(raw) <= names:
            raise ValueError("unknown feeds")
        positions = {name: _load_parts(parts, shape) for name, parts in raw.items()}
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput({field: [message]}, message) from exc
    if encode_map(positions, shape) != cursor:
        raise InvalidInput({field: [message]}, message)
    return positions
