"""Limits on what one request may carry, checked before anything parses it, and the last line of defence
that keeps every answer a problem document.

- URLs longer than ``MAX_URL_LENGTH`` get a 414 problem document from the app. The committed
  ``gunicorn.conf.py`` lets longer request lines through to the app (``limit_request_line``), so clients see
  this answer rather than gunicorn's HTML page.
- JSON bodies nested deeper than ``JSON_MAX_DEPTH`` are refused (400) after an iterative scan of the raw
  bytes, before any recursive parser (``json.loads``, marshmallow) sees them.
- An exception that escapes the Flask app (a teardown on a connection the database closed, say) becomes a
  problem+json 503 or 500 instead of the server's HTML page.
"""

import json
import logging
import re
from itertools import accumulate

from flask import Flask, request
from flask_babel import gettext

from server.errors import ProblemError, database_unavailable

log = logging.getLogger(__name__)

# Row ids (and version numbers) are 32-bit integers in the database: a larger number is invalid input (422),
# not a statement the database refuses (500).
ID_MAX = 2**31 - 1
# Field work and its reports happen in this century: dates outside [first, last) are typos or probes.
SUPPORTED_YEARS = (2000, 2100)
# Request target (path and query) in bytes; gunicorn.conf.py's limit_request_line must stay above it.
MAX_URL_LENGTH = 4096
# Levels of arrays and objects in a JSON body: a survey definition with groups in groups uses about a dozen.
JSON_MAX_DEPTH = 64

PROBLEM = "application/problem+json"
# A string runs to its closing quote, or to the end of an invalid body: never a failed match, so linear time.
_STRINGS = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


class TooDeep(ProblemError):
    http_status = 400


_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"')


def json_depth(body: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without recursion (strings are skipped)."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if b"\\" in body:  # escapes (a quote may be one): strings found by the expression
        outside = _STRINGS.sub(b"", body)
    else:  # every quote opens or closes a string: keep brackets and quotes, then what lies between strings
        outside = b"".join(body.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    steps = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(0, max(accumulate(memoryview(steps).cast("b")), default=0))


def value_depth(value) -> int:
    """The nesting of an already parsed JSON value (a dict or list counts one level), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def serialized_size(value) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, as it would be stored."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def check_json_body() -> None:
    """Refuse a JSON body deeper than ``JSON_MAX_DEPTH`` (whatever the route: nothing parses it first)."""
    if not request.is_json:
        return
    limit = JSON_MAX_DEPTH
    if json_depth(request.get_data(cache=True)) > limit:
        raise TooDeep(
            gettext("The JSON body is nested more than %(limit)s levels deep.", limit=limit),
            errors={"_body": [gettext("Too deep.")]},
        )


def _problem(status: int, title: str, detail: str, headers: tuple = ()) -> tuple[str, list, bytes]:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    reason = {414: "URI Too Long", 500: "Internal Server Error", 503: "Service Unavailable"}[status]
    return (
        f"{status} {reason}",
        [("Content-Type", PROBLEM), ("Content-Length", str(len(body))), ("Cache-Control", "no-store"), *headers],
        body,
    )


class RequestGuard:
    """WSGI middleware around the Flask app: the URL length limit and problem documents for escaping errors.

    The inner app's ``start_response`` is held back until the app has returned, so an exception raised after
    the view (in teardown) can still replace the answer."""

    def __init__(self, app, retry_after: int = 5):
        self.app = app
        self.retry_after = retry_after

    def __call__(self, environ, start_response):
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if target is None:
            query = environ.get("QUERY_STRING", "")
            target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
        if len(target) > MAX_URL_LENGTH:
            status, headers, body = _problem(
                414, "URI Too Long", f"The URL is longer than {MAX_URL_LENGTH} characters; send filters in fewer."
            )
            start_response(status, headers)
            return [body]
        held = []

        def hold(status, headers, exc_info=None):
            held[:] = [status, headers, exc_info]
            return lambda _data: None  # the legacy write() callable; Flask never uses it

        try:
            result = self.app(environ, hold)
        except Exception as error:
            if database_unavailable(error):
                log.warning("database unavailable after the view: %s", type(error).__name__)
                status, headers, body = _problem(
                    503,
                    "Service Unavailable",
                    "The database is not reachable at the moment; retry later.",
                    (("Retry-After", str(self.retry_after)),),
                )
            else:
                log.exception("error escaped the application")
                status, headers, body = _problem(
                    500, "Internal Server Error", "The server failed to handle this request."
                )
            start_response(status, headers)
            return [body]
        start_response(*held)
        return result


def configure_limits(app: Flask) -> None:
    """The depth check runs before every other hook that may read the body."""
    app.before_request(check_json_body)


def guard(app: Flask) -> None:
    """Wrap the finished app (after every other middleware) in ``RequestGuard``."""
    app.wsgi_app = RequestGuard(app.wsgi_app, app.config.get("DB_RETRY_AFTER_SECONDS", 5))
