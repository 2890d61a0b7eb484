"""Languages of the pages and problem documents: Vietnamese first, English second (Flask-Babel).

The catalogues live in ``translations/`` at the top of the repository (``.po`` files, kept in git); they are
compiled to ``.mo`` files under the instance folder when the app starts, whenever a ``.po`` is newer than its
``.mo``. Who gets which language:

- pages: the signed-in person's ``locale`` (when their account has one), else the ``lang`` cookie set by the
  language switch, else the browser's ``Accept-Language``, else Vietnamese;
- the API (paths under ``/api/``): ``Accept-Language`` only; a client that sends none (scripts, curl) gets English,
  the language of the field names and codes it already reads.

Dates, numbers and money are formatted with Babel for that language, in Viet Nam's time zone."""

import functools
import logging
import os
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, g, has_app_context, has_request_context, redirect, request
from flask_babel import Babel, force_locale, get_locale

from server.labels import label

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
API_DEFAULT_LOCALE = "en"
TIMEZONE = "Asia/Ho_Chi_Minh"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"

babel = Babel()
blp = Blueprint("i18n", __name__)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def select_locale() -> str:
    if not has_request_context():  # command line: the language of the codes and the logs
        return API_DEFAULT_LOCALE
    if is_api_request():
        return request.accept_languages.best_match(LOCALES, default=API_DEFAULT_LOCALE)
    user = g.get("current_user")
    chosen = getattr(user, "locale", None)
    if chosen in LOCALES:
        return chosen
    if request.cookies.get(COOKIE) in LOCALES:
        return request.cookies[COOKIE]
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE)


@contextmanager
def in_language(locale: str):
    """Translate in ``locale`` whatever the request's language: for texts stored for people to read later (ticket
    titles are stored in Vietnamese). Needs the app, whose catalogues it reads: the CLI, ingest and tests run in
    its context; outside it texts would silently stay English, so this refuses."""
    if not has_app_context():
        raise RuntimeError("texts stored in a given language need the app context (with app.app_context(): ...)")
    g.setdefault("_flask_babel", SimpleNamespace())  # Flask-Babel ignores an empty g
    with force_locale(locale):
        yield


def _fresh_language() -> None:
    """Flask-Babel keeps the language in ``g``, and ignores ``g`` while it is empty: give every request its own."""
    g._flask_babel = SimpleNamespace()


def compile_catalogues(source: Path, target: Path) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under ``source`` into ``target`` when the ``.mo`` is
    missing or older; returns ``target``. Written through a temporary file, so concurrent workers never read a
    half-written catalogue."""
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with tempfile.NamedTemporaryFile(dir=mo_path.parent, delete=False) as out:
            write_mo(out, catalog)
        os.replace(out.name, mo_path)
    return target


def configure_i18n(app: Flask) -> None:
    if not (TRANSLATIONS / DEFAULT_LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po").exists():
        logging.getLogger(__name__).warning("no catalogues in %s: pages will be in English", TRANSLATIONS)
    compiled = compile_catalogues(TRANSLATIONS, Path(app.instance_path) / "translations")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_fresh_language)
    app.jinja_env.filters.update(
        label=label,
        date=local_date,
        datetime=local_datetime,
        number=number,
        percent=percent,
        vnd=vnd,
    )
    app.jinja_env.globals.update(current_locale=lambda: str(get_locale()), locales=LOCALES)
    app.register_blueprint(blp)


# --- Formatting (Jinja filters) -------------------------------------------------------------------------

DASH = "–"


def _locale() -> str:
    """The request's language; outside a request (builders called from a script or a test), English."""
    if not has_request_context():
        return API_DEFAULT_LOCALE
    return str(get_locale() or select_locale())


def format_datetime(value: datetime, pattern: str) -> str:
    return babel_dates.format_datetime(value, pattern, tzinfo=babel_dates.get_timezone(TIMEZONE), locale=_locale())


def format_date(value: date, pattern: str) -> str:
    return babel_dates.format_date(value, pattern, locale=_locale())


@functools.cache
def _number_format(format: str, locale: str) -> tuple[babel_numbers.NumberPattern, Locale, str | None]:
    """The parsed pattern, the locale and (for a plain ``#,##0``) its group separator: a report page formats
    thousands of numbers, and parsing both again for each cost more than the formatting."""
    babel_locale = Locale.parse(locale)
    group = babel_numbers.get_group_symbol(babel_locale) if format == "#,##0" else None
    return babel_numbers.parse_pattern(format), babel_locale, group


def format_decimal(value, format: str) -> str:
    """As ``babel.numbers.format_decimal``; a whole non-negative number in ``#,##0`` is grouped by Python with the
    locale's separator (the same text, a tenth of the time)."""
    pattern, locale, group = _number_format(format, _locale())
    if group is not None and type(value) is int and value >= 0:
        return f"{value:,}".replace(",", group)
    return pattern.apply(value, locale)


def format_percent(value, format: str) -> str:
    return babel_numbers.format_percent(value, format=format, locale=_locale())


def format_currency(value, currency: str, format: str, currency_digits: bool) -> str:
    return babel_numbers.format_currency(
        value, currency, format=format, currency_digits=currency_digits, locale=_locale()
    )


def local_date(value: date | datetime | str | None, empty: str = DASH) -> str:
    """dd/mm/yyyy in Viet Nam time (an ISO date text, as some report rows hold, is read first)."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    return format_date(value, "dd/MM/yyyy")


def local_datetime(value: datetime | None, empty: str = DASH) -> str:
    """dd/mm/yyyy HH:mm in Viet Nam time."""
    return empty if value is None else format_datetime(value, "dd/MM/yyyy HH:mm")


def number(value, digits: int = 0) -> str:
    """``1.234,5`` in Vietnamese, ``1,234.5`` in English."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern)


def percent(value, digits: int = 1) -> str:
    if value is None:
        return DASH
    return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%")


def vnd(value) -> str:
    """Money in đồng: ``1.500.000 ₫``."""
    if value is None:
        return DASH
    return format_currency(value, "VND", format="#,##0\xa0¤", currency_digits=False)


# --- The language switch ---------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@blp.post("/language")
def switch_language():
    """Set the ``lang`` cookie and, for a signed-in person whose account has a ``locale``, store it there."""
    locale = request.form.get("locale", "")
    target = _safe_next(request.form.get("next"))
    if locale not in LOCALES:
        return redirect(target)
    if request.headers.get("Authorization") or _has_session():
        _store_on_account(locale)
    response = redirect(target)
    response.set_cookie(
        COOKIE,
        locale,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _has_session() -> bool:
    from flask import session

    return bool(session)


def _store_on_account(locale: str) -> None:
    """Through the pages' own login check, so this follows whatever sign-in the pages use."""
    from server.extensions import db
    from server.web.session import page_login_required

    @page_login_required
    def store():
        user = g.current_user
        if hasattr(user, "locale"):
            user.locale = locale
            db.session.commit()
        return None

    store()
