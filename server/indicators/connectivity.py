"""Connectivity indicators: readings, dead-spot share, and the sites (villages, schools...) found with no
service, no fixed broadband or no power in the period.

Read from the daily rollups of readings (per commune and site ``ReadingRollup``, per H3 cell and network
``CellRollup``, per operator and network ``OperatorRollup``; per resolution-5 cell, province and network, by day
and by month, for maps of whole provinces), never from the raw readings.

A site's status comes from the readings taken at it (``site_id``) in the period:
no service = every reading was a dead spot; no fixed broadband = no reading on fixed broadband or fibre;
no power = some reading said the power was off and none said it was on."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select, true, union_all
from sqlalchemy.orm import Session

from server.auth import Scope
from server.indicators.areas import Area, Period
from server.indicators.rollups import rollup_source
from server.indicators.sql import count_if, key_column, place_conditions, ratio
from server.models import (
    CellRollup,
    CoarseCellDailyRollup,
    CoarseCellMonthlyRollup,
    Operator,
    OperatorRollup,
    PlaceMonthlyRollup,
    ReadingRollup,
    Site,
)
from server.models.rollups import month_bounds

R = ReadingRollup
C = CellRollup
SUMS = ("readings", "dead_spots", "broadband")  # what the rollups read by ``by_months`` add up
FIELDS = (
    "readings",
    "dead_spot_readings",
    "dead_spot_share",
    "fixed_broadband_readings",
    "sites_measured",
    "sites_no_service",
    "villages_no_service",
    "sites_no_fixed_broadband",
    "sites_no_power",
)


def _per_site(session: Session, scope: Scope, area: Area, period: Period, level: str):
    R = rollup_source(session, ReadingRollup, area)
    key = key_column(R, level)
    return (
        select(
            key.label("key"),
            R.site_id.label("site_id"),
            func.sum(R.readings).label("readings"),
            func.sum(R.dead_spots).label("dead"),
            func.sum(R.broadband).label("broadband"),
            func.sum(R.power_off).label("power_off"),
            func.sum(R.power_on).label("power_on"),
        )
        .where(*place_conditions(R, scope, area, level), period.contains_day(R.day))
        .group_by(key, R.site_id)
        .subquery("per_site")
    )


def _on_network(session: Session, scope: Scope, area: Area, period: Period, level: str, network: str) -> dict:
    """Readings, dead spots and fixed broadband on one network, per commune or province (from the cells)."""
    C = rollup_source(session, CellRollup, area)
    key = key_column(C, level)
    query = (
        select(key, func.sum(C.readings), func.sum(C.dead_spots), func.sum(C.broadband))
        .where(*place_conditions(C, scope, area, level), period.contains_day(C.day), C.network == network)
        .group_by(key)
    )
    return {
        key_value: (int(readings or 0), int(dead or 0), int(broadband or 0))
        for key_value, readings, dead, broadband in session.execute(query)
    }


def readings_by(
    session: Session, scope: Scope, area: Area, period: Period, level: str, cell_resolution: int | None = None
) -> dict[str, dict]:
    """Per commune, province or H3 cell (taken at ``cell_resolution`` when given): readings, dead-spot readings,
    dead-spot share and fixed-broadband readings, as ``connectivity_by`` counts them, without the site figures
    (one sum per place instead of one per site: what the ranking needs)."""
    if level == "h3":
        return _by_cell(session, scope, area, period, None, cell_resolution)

    def part(span: Span):
        model = PlaceMonthlyRollup if span.monthly else ReadingRollup
        return _sums_part(session, scope, area, level, model, lambda m: key_column(m, level), span)

    query = _summed([part(span) for span in by_months(period, area)])
    return {
        key_value: _reading_figures(readings, dead, broadband)
        for key_value, readings, dead, broadband in session.execute(query)
    }


@dataclass(frozen=True)
class Span:
    """Days [since, until) of a period read from a monthly rollup (``monthly``: whole months) or a daily one, added
    (``sign`` 1) or taken off (-1). ``None`` is an open end."""

    since: date | None
    until: date | None
    monthly: bool
    sign: int = 1


def by_months(period: Period, area: Area) -> list[Span]:
    """The spans a period's sums are read in: its whole months from a monthly rollup, and each month it covers
    in part either as its days from the daily rollup or, when fewer days of that month lie outside the period,
    as the whole month less those days (sums are exact counts, so both give the same figures; a place whose
    figures then add up to nothing had none in the period). All from the daily rollup when the area asks for
    reviewed records only (read from the raw records, by day)."""
    first, end = period.first_day, period.end_day  # ``end`` is the day after the period
    if area.reviewed_only:
        return [Span(first, end, monthly=False)]
    spans = []
    whole_from = first if first is None or first.day == 1 else month_bounds(first)[1]
    whole_to = end if end is None or end.day == 1 else end.replace(day=1)
    partial = []  # (month's first day, first day inside, day after the last inside)
    if whole_from is not None and whole_to is not None and whole_from > whole_to:  # within one month
        partial.append((first.replace(day=1), first, end))
    else:
        if whole_from is None or whole_to is None or whole_from < whole_to:
            spans.append(Span(whole_from, whole_to, monthly=True))
        if first is not None and first < whole_from:
            partial.append((first.replace(day=1), first, whole_from))
        if end is not None and whole_to < end:
            partial.append((whole_to, whole_to, end))
    for month, since, until in partial:
        after = month_bounds(month)[1]
        if (since - month).days + (after - until).days < (until - since).days:
            spans.append(Span(month, after, monthly=True))
            spans += [Span(a, b, monthly=False, sign=-1) for a, b in ((month, since), (until, after)) if a < b]
        else:
            spans.append(Span(since, until, monthly=False))
    return spans


def _sums_part(session, scope, area, level, model, key_of, span: Span, network=None, sums=SUMS, cells_only=False):
    """``sums`` per ``key_of(model)`` over ``model``'s rows of the span, times its sign (on one ``network`` when
    given; rows with a cell only if ``cells_only``)."""
    M = rollup_source(session, model, area)
    key = key_of(M)
    return (
        select(key.label("key"), *(func.sum(getattr(M, name) * span.sign).label(name) for name in sums))
        .where(
            *place_conditions(M, scope, area, level),
            M.day >= span.since if span.since is not None else true(),
            M.day < span.until if span.until is not None else true(),
            M.network == network if network else true(),
            M.h3_cell != "" if cells_only else true(),
        )
        .group_by(key)
    )


def _summed(parts: list, sums=SUMS):
    """The parts' sums added up per key, keys with readings only (one part: itself)."""
    if len(parts) == 1:
        return parts[0]
    rows = union_all(*parts).subquery("parts")
    readings = func.sum(rows.c.readings)
    return select(rows.c.key, *(func.sum(rows.c[name]) for name in sums)).group_by(rows.c.key).having(readings > 0)


def _reading_figures(readings, dead, broadband) -> dict:
    readings, dead = int(readings or 0), int(dead or 0)
    return {
        "readings": readings,
        "dead_spot_readings": dead,
        "dead_spot_share": ratio(dead, readings),
        "fixed_broadband_readings": int(broadband or 0),
    }


def connectivity_by(
    session: Session, scope: Scope, area: Area, period: Period, level: str, network: str | None = None
) -> dict[str, dict]:
    """Per commune, province or H3 cell: readings, dead-spot readings, dead-spot share (dead / readings, None
    without readings), fixed-broadband readings and the sites measured (with a reading at them) and lacking.
    ``network`` narrows the readings, dead spots and fixed broadband; the site figures stay over every network."""
    if level == "h3":
        return _by_cell(session, scope, area, period, network)
    per_site = _per_site(session, scope, area, period, level)
    s = per_site.c
    at_site = s.site_id != 0
    no_service = and_(at_site, s.dead == s.readings)
    query = (
        select(
            s.key,
            func.sum(s.readings),
            func.sum(s.dead),
            func.sum(s.broadband),
            count_if(at_site),
            count_if(no_service),
            count_if(and_(no_service, Site.kind == "village")),
            count_if(and_(at_site, s.broadband == 0)),
            count_if(and_(at_site, s.power_off > 0, s.power_on == 0)),
        )
        .select_from(per_site.outerjoin(Site, Site.id == s.site_id))
        .group_by(s.key)
    )
    result = {}
    on_network = _on_network(session, scope, area, period, level, network) if network else None
    for key, readings, dead, broadband, measured, no_svc, villages, no_bb, no_power in session.execute(query):
        readings, dead = int(readings or 0), int(dead or 0)
        if on_network is not None:
            readings, dead, broadband = on_network.get(key, (0, 0, 0))
        result[key] = {
            "readings": readings,
            "dead_spot_readings": dead,
            "dead_spot_share": ratio(dead, readings),
            "fixed_broadband_readings": int(broadband or 0),
            "sites_measured": int(measured or 0),
            "sites_no_service": int(no_svc or 0),
            "villages_no_service": int(villages or 0),
            "sites_no_fixed_broadband": int(no_bb or 0),
            "sites_no_power": int(no_power or 0),
        }
    return result


def _by_cell(
    session: Session,
    scope: Scope,
    area: Area,
    period: Period,
    network: str | None,
    cell_resolution: int | None = None,
) -> dict[str, dict]:
    """Per ``province:cell`` of the readings placed at province level only (no site figures: a reading at a site
    is placed in the site's commune); cells taken at ``cell_resolution`` when given. Over every network, at the
    ranked resolution or coarser, the whole months come from the monthly place rollup."""

    def part(span: Span):
        model = PlaceMonthlyRollup if span.monthly else CellRollup
        return _sums_part(
            session, scope, area, "h3", model, lambda m: key_column(m, "h3", cell_resolution), span, network
        )

    coarse_enough = cell_resolution is not None and cell_resolution <= PlaceMonthlyRollup.RESOLUTION
    if network is None and coarse_enough:
        query = _summed([part(span) for span in by_months(period, area)])
    else:
        query = part(Span(period.first_day, period.end_day, monthly=False))
    no_sites = dict.fromkeys(FIELDS[4:], 0)
    return {
        key_value: {**_reading_figures(readings, dead, broadband), **no_sites}
        for key_value, readings, dead, broadband in session.execute(query)
    }


def site_connectivity(session: Session, scope: Scope, area: Area, period: Period) -> list[dict]:
    """Each site with readings in the period: its figures and what it lacks (commune page, site table)."""
    per_site = _per_site(session, scope, area, period, "commune")
    s = per_site.c
    query = (
        select(
            Site.id,
            Site.name,
            Site.kind,
            Site.admin_unit_code,
            s.readings,
            s.dead,
            s.broadband,
            s.power_off,
            s.power_on,
        )
        .select_from(per_site.join(Site, Site.id == s.site_id))
        .order_by(Site.admin_unit_code, Site.name, Site.id)
    )
    rows = []
    for site_id, name, kind, commune, readings, dead, broadband, power_off, power_on in session.execute(query):
        rows.append(
            {
                "site_id": site_id,
                "site_name": name,
                "site_kind": kind,
                "commune_code": commune,
                "readings": int(readings),
                "dead_spot_readings": int(dead),
                "dead_spot_share": ratio(int(dead), int(readings)),
                "no_service": int(dead) == int(readings),
                "no_fixed_broadband": int(broadband) == 0,
                "no_power": int(power_off) > 0 and int(power_on) == 0,
            }
        )
    return rows


OPERATOR_FIELDS = ("operator_code", "operator_name", "readings", "dead_spot_readings", "dead_spot_share")


def connectivity_by_operator(session: Session, scope: Scope, area: Area, period: Period) -> list[dict]:
    """Per mobile operator (``operator_code``, named from the operator table): readings and dead-spot share.
    Readings without a code form one row with a null code."""
    o = rollup_source(session, OperatorRollup, area)
    query = (
        select(o.operator_code, Operator.name, func.sum(o.readings), func.sum(o.dead_spots))
        .outerjoin(Operator, Operator.code == o.operator_code)
        .where(*place_conditions(o, scope, area, "province"), period.contains_day(o.day))
        .group_by(o.operator_code, Operator.name)
        .order_by(o.operator_code)
    )
    return [
        {
            "operator_code": code or None,
            "operator_name": name,
            "readings": int(readings),
            "dead_spot_readings": int(dead or 0),
            "dead_spot_share": ratio(int(dead or 0), int(readings)),
        }
        for code, name, readings, dead in session.execute(query)
    ]


def dead_spots_by_cell(
    session: Session, scope: Scope, area: Area, period: Period, network: str | None = None
) -> list[tuple[str, int, int]]:
    """(H3 cell at the stored resolution, readings, dead-spot readings) for every cell of the area with readings
    in the period: what the dead-spot map draws, coarsened as it needs."""
    C = rollup_source(session, CellRollup, area)
    query = (
        select(C.h3_cell, func.sum(C.readings), func.sum(C.dead_spots))
        .where(
            scope.filter(C.admin_unit_code, C.province_code),
            area.filter(C.admin_unit_code, C.province_code),
            period.contains_day(C.day),
            C.network == network if network else true(),
            C.h3_cell != "",
        )
        .group_by(C.h3_cell)
    )
    return [(cell, int(readings), int(dead or 0)) for cell, readings, dead in session.execute(query)]


def coarse_cells_readable(scope: Scope, area: Area) -> bool:
    """The coarse cell rollups (per province) hold what the area and the jurisdiction cover: not a commune, and
    a jurisdiction of whole provinces (or everything), never single communes."""
    return area.commune is None and not scope.communes


def dead_spots_by_coarse_cell(
    session: Session, scope: Scope, area: Area, period: Period, network: str | None = None
) -> list[tuple[str, int, int]]:
    """``dead_spots_by_cell`` summed into the resolution-5 parents of the cells (the cells themselves if stored
    that coarse; ``server.models.rollups.COARSE_RESOLUTION``), read from the coarse rollups: the monthly one for
    the months of the period, the daily one for the days around them (``by_months``). Only where
    ``coarse_cells_readable``."""
    if not coarse_cells_readable(scope, area):
        raise ValueError("the coarse cell rollups hold whole provinces only")

    def part(span: Span):
        model = CoarseCellMonthlyRollup if span.monthly else CoarseCellDailyRollup
        sums = ("readings", "dead_spots")
        return _sums_part(session, scope, area, "province", model, lambda m: m.h3_cell, span, network, sums, True)

    query = _summed([part(span) for span in by_months(period, area)], ("readings", "dead_spots"))
    return [(cell, int(readings), int(dead or 0)) for cell, readings, dead in session.execute(query)]
