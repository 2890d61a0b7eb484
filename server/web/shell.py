"""The shell every page shares (``templates/base.html``): the menu, the person's area in the header, and HTML
error pages for browsers (API clients keep problem+json).

Menu entries that come from other parts of the service (people, teams, account, sign-out) are linked by path, so
the shell does not depend on which blueprints are installed."""

import logging

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from server.auth import MANAGER_ROLES

log = logging.getLogger(__name__)

MENU = (
    ("/", _l("Dashboard")),
    ("/queues/", _l("Tickets")),
    ("/visit-plans", _l("Visit plans")),
    ("/maps/", _l("Maps")),
    ("/reports/", _l("Reports")),
    ("/surveys/", _l("Surveys")),
)
MANAGER_MENU = (
    ("/people", _l("People")),
    ("/teams", _l("Teams")),
)
AREA_NAMES_SHOWN = 3


def menu_for(user) -> list[tuple[str, str]]:
    entries = list(MENU)
    if user is not None and getattr(user, "role", None) in MANAGER_ROLES:
        entries += MANAGER_MENU
    return [(path, str(text)) for path, text in entries]


def current_section(path: str) -> str:
    """The menu entry the page belongs to: the longest menu path that starts the request path."""
    found = "/"
    for entry, _text in (*MENU, *MANAGER_MENU):
        if entry != "/" and (path == entry.rstrip("/") or path.startswith(entry.rstrip("/") + "/")):
            found = entry
    return found if found != "/" or path == "/" else ""


def area_label(scope) -> str:
    """The person's area in words: the whole country, or the names of their provinces and communes."""
    if scope is None:
        return ""
    if scope.everywhere:
        return _("Whole country")
    codes = sorted(scope.provinces | scope.communes)
    if not codes:
        return ""
    from server.extensions import db
    from server.models import AdminUnit

    try:
        names = list(
            db.session.scalars(
                select(AdminUnit.name).where(AdminUnit.code.in_(codes)).order_by(AdminUnit.code).limit(AREA_NAMES_SHOWN)
            )
        )
    except SQLAlchemyError as error:  # an error page while the database is away still renders
        log.debug("area names unavailable: %s", type(error).__name__)
        names = codes[:AREA_NAMES_SHOWN]
    shown = ", ".join(names)
    if len(codes) > AREA_NAMES_SHOWN:
        shown = _("%(names)s and %(count)d more", names=shown, count=len(codes) - AREA_NAMES_SHOWN)
    return shown


def shell_context() -> dict:
    user = g.get("current_user")
    return {
        "shell_menu": menu_for(user),
        "shell_section": current_section(request.path),
        "shell_area": area_label(g.get("current_scope")) if user is not None else "",
    }


def wants_html() -> bool:
    """A browser asking for a page: not an API path, and HTML preferred over JSON in ``Accept``."""
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "application/problem+json", "text/html"])
    return best == "text/html" and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]


def _signed_in_person() -> None:
    """A page that failed before its view ran (an unknown path) still shows the signed-in person's menu."""
    from flask_login import current_user

    from server.auth import scope_for

    if current_user.is_authenticated:
        g.current_user, g.current_scope = current_user.user, scope_for(current_user.user)


def error_page(status: int, title: str, detail: str | None, headers: dict | None = None):
    """The error in the shell, with a way back; ``None`` when rendering fails (the caller sends problem+json)."""
    try:
        if status < 500 and g.get("current_user") is None:
            _signed_in_person()
        body = render_template("error.html", status=status, title=title, detail=detail)
    except Exception:
        log.exception("error page could not be rendered")
        return None
    return body, status, {"Cache-Control": "no-store", **(headers or {})}


def register(app) -> None:
    app.context_processor(shell_context)
