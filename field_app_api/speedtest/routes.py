"""A speed test against this server, for connectivity readings measured rather than guessed: small round trips
for the latency, then a download and an upload of a few hundred kilobytes. Every call needs a token, counts
against a per-token rate limit (``FIELDOPS_SPEED_TEST_RATE_LIMIT``) and is capped in bytes
(``FIELDOPS_SPEED_TEST_MAX_BYTES``; more is refused with 413). Nothing is stored."""

import os
from datetime import UTC, datetime
from http import HTTPStatus

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from field_app_api.speedtest.schemas import DownloadArgsSchema, PingSchema, UploadResultSchema
from server.auth import login_required
from server.errors import PayloadTooLarge
from server.security import limit_speed_test

blp = Blueprint(
    "speedtest", __name__, url_prefix="/speedtest", description="Latency, download and upload against this server"
)
SECURITY = [{"bearerAuth": []}]
READ_CHUNK = 64 * 1024


def _error(status: int, description: str):
    """A documented problem+json answer (the component response of that status)."""
    return blp.alt_response(status, response=HTTPStatus(status).name, description=description)


def _errors(view):
    view = _error(401, "No token, or a token that is not valid")(view)
    return _error(429, "Too many speed-test requests from this token; see Retry-After")(view)


EXAMPLE_TIME = "2025-03-01T01:30:00.123456+00:00"


def _cap() -> int:
    return current_app.config["SPEED_TEST_MAX_BYTES"]


def _too_large(size: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("At most %(limit)s bytes per speed-test request, not %(size)s.", limit=_cap(), size=size),
        errors={"bytes": [_("Must be at most %(limit)s.", limit=_cap())]},
    )


@blp.route("/ping")
@login_required()
@blp.response(200, PingSchema, example={"server_time": EXAMPLE_TIME})
@_errors
@blp.doc(security=SECURITY, summary="A tiny round trip (time several to measure the latency)")
def ping():
    limit_speed_test()
    return {"server_time": datetime.now(UTC)}


@blp.route("/download")
@login_required()
@blp.arguments(DownloadArgsSchema, location="query")
@blp.response(200, content_type="application/octet-stream", description="`bytes` random bytes (incompressible)")
@_errors
@_error(413, "More bytes asked than the server's cap")
@blp.doc(
    security=SECURITY,
    summary="Random bytes to time a download (never compressed, never cached)",
    responses={
        "200": {
            "description": "`bytes` random bytes (incompressible)",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def download(args):
    limit_speed_test()
    size = args["bytes"]
    if size > _cap():
        raise _too_large(size)
    response = Response(os.urandom(size), mimetype="application/octet-stream")
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/upload", methods=["POST"])
@login_required()
@blp.response(200, UploadResultSchema, example={"bytes": 262144, "server_time": EXAMPLE_TIME})
@blp.doc(
    security=SECURITY,
    summary="Send bytes to time an upload; they are read and discarded",
    requestBody={
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
)
@_errors
@_error(413, "A body larger than the server's cap")
def upload():
    limit_speed_test()
    cap = _cap()
    if request.content_length is not None and request.content_length > cap:
        raise _too_large(request.content_length)
    received = 0
    stream = request.stream
    while chunk := stream.read(READ_CHUNK):
        received += len(chunk)
        if received > cap:
            raise _too_large(received)
    return {"bytes": received, "server_time": datetime.now(UTC)}
