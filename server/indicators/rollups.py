"""Keeping the daily rollups (``server.models.rollups``) in step with the raw records, and rebuilding them.

``apply_records`` is the one place a batch reaches the rollups: ingest calls it once per batch, inside the
ingest transaction, with the rows it actually inserted (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``),
so a retried or concurrent duplicate is never counted twice. It adds the batch's sums with one upsert per
rollup table (``ON CONFLICT ... DO UPDATE SET n = n + excluded.n``); rows go in key order, so concurrent
batches lock shared rollup rows in the same order and cannot deadlock. Records stored through the ORM
(scripts, test fixtures) are rolled up the same way when the session flushes them.

``rebuild`` recomputes the rollups from the raw records in SQL (one ``INSERT ... SELECT ... GROUP BY`` per
table), from a day on (a monthly rollup from that day's month) or entirely; its result must equal the incremental
one (tests check it). The coarse cell rollups key on the stored cell's parent, ``cell_parent`` in Python and
``cell_parent_sql`` in SQL."""

from collections.abc import Iterable
from datetime import date

import h3
from sqlalchemy import case, delete, event, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from server.indicators.areas import day_start, local_day
from server.indicators.sql import BROADBAND_NETWORKS, count_if, is_postgres
from server.models import AssistanceLog, ConnectivityReading, FieldRecord, Visit
from server.models.rollups import ROLLUP_KINDS, ROLLUPS, CellRollup, CoarseCellRollup, VisitRollup
from server.services.reviews import counted


def _province_level(row: dict) -> bool:
    return row["admin_unit_code"] == row["province_code"]


# Each rollup column as a pair: its value for one record (a dict of the record's columns, as ingest inserts them)
# and the same in SQL over the raw table (for rebuild). Keys first, then sums; one definition for both paths.
def _columns(session: Session | None, model) -> dict[str, tuple]:
    def raw(name):
        return lambda table: getattr(table, name)

    day = (lambda row: local_day(row["observed_at"]), lambda t: day_of(session, t.observed_at))
    if model.MONTHLY:
        day = (lambda row: local_day(row["observed_at"]).replace(day=1), lambda t: month_of(session, t.observed_at))
    cell = (lambda row: row.get("h3_cell") or "", lambda t: func.coalesce(t.h3_cell, ""))
    cell_if_unplaced = (
        lambda row: (row.get("h3_cell") or "") if _province_level(row) else "",
        lambda t: case((t.admin_unit_code == t.province_code, func.coalesce(t.h3_cell, "")), else_=""),
    )
    common = {
        "day": day,
        "admin_unit_code": (lambda row: row["admin_unit_code"], raw("admin_unit_code")),
        "network": (lambda row: row["network"], raw("network")),
        "site_id": (lambda row: row.get("site_id") or 0, lambda t: func.coalesce(t.site_id, 0)),
        "team_id": (lambda row: row.get("team_id") or 0, lambda t: func.coalesce(t.team_id, 0)),
        "operator_code": (lambda row: row.get("operator_code") or "", lambda t: func.coalesce(t.operator_code, "")),
        "service": (lambda row: row["service"], raw("service")),
        "h3_cell": cell if model is CellRollup else cell_if_unplaced,
        # sums
        "readings": (lambda row: 1, lambda t: func.count()),
        "logs": (lambda row: 1, lambda t: func.count()),
        "visits": (lambda row: 1, lambda t: func.count()),
        "dead_spots": (lambda row: int(bool(row["dead_spot"])), lambda t: count_if(t.dead_spot)),
        "broadband": (
            lambda row: int(row["network"] in BROADBAND_NETWORKS),
            lambda t: count_if(t.network.in_(BROADBAND_NETWORKS)),
        ),
        "power_off": (
            lambda row: int(row.get("power_available") is False),
            lambda t: count_if(t.power_available.is_(False)),
        ),
        "power_on": (
            lambda row: int(row.get("power_available") is True),
            lambda t: count_if(t.power_available.is_(True)),
        ),
        "citizens_helped": (lambda row: int(row["citizens_helped"]), lambda t: func.sum(t.citizens_helped)),
        "language_support": (lambda row: int(row.get("language_support") or 0), lambda t: func.sum(t.language_support)),
    }
    if issubclass(model, CoarseCellRollup):  # per province: the province stands in the commune column
        common["admin_unit_code"] = (lambda row: row["province_code"], raw("province_code"))
        common["h3_cell"] = (
            lambda row: cell_parent(row.get("h3_cell") or "", model.RESOLUTION),
            lambda t: cell_parent_sql(session, func.coalesce(t.h3_cell, ""), model.RESOLUTION),
        )
    return {name: common[name] for name in (*model.KEY, *model.SUMS)}


def cell_parent(cell: str, resolution: int) -> str:
    """The H3 cell's parent at ``resolution`` (the cell itself when it is that coarse already; ``''`` stays)."""
    if not cell or h3.get_resolution(cell) <= resolution:
        return cell
    return h3.cell_to_parent(cell, resolution)


HEX_DIGITS = "0123456789abcdef"


def cell_parent_sql(session: Session | None, cell, resolution: int):
    """SQL for ``cell_parent`` on an H3 cell written as 15 lowercase hex digits (as h3 writes them), with string
    functions both backends have: the resolution digit set to ``resolution`` and the 3-bit digits of the finer
    resolutions set to 7 (all ones), which is how H3 makes a parent. Equal to ``h3.cell_to_parent`` (tested)."""
    low_bits = 3 * (15 - resolution)  # the digits below the resolution: the index's lowest bits, all set
    full, partial = divmod(low_bits, 4)  # hex digits wholly set, and bits set in the one above them
    kept = 15 - full - (1 if partial else 0)  # hex digits kept as they are (the first two are rewritten)
    parts = [func.substr(cell, 1, 1), literal(f"{resolution:x}"), func.substr(cell, 3, kept - 2)]
    if partial:
        mask = (1 << partial) - 1
        ored = "".join(f"{digit | mask:x}" for digit in range(16))
        digit = func.substr(cell, kept + 1, 1)
        position = func.strpos(HEX_DIGITS, digit) if is_postgres(session) else func.instr(HEX_DIGITS, digit)
        parts.append(func.substr(ored, position, 1))
    parts.append(literal("f" * full))
    parent = parts[0]
    for part in parts[1:]:
        parent = parent.concat(part)
    coarse_enough = func.substr(cell, 2, 1).in_([f"{r:x}" for r in range(resolution + 1)])
    return case((cell == "", ""), (coarse_enough, cell), else_=parent)


def _upsert(session: Session, model, values: list[dict]) -> None:
    table = model.__table__
    statement = (postgresql if is_postgres(session) else sqlite).insert(table)
    changes = {name: table.c[name] + statement.excluded[name] for name in model.SUMS}
    if model is VisitRollup:
        latest = func.greatest if is_postgres(session) else func.max
        changes["last_visit_at"] = latest(table.c.last_visit_at, statement.excluded.last_visit_at)
    session.execute(statement.on_conflict_do_update(index_elements=list(model.KEY), set_=changes), values)


def apply_records(session: Session, rows_by_kind: dict[str, list[dict]]) -> None:
    """Add newly inserted records to the rollups: ``rows_by_kind`` maps a record kind (``connectivity_reading``,
    ``assistance_log``, ``visit``; others are ignored) to the rows just inserted, each a dict with the record's
    columns (``observed_at`` aware; ``admin_unit_code``, ``province_code``, ``h3_cell`` as stored). Call it
    only with rows the insert reported as new, in the transaction that inserted them."""
    for kind, model in ROLLUPS:  # always the same table order, and keys in order: concurrent batches never deadlock
        rows = rows_by_kind.get(kind)
        if not rows:
            continue
        columns = _columns(session, model)
        keys = [columns[name][0] for name in model.KEY]
        sums = [columns[name][0] for name in model.SUMS]
        totals: dict[tuple, list] = {}
        for row in rows:
            key = tuple(value(row) for value in keys)
            entry = totals.get(key)
            if entry is None:
                totals[key] = [row["province_code"], [value(row) for value in sums], row["observed_at"]]
            else:
                entry[1] = [total + value(row) for total, value in zip(entry[1], sums, strict=True)]
                entry[2] = max(entry[2], row["observed_at"])
        values = []
        for key in sorted(totals):
            province_code, totals_of_key, latest = totals[key]
            value = dict(zip(model.KEY, key, strict=True))
            value.update(zip(model.SUMS, totals_of_key, strict=True))
            value["province_code"] = province_code
            if model is VisitRollup:
                value["last_visit_at"] = latest
            values.append(value)
        _upsert(session, model, values)


def _record_row(record: FieldRecord) -> dict:
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}


@event.listens_for(Session, "after_flush")
def _roll_up_flushed_records(session: Session, _context) -> None:
    """Records added through the ORM reach the rollups as ingest's do (ingest itself inserts with SQL)."""
    rows: dict[str, list[dict]] = {}
    for record in session.new:
        if isinstance(record, FieldRecord) and record.kind in ROLLUP_KINDS:
            rows.setdefault(record.kind, []).append(_record_row(record))
    if rows:
        apply_records(session, rows)


# --- Rebuilding from the raw records ----------------------------------------------------------------------


def day_of(session: Session, column):
    """SQL: the day (Viet Nam time, UTC+7 all year) of a timestamp column, as a date."""
    if is_postgres(session):
        return func.date(func.timezone("Asia/Ho_Chi_Minh", column))
    return func.date(column, "+7 hours")


def month_of(session: Session, column):
    """SQL: the first day of the month (Viet Nam time) of a timestamp column, as a date."""
    if is_postgres(session):
        return func.date(func.date_trunc("month", func.timezone("Asia/Ho_Chi_Minh", column)))
    return func.date(column, "+7 hours", "start of month")


RAW_TABLES = {"connectivity_reading": ConnectivityReading, "assistance_log": AssistanceLog, "visit": Visit}


def _raw_select(session: Session, kind: str, model, reviewed_only: bool = False, where=()):
    """SQL computing ``model``'s rollup rows from the raw records, with the rollup's column names: only records
    that count (``server.services.reviews.counted``: never rejected or superseded; approved only with
    ``reviewed_only``)."""
    raw = RAW_TABLES[kind]
    columns = _columns(session, model)
    keys = [columns[name][1](raw).label(name) for name in model.KEY]
    sums = [columns[name][1](raw).label(name) for name in model.SUMS]
    extra = [func.max(raw.observed_at).label("last_visit_at")] if model is VisitRollup else []
    return (
        select(*keys, func.max(raw.province_code).label("province_code"), *sums, *extra)
        .where(counted(raw, kind, reviewed_only), *where)
        .group_by(*keys)
    )


def rollup_source(session: Session, model, area):
    """What an indicator reads for ``model``: the rollup table, or, when the area asks for reviewed records only
    (``Area.reviewed_only``), the same rows computed from the approved raw records (one definition, two sources)."""
    if not getattr(area, "reviewed_only", False):
        return model
    kind = next(kind for kind, rollup in ROLLUPS if rollup is model)
    subquery = _raw_select(session, kind, model, reviewed_only=True).subquery(model.__tablename__)
    return aliased(model, subquery, adapt_on_names=True)


def rebuild(session: Session, since: date | None = None) -> dict[str, int]:
    """Recompute every rollup from the raw records (only days from ``since`` on, when given); returns the number
    of rollup rows per table."""
    written = {}
    for kind, model in ROLLUPS:
        raw = RAW_TABLES[kind]
        first = model.period_of(since)[0] if since else None  # a monthly rollup is rebuilt from the month's start
        query = _raw_select(session, kind, model, where=[raw.observed_at >= day_start(first)] if first else [])
        cleared = delete(model)
        if first is not None:
            cleared = cleared.where(model.day >= first)
        session.execute(cleared)
        names = [*model.KEY, "province_code", *model.SUMS, *(["last_visit_at"] if model is VisitRollup else [])]
        session.execute(model.__table__.insert().from_select(names, query))
        written[model.__tablename__] = session.scalar(select(func.count()).select_from(model)) or 0
    return written


def refresh_records(session: Session, records: Iterable[tuple[str, object]]) -> None:
    """Recompute the rollup rows a few stored records fall in (``(kind, record)`` pairs), after their review
    changed whether they count: the rows are deleted and summed again from the raw records that count."""
    for kind, model in ROLLUPS:
        rows = [_record_row(record) for record_kind, record in records if record_kind == kind and record is not None]
        if not rows:
            continue
        raw = RAW_TABLES[kind]
        columns = _columns(session, model)
        keys = sorted({tuple(columns[name][0](row) for name in model.KEY) for row in rows})
        names = [*model.KEY, "province_code", *model.SUMS, *(["last_visit_at"] if model is VisitRollup else [])]
        for key in keys:
            values = dict(zip(model.KEY, key, strict=True))
            session.execute(delete(model).where(*(model.__table__.c[name] == value for name, value in values.items())))
            first, after = model.period_of(values["day"])  # the raw records' time range too, which indexes serve
            matching = [columns[name][1](raw) == value for name, value in values.items()]
            matching += [raw.observed_at >= day_start(first), raw.observed_at < day_start(after)]
            session.execute(
                model.__table__.insert().from_select(names, _raw_select(session, kind, model, where=matching))
            )


def snapshot(session: Session, models: Iterable = tuple(model for _, model in ROLLUPS)) -> dict:
    """Every rollup row by table, without ids and in key order: what two ways of building them must agree on."""
    result = {}
    for model in models:
        columns = [model.__table__.c[name] for name in (*model.KEY, "province_code", *model.SUMS)]
        if model is VisitRollup:
            columns.append(model.__table__.c.last_visit_at)
        result[model.__tablename__] = [tuple(row) for row in session.execute(select(*columns).order_by(*columns))]
    return result
