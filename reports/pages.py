"""Server-rendered report pages per province and per commune, and their table downloads. Pages take the API's
bearer token or a browser login session. The map is an iframe onto the maps package's page (not imported:
reports work without it, and the page says so when maps are unavailable)."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import marshmallow as ma
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from field_app_api.common import SUPPORTED_YEARS, supported_moment
from reports.exports import FORMATS
from reports.parameters import PARTS, Area, Costs, Period, RankingOptions, Weights
from reports.routes import REPORTS, respond
from reports.summaries import UNVISITED_DAYS, commune_report, province_report
from server.auth import current_scope
from server.errors import InvalidInput, NotFound
from server.extensions import db
from server.i18n import local_datetime, number, percent
from server.indicators.areas import resolve_area
from server.models import AdminUnit, Ticket
from server.models.tickets import ACTIVE_STATUSES
from server.services.calendar import VIETNAM
from server.services.tickets import overdue_condition, queue_query
from server.web.session import page_login_required

blp = Blueprint("reports_pages", __name__, url_prefix="/reports", template_folder="templates")
MAP_PATH = "/maps/communes"
MAX_PAGE_BUDGET = 10**15
OPEN_TICKETS_LISTED = 20


def _day_or_time(raw: str, end: bool) -> datetime:
    """A date from the page's form (a whole day in Viet Nam; ``until`` includes it) or an aware datetime."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("a time needs its timezone") from None
        return supported_moment(value)
    if not SUPPORTED_YEARS[0] <= day.year < SUPPORTED_YEARS[1]:
        raise ValueError("out of the supported years")
    return datetime.combine(day + timedelta(days=1) if end else day, time(), VIETNAM)


def _page_period() -> tuple[Period, dict[str, str]]:
    """The period from the query (``since``/``until`` as dates or aware times); bad values are reported on
    the page and the default period is used instead."""
    errors, bounds = {}, {}
    for name in ("since", "until"):
        raw = request.args.get(name, "").strip()
        if raw:
            try:
                bounds[name] = _day_or_time(raw, end=name == "until")
            except ValueError:
                errors[name] = (
                    _("From: not a date; the default period is used.")
                    if name == "since"
                    else _("To: not a date; the default period is used.")
                )
    until = bounds.get("until") or datetime.now(UTC)
    if "since" not in bounds:
        return Period.ending(until), errors
    if bounds["since"] >= until:
        errors["since"] = _("The start must be before the end; the default period is used.")
        return Period.ending(datetime.now(UTC)), errors
    return Period(bounds["since"], until), errors


def _page_budget(errors: dict) -> int | None:
    raw = request.args.get("budget", "").strip().replace(",", "").replace(".", "").replace(" ", "")
    if not raw:
        return None
    if raw.isdigit() and 0 < int(raw) <= MAX_PAGE_BUDGET:
        return int(raw)
    errors["budget"] = _("Budget: must be a whole positive number of đồng.")
    return None


def _unit(code: str, level: str) -> tuple[AdminUnit, Area]:
    try:
        area = resolve_area(db.session, current_scope(), **{level: code})
    except InvalidInput as exc:
        raise NotFound(
            _("No province %(code)s.", code=code) if level == "province" else _("No commune %(code)s.", code=code)
        ) from exc
    return db.session.get(AdminUnit, code), area


def maps_available() -> bool:
    return any(rule.rule == MAP_PATH for rule in current_app.url_map.iter_rules())


def _links(area: Area, period: Period) -> dict:
    query = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    query.update({k: v for k, v in area.as_dict().items() if v})
    map_query = {"indicator": "dead_spot_share", **query}
    return {
        "map": f"{MAP_PATH}?{urlencode(map_query)}",
        "query": urlencode(query),
    }


def _helpers() -> dict:
    def local(value) -> str:
        return local_datetime(value, empty=_("never"))

    def day(value: datetime) -> str:
        return value.astimezone(VIETNAM).date().isoformat()

    def last_day(value: datetime) -> str:
        return (value - timedelta(microseconds=1)).astimezone(VIETNAM).date().isoformat()

    return {
        "number": number,
        "percent": percent,
        "local": local,
        "day": day,
        "last_day": last_day,
        "parts": PARTS,
        "weights": Weights(),
    }


@blp.get("/")
@page_login_required
def index():
    """The report pages the person can open: their provinces, and their communes when they cover only some."""
    scope = current_scope()
    provinces = list(
        db.session.scalars(
            select(AdminUnit).where(AdminUnit.level == "province", scope.unit_filter()).order_by(AdminUnit.name)
        )
    )
    communes = []
    if not scope.everywhere and scope.communes:
        communes = list(
            db.session.scalars(
                select(AdminUnit).where(AdminUnit.code.in_(sorted(scope.communes))).order_by(AdminUnit.name)
            )
        )
    return render_template("reports/index.html", provinces=provinces, communes=communes)


@blp.get("/provinces/<code>")
@page_login_required
def province_page(code: str):
    """A province's report: summary, map, priorities (and a plan for a budget), communes, teams, coverage."""
    unit, area = _unit(code, "province")
    period, errors = _page_period()
    budget = _page_budget(errors)
    data = province_report(
        db.session, current_scope(), area, period, datetime.now(UTC), RankingOptions(), budget, Costs()
    )
    return render_template(
        "reports/province.html",
        unit=unit,
        data=data,
        period=period,
        errors=list(errors.values()),
        budget=budget,
        costs=Costs(),
        links=_links(area, period),
        maps_available=maps_available(),
        unvisited_days=UNVISITED_DAYS,
        **_helpers(),
    )


@blp.get("/communes/<code>")
@page_login_required
def commune_page(code: str):
    """A commune's report: its figures, its score part by part, sites, assets, teams and assistance."""
    unit, area = _unit(code, "commune")
    period, errors = _page_period()
    now = datetime.now(UTC)
    data = commune_report(db.session, current_scope(), area, period, now)
    return render_template(
        "reports/commune.html",
        open_tickets=_open_tickets(unit.code, now),
        unit=unit,
        province=db.session.get(AdminUnit, unit.parent_code),
        data=data,
        period=period,
        errors=list(errors.values()),
        links=_links(area, period),
        maps_available=maps_available(),
        **_helpers(),
    )


def _open_tickets(code: str, now: datetime) -> list[dict]:
    """The commune's tickets someone still has to act on, in queue order (overdue first), for links to their
    pages: where they are now, not in the report's period."""
    filters = {"admin_unit": code, "status": list(ACTIVE_STATUSES)}
    query = queue_query(db.session, current_scope(), filters, now).limit(OPEN_TICKETS_LISTED)
    found = list(db.session.scalars(query))
    ids = [ticket.id for ticket in found]
    overdue = set(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), overdue_condition(now))))
    return [{"ticket": ticket, "overdue": ticket.id in overdue} for ticket in found]


@blp.get("/download/<name>.<fmt>")
@page_login_required
def download(name: str, fmt: str):
    """A report table as a file, for the page's links (same query parameters as the API), with headers and
    labels in the person's language."""
    if name not in REPORTS or fmt not in FORMATS or fmt == "json":
        raise NotFound(_("No report download %(name)s.", name=f"{name}.{fmt}"))
    try:
        args = REPORTS[name][0]().load({**request.args.to_dict(), "format": fmt}, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:
        raise InvalidInput(exc.normalized_messages()) from exc
    return respond(name, args, for_people=True)
