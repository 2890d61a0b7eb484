"""One JSON line per request on the ``fieldops.request`` logger, tied together by a request id.

The id comes from the client's ``X-Request-ID`` when it is a sane token (a proxy or phone may set one), else a
new UUID; it is echoed in the response. Lines hold the method, the path without the query string, the status,
the duration, the remote address and the user id: never headers, bodies, query strings or tokens."""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, current_app, g, request
from sqlalchemy import inspect

REQUEST_LOGGER = "fieldops.request"
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

log = logging.getLogger(REQUEST_LOGGER)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (gunicorn and test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_request_log(app: Flask) -> None:
    if not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    # Every request starts unauthenticated, also when an app context outlives requests (tests, CLI).
    g.pop("current_user", None)
    g.pop("current_scope", None)
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = supplied if SANE_REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _user_id() -> int | None:
    """The authenticated user's id from the identity map, without a query (the session may be rolled back)."""
    user = g.get("current_user")
    if user is None:
        return None
    identity = inspect(user).identity
    return identity[0] if identity else None


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    if current_app.config["REQUEST_LOG"] and log.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        line = {
            "event": "request",
            "request_id": rid,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": _user_id(),
            "remote_addr": request.remote_addr,
            "bytes_in": request.content_length,
        }
        log.info(json.dumps(line, separators=(",", ":")))
    return response
