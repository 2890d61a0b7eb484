"""Errors as RFC 9457 problem documents (``application/problem+json``).

Domain code raises a ``ProblemError`` subclass; each class knows its HTTP status and title.
One handler renders them, together with werkzeug's HTTP errors and webargs' validation errors.
``title`` and ``detail`` are in the request's language (``Accept-Language``; see ``server.i18n``): titles are
translated per class, details where they are raised (``gettext``). A browser asking for a page gets the same
error as an HTML page in the shell, with a way back (``server.web.shell``).
"""

import logging

import marshmallow as ma
from flask import Response, json
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document; ``errors`` maps field names to messages."""

    type = ma.fields.String(metadata={"description": "URI identifying the problem type"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem type"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong in this request"})
    errors = ma.fields.Dict(metadata={"description": "Messages per field name"})
    rule = ma.fields.String(metadata={"description": "On a refusal (403): the rule applied, e.g. ticket.resolve"})
    rule_says = ma.fields.String(metadata={"description": "On a refusal (403): what that rule allows"})


# The one title of each status, for every problem document (raised by domain code, or werkzeug's and webargs'
# errors): the HTTP reason phrase, in the request's language. ``detail`` says what went wrong.
HTTP_TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    409: _l("Conflict"),
    410: _l("Gone"),
    412: _l("Precondition Failed"),
    413: _l("Request Entity Too Large"),
    414: _l("Request URI Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Entity"),
    428: _l("Precondition Required"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    501: _l("Not Implemented"),
    503: _l("Service Unavailable"),
}


def status_title(status: int):
    return HTTP_TITLES.get(status, _l("Error"))


class ProblemError(Exception):
    """A problem of status ``http_status``; its title is that status's one title (``HTTP_TITLES``)."""

    http_status = 400
    type = "about:blank"

    @property
    def title(self):
        return status_title(self.http_status)

    def __init__(self, detail: str | None = None, errors: dict | None = None, headers: dict | None = None):
        detail = str(detail or self.title)
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra: dict = {}  # more members of the problem document (e.g. the current state after a conflict)


class InvalidInput(ProblemError):
    http_status = 422

    def __init__(self, errors: dict, detail: str | None = None):
        super().__init__(detail or _("Some fields are invalid; see errors."), errors=errors)


class Unauthorized(ProblemError):
    http_status = 401

    def __init__(self, detail: str):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="fieldops"'})


class Forbidden(ProblemError):
    http_status = 403


class NotFound(ProblemError):
    http_status = 404


class Conflict(ProblemError):
    http_status = 409


class PayloadTooLarge(ProblemError):
    http_status = 413


class TooManyRequests(ProblemError):
    http_status = 429

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(ProblemError):
    http_status = 503

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ConfigError(RuntimeError):
    """A setting is wrong or the environment lacks something the setting needs."""


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
    type_: str = "about:blank",
    extra: dict | None = None,
) -> Response:
    body = {"type": type_, "title": str(title), "status": status, **(extra or {})}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors under their location (json, query, ...); clients want field names."""
    flat = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
        else:
            flat.setdefault("_schema", []).extend(location_errors)
    return flat


HTTP_DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("You need to sign in, or your sign-in is no longer valid."),
    403: _l("You are not allowed to do this."),
    404: _l("This page or item does not exist, or is outside your area."),
    405: _l("This address does not accept this method."),
    413: _l("The request is too large."),
    415: _l("This kind of file or content is not accepted."),
    429: _l("Too many requests; wait a moment and try again."),
    500: _l("The server failed to handle this request."),
    503: _l("The service is not available at the moment; try again in a moment."),
}


def respond(
    status: int,
    title,
    detail=None,
    errors: dict | None = None,
    headers: dict | None = None,
    type_: str = "about:blank",
    extra: dict | None = None,
) -> Response:
    """The error as an HTML page in the shell for a browser asking for a page, else as a problem document."""
    from flask import has_request_context

    if has_request_context():
        from server.web.shell import error_page, wants_html

        if wants_html():
            page = error_page(status, str(title), str(detail) if detail else None, headers)
            if page is not None:
                return page
    return problem_response(status, title, detail, errors, headers, type_, extra)


def problem_from_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = None
    detail = data.get("message") or error.description
    if detail == type(error).description:  # werkzeug's own English sentence
        detail = HTTP_DETAILS.get(error.code, detail)
    if "messages" in data:
        errors = _flatten_locations(data["messages"])
        detail = _("Some fields are invalid; see errors.")
        if error.code == 400:
            detail = _("The request body is not valid JSON.")
    elif "errors" in data:
        errors = data["errors"]
    headers = dict(data.get("headers") or {})
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return respond(error.code or 500, HTTP_TITLES.get(error.code, error.name), detail, errors, headers)


def handle_problem_error(error: ProblemError) -> Response:
    return respond(error.http_status, error.title, error.detail, error.errors, error.headers, extra=error.extra)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return problem_from_http_exception(error)
    log.exception("unhandled error")
    return respond(500, HTTP_TITLES[500], HTTP_DETAILS[500])


# SQLite messages that mean "busy or unreachable now", not "this statement is wrong".
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open database", "disk i/o error")


def database_unavailable(error: BaseException) -> bool:
    """The database cannot serve us right now (down, restarting, refusing connections, connection cut, pool
    exhausted, locked), as opposed to a statement that is wrong: the first is a 503, the second a 500."""
    import psycopg
    from sqlalchemy import exc

    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):
        return True
    if isinstance(error, exc.PendingRollbackError):
        return "invalid transaction" in str(error)
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    message = str(error).lower()
    return type(error).__name__ == "OperationalError" and any(text in message for text in _SQLITE_UNAVAILABLE)


def _describe_database_error(error: BaseException) -> str:
    """Class and first line of the driver's message: no SQL, no parameters (they may hold personal data)."""
    orig = getattr(error, "orig", None) or error
    first_line = (str(orig).strip().splitlines() or [""])[0][:200]
    return f"{type(orig).__name__}: {first_line}"


def register_error_handlers(app) -> None:
    import psycopg
    from flask import current_app
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    from server.extensions import db

    def rollback_quietly() -> None:
        try:
            db.session.rollback()
        except Exception as exc:  # the connection may be gone: the pool replaces it on next checkout
            log.debug("rollback after a database error failed: %s", type(exc).__name__)

    def handle_integrity_error(error: IntegrityError) -> Response:
        rollback_quietly()
        log.info("integrity error: %s", _describe_database_error(error))
        return respond(409, status_title(409), _("The change conflicts with data already stored."))

    def handle_database_error(error: Exception) -> Response:
        rollback_quietly()
        if not database_unavailable(error):
            return handle_unexpected(error)
        log.warning("database unavailable: %s", _describe_database_error(error))
        retry_after = current_app.config.get("DB_RETRY_AFTER_SECONDS", 5)
        return handle_problem_error(
            ServiceUnavailable(_("The database is not reachable at the moment; retry later."), retry_after)
        )

    app.register_error_handler(ProblemError, handle_problem_error)
    app.register_error_handler(HTTPException, problem_from_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(psycopg.Error, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
