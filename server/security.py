"""Response hardening and the rate limit on token issue.

Security headers go on every response: no MIME sniffing, no framing by other sites (maps may be framed by the
reports pages of the same origin), no referrer, ``Cache-Control: no-store`` unless a view chose otherwise,
and on HTML a Content-Security-Policy that allows only this origin (inline scripts and styles included:
folium pages need them) plus the configured map tile servers for images.

Issuing tokens is limited per credential, or per client address without one: every ``POST /api/v1/tokens``
counts. Failed sign-ins at ``POST /login`` are limited per account and per client address (password or token
guessing); signing in successfully never counts. The moving window comes from the ``limits`` package
(the engine behind Flask-Limiter); its memory storage is the default, so each worker process counts on its
own, and ``FIELDOPS_RATE_LIMIT_STORAGE=redis://...`` shares the count."""

import hashlib
import json
import math
import re
import time

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from server.errors import InvalidInput, NotFound, ProblemError, TooManyRequests

# (method, URL rule) of the requests that hand out a credential and count against the limit every time.
TOKEN_ISSUE = {("POST", "/api/v1/tokens")}
SIGN_IN = "sign-in"
EXTENSION = "fieldops_rate_limit"
SPEED_TEST = "fieldops_speed_test_limit"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in URLs. Ids are 32-bit in the database, so a larger number matches no route (404) instead
    of reaching a query the database refuses; the OpenAPI document shows the bounds."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def configure_security(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if app.config["TOKEN_RATE_LIMIT"]:
        from limits import parse, storage, strategies

        backend = storage.storage_from_string(app.config["RATE_LIMIT_STORAGE"])
        app.extensions[EXTENSION] = (strategies.MovingWindowRateLimiter(backend), parse(app.config["TOKEN_RATE_LIMIT"]))
        app.before_request(limit_token_issue)
    if app.config.get("SPEED_TEST_RATE_LIMIT"):
        from limits import parse, storage, strategies

        backend = storage.storage_from_string(app.config["RATE_LIMIT_STORAGE"])
        app.extensions[SPEED_TEST] = (
            strategies.MovingWindowRateLimiter(backend),
            parse(app.config["SPEED_TEST_RATE_LIMIT"]),
        )
    app.before_request(reject_unstorable_input)
    app.after_request(add_security_headers)


def _client_key() -> str:
    """The credential presented (its digest), else the client address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "credential:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return f"address:{request.remote_addr}"


def limit_token_issue() -> None:
    rule = request.url_rule.rule if request.url_rule else None
    if (request.method, rule) not in TOKEN_ISSUE:
        return
    limiter, limit = current_app.extensions[EXTENSION]
    key = _client_key()
    if limiter.hit(limit, "token-issue", key):
        return
    reset_at = limiter.get_window_stats(limit, "token-issue", key).reset_time
    raise TooManyRequests(
        f"Too many token requests: at most {limit}. Try again later.", math.ceil(reset_at - time.time())
    )


def limit_speed_test() -> None:
    """Count a speed-test request against the limit of the credential presented (``SPEED_TEST_RATE_LIMIT``);
    429 with Retry-After once it is used up, so that a phone (or a stolen token) cannot make the server a
    bandwidth pump."""
    if SPEED_TEST not in current_app.extensions:
        return
    limiter, limit = current_app.extensions[SPEED_TEST]
    key = _client_key()
    if limiter.hit(limit, "speed-test", key):
        return
    reset_at = limiter.get_window_stats(limit, "speed-test", key).reset_time
    raise TooManyRequests(
        _("Too many speed-test requests: at most %(limit)s. Try again later.", limit=str(limit)),
        math.ceil(reset_at - time.time()),
    )


def _sign_in_keys(username: str | None) -> list[str]:
    keys = [f"address:{request.remote_addr}"]
    if username:
        keys.append("account:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32])
    return keys


def check_sign_in_allowed(username: str | None) -> None:
    """429 with Retry-After once the account or the address has used up its failed sign-ins; the same answer
    whether or not the account exists."""
    if EXTENSION not in current_app.extensions:
        return
    limiter, limit = current_app.extensions[EXTENSION]
    waits = [
        limiter.get_window_stats(limit, SIGN_IN, key).reset_time - time.time()
        for key in _sign_in_keys(username)
        if not limiter.test(limit, SIGN_IN, key)
    ]
    if waits:
        raise TooManyRequests(_("Too many failed sign-ins. Try again later."), math.ceil(max(waits)))


def count_failed_sign_in(username: str | None) -> None:
    if EXTENSION in current_app.extensions:
        limiter, limit = current_app.extensions[EXTENSION]
        for key in _sign_in_keys(username):
            limiter.hit(limit, SIGN_IN, key)


# Cheap test for JSON that may hold what no column can store; only bodies that match are parsed strictly.
SUSPICIOUS_JSON = re.compile(rb"\\u0000|\\u[dD][89abAB]|NaN|Infinity")
# A number whose exponent may overflow a double. Text such as a UUID ("...-1e234...") holds the same characters,
# so a match counts only where a JSON number starts (see ``_suspicious``); otherwise every sync batch of UUIDs
# would be parsed twice.
BIG_EXPONENT = re.compile(rb"[0-9][eE]\+?[0-9]{3}")
NUMBER_START = frozenset(b" \t\r\n:,[")
NUMBER_CHARS = frozenset(b"0123456789.-+")
# The same matches found with plain substring searches: every digit read as 0 and E as e, BIG_EXPONENT's shapes
# are two fixed strings (the expression, tried at each of a 300 kB batch's positions, took 1.7 ms; this 0.2 ms).
_EXPONENT_SHAPE = bytes.maketrans(b"123456789E", b"000000000e")
_EXPONENT_NEEDLES = (b"0e000", b"0e+000")


def _exponent_starts(body: bytes):
    """Every position where BIG_EXPONENT matches (overlapping ones included)."""
    shape = body.translate(_EXPONENT_SHAPE)
    for needle in _EXPONENT_NEEDLES:
        start = shape.find(needle)
        while start >= 0:
            yield start
            start = shape.find(needle, start + 1)


def _suspicious(body: bytes) -> bool:
    # plain substring tests first (a sync batch is some 300 kB): the expression only where one may match
    if (b"\\u" in body or b"NaN" in body or b"Infinity" in body) and SUSPICIOUS_JSON.search(body):
        return True
    for start in _exponent_starts(body):
        while start > 0 and body[start - 1] in NUMBER_CHARS:
            start -= 1
        if start == 0 or body[start - 1] in NUMBER_START:
            return True
    return False


NUL_MESSAGE = "Text must not contain NUL (U+0000) characters."


class InvalidJson(ProblemError):
    http_status = 400


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (no unpaired surrogates)."
    return None


def _first_bad_text(value) -> str | None:
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            if message := _first_bad_text(item):
                return message
    return None


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text[:40]} is beyond double precision")
    return number


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def reject_unstorable_input() -> None:
    """Refuse, up front and the same on both backends, input no column can hold: NUL characters (PostgreSQL
    text cannot store them), unpaired surrogates, and NaN, Infinity or overflowing numbers in JSON (not JSON
    at all, and not storable in a JSON column)."""
    if "\x00" in request.path:
        raise NotFound(_("No such resource."))
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise InvalidInput({name.replace("\x00", "") or "_query": [NUL_MESSAGE]})
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            name, value = name or "", value or ""
            if "\x00" in name or "\x00" in value:
                raise InvalidInput({name.replace("\x00", "") or "_form": [NUL_MESSAGE]})
    elif request.is_json:
        body = request.get_data(cache=True)
        if not _suspicious(body):
            return
        try:
            data = json.loads(body, parse_float=_finite, parse_constant=_not_json)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise InvalidJson(_("The request body is not valid JSON."), errors={"_body": [str(exc)[:200]]}) from exc
        fields = data.items() if isinstance(data, dict) else [("_body", data)]
        for name, value in fields:
            if message := _first_bad_text(name) or _first_bad_text(value):
                raise InvalidInput({name if _bad_text(name) is None else "_body": [message]})


def content_security_policy(img_sources: list[str]) -> str:
    images = " ".join(["'self'", "data:", *img_sources])
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        )
    )


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config["CSP_IMG_SOURCES"]))
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
