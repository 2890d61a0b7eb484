"""Compression both ways, for phones on 2G links.

Responses: Flask-Compress compresses every text response (pages, JSON, GeoJSON, problem documents, the OpenAPI
document, CSV, scripts and style sheets) of at least ``COMPRESS_MIN_SIZE`` bytes with brotli or gzip, whichever the
client's ``Accept-Encoding`` prefers (brotli on a tie), and adds ``Vary: Accept-Encoding``. Images and xlsx files
are already compressed and are sent as they are. Static files (``server.assets``) are compressed here once per
version, at brotli quality 9 / gzip level 9, and the result is kept in memory.

Requests: a body sent with ``Content-Encoding: gzip`` is inflated before any view or hook reads it, in bounded
chunks, so the ``MAX_CONTENT_LENGTH`` limit (``FIELDOPS_MAX_CONTENT_LENGTH``) holds for the inflated body as well as
for the bytes on the wire: a gzip bomb is refused with 413 after at most that many bytes were inflated. A corrupt or
truncated gzip body gets 400, and any other content coding 415 (problem+json in every case).
"""

import gzip
import io
import zlib
from functools import lru_cache

import brotli
from flask import Flask, current_app, request
from flask_babel import gettext
from flask_compress import Compress

from server.errors import ProblemError

COMPRESSED_MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/problem+json",
    "application/manifest+json",
    "application/xml",
    "image/svg+xml",
]
# brotli first: on a tie in Accept-Encoding it gives the smaller response
ALGORITHMS = ["br", "gzip"]
# Static files are compressed once per version at a higher setting than responses made per request.
STATIC_LEVELS = {"br": 9, "gzip": 9}
GZIP_CODINGS = frozenset({"gzip", "x-gzip"})
READ_CHUNK = 64 * 1024


class UnsupportedContentEncoding(ProblemError):
    http_status = 415


class CorruptBody(ProblemError):
    http_status = 400


class BodyTooLarge(ProblemError):
    http_status = 413


def configure_compression(app: Flask) -> None:
    for key, value in (
        ("COMPRESS_MIMETYPES", COMPRESSED_MIMETYPES),
        ("COMPRESS_ALGORITHM", ALGORITHMS),
        ("COMPRESS_ALGORITHM_STREAMING", ALGORITHMS),
        ("COMPRESS_MIN_SIZE", 500),
    ):
        app.config.setdefault(key, value)
    Compress(app)
    app.before_request(inflate_request_body)


def static_coding(mimetype: str, size: int) -> str | None:
    """The coding to send a static file of this type and size in, by the request's Accept-Encoding (the same
    rules as for other responses), or None for the plain bytes."""
    config = current_app.config
    if not config["COMPRESS_REGISTER"] or size < config["COMPRESS_MIN_SIZE"]:
        return None
    if mimetype not in config["COMPRESS_MIMETYPES"]:
        return None
    algorithms = config["COMPRESS_ALGORITHM"]
    if isinstance(algorithms, str):
        algorithms = [name.strip() for name in algorithms.split(",")]
    return request.accept_encodings.best_match([name for name in algorithms if name in STATIC_LEVELS])


@lru_cache(maxsize=64)
def compress_static(content: bytes, coding: str) -> bytes:
    """``content`` in ``coding``, kept for the next request (static files change only with a deployment)."""
    if coding == "br":
        return brotli.compress(content, quality=STATIC_LEVELS["br"])
    return gzip.compress(content, compresslevel=STATIC_LEVELS["gzip"], mtime=0)


def _has_body() -> bool:
    return bool(request.content_length) or bool(request.environ.get("wsgi.input_terminated"))


def inflate_request_body() -> None:
    """Replace a gzip request body by its inflated bytes (see the module docstring for the limits)."""
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding in ("", "identity") or not _has_body():
        return
    if coding not in GZIP_CODINGS:
        raise UnsupportedContentEncoding(
            f"Content-Encoding {coding[:40]!r} is not supported: send the body as it is or with gzip.",
            headers={"Accept-Encoding": "gzip"},
        )
    limit = request.max_content_length
    body = inflate_gzip(request.stream, limit)
    environ = request.environ
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_CONTENT_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    request.__dict__.pop("stream", None)  # werkzeug caches the stream it made from the old input


def inflate_gzip(stream, limit: int | None) -> bytes:
    """Inflate a gzip stream (one or more members) in chunks, stopping as soon as the output passes ``limit``."""
    inflated = bytearray()
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    pending = b""
    started = False
    while True:
        if not pending:
            pending = stream.read(READ_CHUNK)
            if not pending:
                break
        started = True
        room = READ_CHUNK if limit is None else max(1, limit - len(inflated) + 1)
        try:
            inflated += decompressor.decompress(pending, min(room, READ_CHUNK * 16))
        except zlib.error as exc:
            raise CorruptBody(gettext("The gzip request body is corrupt: %(error)s.", error=exc)) from exc
        if limit is not None and len(inflated) > limit:
            raise BodyTooLarge(gettext("The request body inflates to more than %(limit)s bytes.", limit=limit))
        pending = decompressor.unconsumed_tail
        if decompressor.eof:
            pending = decompressor.unused_data or stream.read(READ_CHUNK)
            if not pending:
                break
            decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # another gzip member follows
    if not started or not decompressor.eof:
        raise CorruptBody(gettext("The gzip request body is truncated."))
    return bytes(inflated)
