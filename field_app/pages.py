"""Serving the field app: the built shell and assets from ``field_app/dist``, and its message catalogue.

Cache headers: the page, the service worker, the manifest and the catalogue are revalidated on every load
(``no-cache`` with an ETag: a new deployment reaches phones at once), files under ``assets/`` carry the hash of
their content in their name and are ``immutable`` for a year. Compression is the app's (``server.assets``).

The catalogue (``/app/catalogue/<lang>.json``) is the pages' catalogue: the app's texts are marked ``_("...")`` in
its sources (the form engine's are the first argument of its translator, ``t("...")``), extracted with the rest by
``make translations`` (``translations/babel.cfg``) and translated in the same ``.po`` files; the labels of codes come
from ``server.labels``."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from flask import Blueprint, Response, redirect, request
from flask_babel import force_locale, get_translations, gettext

from server.assets import send_asset
from server.errors import NotFound, ProblemError
from server.i18n import LOCALES
from server.labels import VOCABULARIES

FOLDER = Path(__file__).resolve().parent
SOURCES = FOLDER / "src"
DIST = FOLDER / "dist"
# Files at the top of the build that keep their name from one version to the next: always revalidated.
SHELL_FILES = {"index.html", "sw.js", "manifest.webmanifest"}
# The app's own policy: photos are previewed from blob: URLs, the camera (QR enrolment) plays a MediaStream.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# What marks a text in the app's sources, as `make translations` passes them to pybabel (-k t -k this.t).
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "this.t": None}

blp = Blueprint("field_app", __name__, url_prefix="/app")


class AppNotBuilt(ProblemError):
    http_status = 503


def _built(path: Path) -> Path:
    if not (DIST / "index.html").is_file():
        raise AppNotBuilt(
            gettext("The field app is not built: run `make app` (npm ci and the build) on the server."),
            headers={"Retry-After": "60"},
        )
    if not path.is_file():
        raise NotFound(gettext("No such file of the field app."))
    return path


@blp.get("")
def root():
    return redirect("/app/", code=308)


@blp.get("/")
def shell():
    response = send_asset(_built(DIST / "index.html"), immutable=False)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@blp.get("/<name>")
def top_file(name: str):
    if name not in SHELL_FILES and not name.endswith(".png") and not name.endswith(".svg"):
        raise NotFound(gettext("No such file of the field app."))
    response = send_asset(_built(DIST / name), immutable=False)
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@blp.get("/assets/<name>")
def asset(name: str):
    if "/" in name or name.startswith("."):
        raise NotFound(gettext("No such file of the field app."))
    return send_asset(_built(DIST / "assets" / name), immutable=True)


@lru_cache(maxsize=1)
def _app_messages(stamp: tuple) -> tuple[str, ...]:
    """The texts marked ``_("...")`` in the app's sources, as ``make translations`` extracts them."""
    found = set()
    for path in sorted(SOURCES.rglob("*.js")):
        for _line, message, _comments, _context in extract_from_file("javascript", str(path), KEYWORDS):
            if isinstance(message, str) and message:
                found.add(message)
    return tuple(sorted(found))


def app_messages() -> tuple[str, ...]:
    stamp = tuple((str(path), path.stat().st_mtime_ns) for path in sorted(SOURCES.rglob("*.js")))
    return _app_messages(stamp)


def catalogue(locale: str) -> dict:
    """The app's messages and every label vocabulary in ``locale``."""
    with force_locale(locale):
        translations = get_translations()
        return {
            "locale": locale,
            "messages": {message: translations.ugettext(message) for message in app_messages()},
            "labels": {name: {code: str(text) for code, text in table.items()} for name, table in VOCABULARIES.items()},
        }


@blp.get("/catalogue/<locale>.json")
def catalogue_json(locale: str):
    if locale not in LOCALES:
        raise NotFound(gettext("No such language."))
    body = json.dumps(catalogue(locale), ensure_ascii=False).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:16])
    response.headers["Cache-Control"] = "public, no-cache"
    return response.make_conditional(request)
