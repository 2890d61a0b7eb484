"""Static files with content-hashed URLs and long cache lifetimes.

Every URL the pages emit for a static file carries a short hash of the file's content: ``url_for('static',
filename='site.css')`` gives ``/static/site.css?v=<hash>`` (any file in the app's or a blueprint's static folder),
``maps.pages.asset_url`` does the same for the Leaflet files, and the Swagger UI files sit under a folder named
after the hash of the files the docs page loads. A request whose hash matches the file's current content is
answered with ``Cache-Control: public, max-age=31536000, immutable``: a browser keeps it for a year and never asks
again, and a changed file gets a new URL. Without the hash, or with a stale one, the file is still served, with
``no-cache`` so the browser revalidates it (ETag and Last-Modified, answered with 304). The content is read once per
file version and kept in memory, and so is each compressed variant (``server.compression``), made once at a
higher setting than per-request compression can afford.
"""

import hashlib
import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_babel import gettext
from werkzeug.security import safe_join

from server.compression import compress_static, static_coding
from server.errors import NotFound

IMMUTABLE_MAX_AGE = 365 * 24 * 3600
HASH_LENGTH = 12
VERSION_ARG = "v"
# endpoint -> function of the URL values giving the file behind that URL (or None)
LOCATORS = "fieldops_asset_locators"


@dataclass(frozen=True)
class AssetFile:
    content: bytes
    digest: str
    mtime: float


@lru_cache(maxsize=512)
def _load(path: str, mtime_ns: int, size: int) -> AssetFile:
    content = Path(path).read_bytes()
    return AssetFile(content, hashlib.sha256(content).hexdigest()[:HASH_LENGTH], mtime_ns / 1e9)


def load(path: Path) -> AssetFile:
    """The file's content and short hash, read again only when its modification time or size changes."""
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def content_hash(path: Path) -> str:
    return load(path).digest


def bundle_hash(paths: Iterable[Path]) -> str:
    """One short hash for a set of files that a page loads from one folder URL."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + load(path).digest.encode() + b"\0")
    return digest.hexdigest()[:HASH_LENGTH]


def is_current(path: Path, version: str | None) -> bool:
    """Whether a URL's ``v`` value is the hash of the file's current content."""
    return version is not None and version == content_hash(path)


def _matching_etag(digest: str) -> str | None:
    """The validator the client holds for this content, plain or of a compressed variant (``"<hash>:br"``)."""
    for tag in request.if_none_match.as_set():
        if tag == digest or tag.partition(":")[0] == digest:
            return tag
    return None


def send_asset(path: Path, immutable: bool) -> Response:
    """The file, cached for a year when its URL names its content (``immutable``), revalidated otherwise.
    A client that holds the file already (any of its compressed variants too) gets 304."""
    asset = load(path)
    cache_control = f"public, max-age={IMMUTABLE_MAX_AGE}, immutable" if immutable else "public, no-cache"
    held = _matching_etag(asset.digest)
    if held is not None:
        response = Response(status=304)
        response.set_etag(held)
        response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = cache_control
        return response
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    coding = static_coding(mimetype, len(asset.content))
    content_type = mimetype
    if mimetype.startswith("text/") or mimetype == "application/javascript":
        content_type += "; charset=utf-8"
    if coding is None:
        response = Response(asset.content, content_type=content_type)
        response.set_etag(asset.digest)
    else:
        response = Response(compress_static(asset.content, coding), content_type=content_type)
        response.headers["Content-Encoding"] = coding
        response.set_etag(f"{asset.digest}:{coding}")
    response.vary.add("Accept-Encoding")
    response.last_modified = asset.mtime
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


def _static_file(folder: str | None, filename: str) -> Path | None:
    if folder is None:
        return None
    joined = safe_join(folder, filename)
    if joined is None:
        return None
    path = Path(joined)
    return path if path.is_file() else None


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint is not None else None


def register_hashed_endpoint(app: Flask, endpoint: str, locate: Callable[[dict], Path | None]) -> None:
    """URLs built for ``endpoint`` get ``v=<hash of the file locate(values) finds>``."""
    app.extensions.setdefault(LOCATORS, {})[endpoint] = locate


def add_content_hash(endpoint: str, values: dict) -> None:
    """``url_defaults`` hook: the hash of the file behind a static or registered asset URL."""
    if VERSION_ARG in values:
        return
    app = current_app
    if endpoint == "static" or endpoint.endswith(".static"):
        path = _static_file(_static_folder(app, endpoint), values.get("filename", ""))
    else:
        locate = app.extensions.get(LOCATORS, {}).get(endpoint)
        path = locate(values) if locate is not None else None
    if path is not None:
        values[VERSION_ARG] = content_hash(path)


def serve_static(endpoint: str) -> Callable:
    def view(filename: str) -> Response:
        path = _static_file(_static_folder(current_app, endpoint), filename)
        if path is None:
            raise NotFound(gettext("No static file %(name)s.", name=filename))
        return send_asset(path, is_current(path, request.args.get(VERSION_ARG)))

    return view


def configure_assets(app: Flask) -> None:
    """Serve every static folder (the app's and the blueprints') through ``send_asset`` and hash their URLs.
    Runs after every blueprint is registered."""
    for endpoint in list(app.view_functions):
        if endpoint == "static" or endpoint.endswith(".static"):
            app.view_functions[endpoint] = serve_static(endpoint)
    app.url_defaults(add_content_hash)
