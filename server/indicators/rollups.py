"""Keeping the daily rollups (``server.models.rollups``) in step with the raw records, and rebuilding them.

``apply_records`` is the one place a batch reaches the rollups: ingest calls it once per batch, inside the
ingest transaction, with the rows it actually inserted (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``),
so a retried or concurrent duplicate is never counted twice; the sync's connectivity readings reach it right after
the sync's answer, from the batch stored with them (``server.services.after_sync``; ``not_deferred`` keeps the
recomputations below from counting a waiting batch). It adds the batch's sums with one upsert per
rollup table (``ON CONFLICT ... DO UPDATE SET n = n + excluded.n``); rows go in key order, so concurrent
batches lock shared rollup rows in the same order and cannot deadlock. Records stored through the ORM
(scripts, test fixtures) are rolled up the same way when the session flushes them.

The equipment rollup (one row per asset and day) is not a sum: a day's first and last condition and its failures
depend on the order of its checks, so ``apply_records`` recomputes the rows of the assets and days a batch
touched from the checks that count. On PostgreSQL it first locks those rows in key order (an upsert that changes
nothing), so a concurrent batch with checks of the same asset and day waits, then recomputes with both batches'
checks in a fresh snapshot (read committed); SQLite writers are serial already.

The coarse cell rollups key on the stored cell's parent (``cell_parent`` in Python, ``h3_parent`` in SQL); a
monthly rollup is rebuilt from the first day of ``since``'s month.

The ticket rollups follow the tickets' states: whenever the ORM flushes a change of tickets, each changed
ticket's old contribution (read before the flush) is taken off and its new one added, as ``n = n + delta``
upserts in key order (``apply_ticket_changes``).

``rebuild`` recomputes the rollups from the raw records and tickets in SQL (one ``INSERT ... SELECT ... GROUP BY``
per table), from a day on or entirely; its result must equal the incremental one (tests check it)."""

import calendar
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import h3
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    delete,
    event,
    func,
    literal,
    select,
    table,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from server.indicators.areas import day_start, local_day
from server.indicators.sql import BROADBAND_NETWORKS, count_if, h3_parent, is_postgres
from server.models import AssistanceLog, ConnectivityReading, EquipmentCheck, FieldRecord, Visit
from server.models.records import FAILED_CONDITIONS
from server.models.rollups import (
    RECOMPUTED_ROLLUPS,
    ROLLUP_KINDS,
    ROLLUPS,
    TICKET_ROLLUPS,
    CellRollup,
    CoarseCellRollup,
    DeferredReadings,
    EquipmentRollup,
    PlaceMonthlyRollup,
    TicketDurationRollup,
    TicketRollup,
    VisitRollup,
)
from server.models.tickets import DONE_STATUSES, Ticket
from server.services.reviews import counted

RECOMPUTED_KINDS = frozenset(kind for kind, _ in RECOMPUTED_ROLLUPS)


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
            lambda t: h3_parent(func.coalesce(t.h3_cell, ""), model.RESOLUTION),
        )
    if model is PlaceMonthlyRollup:  # the ranked cells: the parent of the cell of a reading placed at province level
        common["h3_cell"] = (
            lambda row: cell_parent(row.get("h3_cell") or "", model.RESOLUTION) if _province_level(row) else "",
            lambda t: case(
                (t.admin_unit_code == t.province_code, h3_parent(func.coalesce(t.h3_cell, ""), model.RESOLUTION)),
                else_="",
            ),
        )
    return {name: common[name] for name in (*model.KEY, *model.SUMS)}


def cell_parent(cell: str, resolution: int) -> str:
    """The H3 cell's parent at ``resolution`` (the cell itself when it is that coarse already; ``''`` stays)."""
    if not cell or h3.get_resolution(cell) <= resolution:
        return cell
    return h3.cell_to_parent(cell, resolution)


def _upsert(session: Session, model, values: Select | None = None):
    """``INSERT ... ON CONFLICT DO UPDATE`` adding to ``model``'s sums the rows of ``values`` (a query giving them
    with the rollup's column names), or rows given as dicts when it is executed."""
    table = model.__table__
    statement = (postgresql if is_postgres(session) else sqlite).insert(table)
    if values is not None:
        statement = statement.from_select(_names(model), values)
    changes = {name: table.c[name] + statement.excluded[name] for name in model.SUMS}
    if model is VisitRollup:
        latest = func.greatest if is_postgres(session) else func.max
        changes["last_visit_at"] = latest(table.c.last_visit_at, statement.excluded.last_visit_at)
    return statement.on_conflict_do_update(index_elements=list(model.KEY), set_=changes)


def _names(model) -> list[str]:
    """The rollup's columns but its id, in the order ``_raw_select`` gives them."""
    return [*model.KEY, "province_code", *model.SUMS, *(["last_visit_at"] if model is VisitRollup else [])]


def apply_records(session: Session, rows_by_kind: dict[str, list[dict]]) -> None:
    """Add newly inserted records to the rollups: ``rows_by_kind`` maps a record kind (``connectivity_reading``,
    ``assistance_log``, ``visit``; others are ignored) to the rows just inserted, each a dict with the record's
    columns (``observed_at`` aware; ``admin_unit_code``, ``province_code``, ``h3_cell`` as stored). Call it
    only with rows the insert reported as new, in the transaction that inserted them.

    On PostgreSQL the database sums them (``_apply_staged``); SQLite gets the sums computed here, one upsert per
    table. The equipment rollup's touched rows are then recomputed (``RECOMPUTED_ROLLUPS``) on both."""
    if is_postgres(session):
        _apply_staged(session, rows_by_kind)
    else:
        _apply_summed(session, rows_by_kind)
    for kind, model in RECOMPUTED_ROLLUPS:
        if rows_by_kind.get(kind):
            _recompute(session, model, {_equipment_key(row) for row in rows_by_kind[kind]})


def _apply_summed(session: Session, rows_by_kind: dict[str, list[dict]]) -> None:
    """SQLite: the sums of the new records per rollup key, computed here, one upsert per table."""
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
        session.execute(_upsert(session, model), values)


def _record_row(record: FieldRecord) -> dict:
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}


@event.listens_for(Session, "after_flush")
def _roll_up_flushed_records(session: Session, _context) -> None:
    """Records added through the ORM reach the rollups as ingest's do (ingest itself inserts with SQL)."""
    rows: dict[str, list[dict]] = {}
    for record in session.new:
        if isinstance(record, FieldRecord) and (record.kind in ROLLUP_KINDS or record.kind in RECOMPUTED_KINDS):
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


def _raw_select(session: Session, kind: str, model, reviewed_only: bool = False, where=(), source=None):
    """SQL computing ``model``'s rollup rows from the raw records, with the rollup's column names: only records
    that count (``server.services.reviews.counted``: never rejected or superseded; approved only with
    ``reviewed_only``). Given ``source`` (columns named as the raw table's), every row of it matching ``where``."""
    raw = RAW_TABLES[kind] if source is None else source
    columns = _columns(session, model)
    keys = [columns[name][1](raw).label(name) for name in model.KEY]
    sums = [columns[name][1](raw).label(name) for name in model.SUMS]
    extra = [func.max(raw.observed_at).label("last_visit_at")] if model is VisitRollup else []
    conditions = list(where) if source is not None else [counted(raw, kind, reviewed_only), *where]
    if source is None and kind == "connectivity_reading":
        conditions.append(not_deferred(session, raw.id))
    return (
        select(*keys, func.max(raw.province_code).label("province_code"), *sums, *extra)
        .where(*conditions)
        .group_by(*keys)
    )


# On PostgreSQL a batch's new records reach the rollups through a temporary table: their rollup columns are
# copied in (COPY: rows formatted in C, no statement with thousands of parameters, nothing read back from the
# raw tables), then one round trip runs, for each rollup table in ROLLUPS order, an INSERT ... SELECT that groups
# them by the rollup key with the definitions ``rebuild`` uses and upserts the sums in key order (each key once
# per statement; concurrent batches lock shared rows in the same order), and empties the table.
STAGING = "staged_rollup_records"
STAGED_COLUMNS = (
    ("kind", String(30)),
    ("observed_at", DateTime(timezone=True)),
    ("admin_unit_code", String(5)),
    ("province_code", String(5)),
    ("h3_cell", String(16)),
    ("network", String(20)),
    ("operator_code", String(7)),
    ("site_id", Integer()),
    ("team_id", Integer()),
    ("dead_spot", Boolean()),
    ("power_available", Boolean()),
    ("service", String(30)),
    ("citizens_helped", Integer()),
    ("language_support", Integer()),
)
STAGED_NAMES = tuple(name for name, _ in STAGED_COLUMNS)
STAGED = table(STAGING, *(column(name, type_) for name, type_ in STAGED_COLUMNS))
_STAGED_SQL: dict[type, str] = {}


def _staging_ddl() -> str:
    columns = ", ".join(f"{name} {type_.compile(dialect=postgresql.dialect())}" for name, type_ in STAGED_COLUMNS)
    return f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ({columns}) ON COMMIT DELETE ROWS"


def _staged_upsert_sql(session: Session, kind: str, model) -> str:
    """The statement adding the staged records of ``kind`` to ``model`` (SQL text, built once)."""
    if model not in _STAGED_SQL:
        source = SimpleNamespace(**{name: STAGED.c[name] for name in STAGED_NAMES})
        query = _raw_select(session, kind, model, where=[STAGED.c.kind == kind], source=source)
        query = query.order_by(*(query.selected_columns[name] for name in model.KEY))
        compiled = _upsert(session, model, query).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        _STAGED_SQL[model] = str(compiled)
    return _STAGED_SQL[model]


def _apply_staged(session: Session, rows_by_kind: dict[str, list[dict]]) -> None:
    """PostgreSQL: stage the new records' rollup columns and upsert every rollup from them (see above)."""
    present = [(kind, model) for kind, model in ROLLUPS if rows_by_kind.get(kind)]
    if not present:
        return
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(_staging_ddl(), prepare=False)
        with cursor.copy(f"COPY {STAGING} ({', '.join(STAGED_NAMES)}) FROM STDIN") as copy:
            for kind in dict.fromkeys(kind for kind, _ in present):
                for row in rows_by_kind[kind]:
                    copy.write_row((kind, *map(row.get, STAGED_NAMES[1:])))
        upserts = [_staged_upsert_sql(session, kind, model) for kind, model in present]
        cursor.execute(";\n".join([*upserts, f"DELETE FROM {STAGING}"]), prepare=False)


def not_deferred(session: Session, id_column):
    """SQL: the reading is not waiting in a deferred sync batch (``server.services.after_sync``), whose
    application will add it to the rollups: what recomputes rollups from raw readings leaves it out until then."""
    name = DeferredReadings.__tablename__
    if is_postgres(session):
        waiting = f"SELECT CAST(json_array_elements_text(reading_ids) AS uuid) FROM {name}"
    else:  # SQLite keeps a UUID as its 32 hex digits, as the batch lists it
        waiting = f"SELECT value FROM {name}, json_each({name}.reading_ids)"
    return id_column.not_in(text(waiting).columns(column("id", id_column.type)))


def rollup_source(session: Session, model, area):
    """What an indicator reads for ``model``: the rollup table, or, when the area asks for reviewed records only
    (``Area.reviewed_only``), the same rows computed from the approved raw records (one definition, two sources)."""
    if not getattr(area, "reviewed_only", False) or model in TICKET_ROLLUPS:
        return model
    if model is EquipmentRollup:
        subquery = _equipment_select(session, reviewed_only=True).subquery(model.__tablename__)
        return aliased(model, subquery, adapt_on_names=True)
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
        session.execute(model.__table__.insert().from_select(_names(model), query))
        written[model.__tablename__] = session.scalar(select(func.count()).select_from(model)) or 0
    since_start = day_start(since) if since else None
    rebuilt = [
        (
            EquipmentRollup,
            _equipment_select(session, where=[EquipmentCheck.observed_at >= since_start] if since else []),
        )
    ]
    rebuilt += [(model, _ticket_select(session, model, since)) for model in TICKET_ROLLUPS]
    for model, query in rebuilt:
        cleared = delete(model)
        if since is not None:
            cleared = cleared.where(model.day >= since)
        session.execute(cleared)
        _fill(session, model, query)
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
        names = _names(model)
        for key in keys:
            values = dict(zip(model.KEY, key, strict=True))
            session.execute(delete(model).where(*(model.__table__.c[name] == value for name, value in values.items())))
            first, after = model.period_of(values["day"])  # the raw records' time range too, which indexes serve
            matching = [columns[name][1](raw) == value for name, value in values.items()]
            matching += [raw.observed_at >= day_start(first), raw.observed_at < day_start(after)]
            session.execute(
                model.__table__.insert().from_select(names, _raw_select(session, kind, model, where=matching))
            )
    for kind, model in RECOMPUTED_ROLLUPS:
        keys = {
            _equipment_key(_record_row(record)) for record_kind, record in records if record_kind == kind and record
        }
        if keys:
            _recompute(session, model, keys)


ALL_ROLLUPS = (*(model for _, model in ROLLUPS), *(model for _, model in RECOMPUTED_ROLLUPS), *TICKET_ROLLUPS)


def _columns_of(model) -> list[str]:
    """The columns of a rollup row but its id, in the table's order."""
    return [column.key for column in model.__table__.columns if column.key != "id"]


def _fill(session: Session, model, query) -> None:
    """``INSERT INTO model SELECT ...``: the query's columns taken by name."""
    names = _columns_of(model)
    rows = query.subquery("rows")
    session.execute(model.__table__.insert().from_select(names, select(*(rows.c[name] for name in names))))


def snapshot(session: Session, models: Iterable = ALL_ROLLUPS) -> dict:
    """Every rollup row by table, without ids and in key order: what two ways of building them must agree on."""
    result = {}
    for model in models:
        columns = [model.__table__.c[name] for name in (*model.KEY, "province_code", *model.SUMS)]
        if model is VisitRollup:
            columns.append(model.__table__.c.last_visit_at)
        if model is EquipmentRollup:
            columns += [model.__table__.c[name] for name in (*model.LATEST, *model.AGES)]
        result[model.__tablename__] = [tuple(row) for row in session.execute(select(*columns).order_by(*columns))]
    return result


# --- Equipment: one row per asset and day, recomputed from the checks -----------------------------------------


def _equipment_key(row: dict) -> tuple:
    return (
        local_day(row["observed_at"]),
        row["admin_unit_code"],
        row.get("site_id") or 0,
        row["asset_kind"],
        row.get("asset_label") or "",
    )


def _equipment_select(session: Session, reviewed_only: bool = False, where=()):
    """SQL computing the equipment rollup rows (``EquipmentRollup``) from the checks that count (``counted``),
    with the rollup's column names; ``where`` narrows the checks (whole assets and days only)."""
    E = EquipmentCheck
    day = day_of(session, E.observed_at)
    site = func.coalesce(E.site_id, 0)
    asset_day = (E.admin_unit_code, site, E.asset_kind, E.asset_label, day)
    checks = (
        select(
            day.label("day"),
            E.admin_unit_code,
            site.label("site_id"),
            E.asset_kind,
            E.asset_label,
            E.province_code,
            func.coalesce(E.h3_cell, "").label("h3_cell"),
            E.condition,
            E.observed_at,
            E.id,
            E.age_years,
            func.row_number().over(partition_by=asset_day, order_by=(E.observed_at, E.id)).label("position"),
            func.row_number()
            .over(partition_by=asset_day, order_by=(E.observed_at.desc(), E.id.desc()))
            .label("newest"),
            func.lag(E.condition).over(partition_by=asset_day, order_by=(E.observed_at, E.id)).label("previous"),
        )
        .where(counted(E, "equipment_check", reviewed_only), *where)
        .subquery("checks")
    )
    c = checks.c
    key = (c.day, c.admin_unit_code, c.site_id, c.asset_kind, c.asset_label)
    failure = and_(c.position > 1, c.condition.in_(FAILED_CONDITIONS), c.previous.notin_(FAILED_CONDITIONS))
    days = (
        select(
            *key,
            func.count().label("checks"),
            count_if(failure).label("failures_after_first"),
            func.max(case((c.position == 1, c.condition))).label("first_condition"),
            func.max(c.age_years).label("max_age_years"),
        )
        .group_by(*key)
        .subquery("days")
    )
    last = select(*key, c.province_code, c.h3_cell, c.condition, c.observed_at, c.id, c.age_years).where(c.newest == 1)
    last = last.subquery("last")
    d, n = days.c, last.c
    return select(
        d.day,
        d.admin_unit_code,
        d.site_id,
        d.asset_kind,
        d.asset_label,
        n.province_code,
        d.checks,
        d.failures_after_first,
        n.h3_cell,
        d.first_condition,
        n.condition.label("last_condition"),
        n.observed_at.label("last_checked_at"),
        n.id.label("last_check_id"),
        n.age_years.label("last_age_years"),
        d.max_age_years,
    ).join_from(
        days,
        last,
        and_(*(d[name] == n[name] for name in ("day", "admin_unit_code", "site_id", "asset_kind", "asset_label"))),
    )


def _by_day(keys: Iterable[tuple]) -> dict[date, list[tuple]]:
    days: dict[date, list[tuple]] = {}
    for key in sorted(keys):
        days.setdefault(key[0], []).append(key[1:])
    return days


def _recompute(session: Session, model, keys: set[tuple]) -> None:
    """Recompute the equipment rollup rows of ``keys`` (day, commune, site, kind, label) from the checks that
    count; rows whose checks no longer count are removed."""
    table = model.__table__
    key_columns = [table.c[name] for name in model.KEY[1:]]
    if is_postgres(session):  # lock the rows in key order first: a concurrent batch waits, then sees ours
        placeholders = [
            {
                **dict(zip(model.KEY, key, strict=True)),
                "province_code": "",
                "h3_cell": "",
                "checks": 0,
                "failures_after_first": 0,
                "first_condition": "",
                "last_condition": "",
                "last_checked_at": day_start(key[0]),
                "last_check_id": uuid.UUID(int=0),
            }
            for key in sorted(keys)
        ]
        statement = postgresql.insert(table)
        session.execute(
            statement.on_conflict_do_update(index_elements=list(model.KEY), set_={"checks": table.c.checks}),
            placeholders,
        )
    E = EquipmentCheck
    for day, assets in _by_day(keys).items():
        session.execute(delete(table).where(table.c.day == day, tuple_(*key_columns).in_(assets)))
        checks = [
            E.observed_at >= day_start(day),
            E.observed_at < day_start(day + timedelta(days=1)),
            tuple_(E.admin_unit_code, func.coalesce(E.site_id, 0), E.asset_kind, E.asset_label).in_(assets),
        ]
        _fill(session, model, _equipment_select(session, where=checks))


# --- Tickets: each ticket's contribution follows its state ----------------------------------------------------

TICKET_COLUMNS = (
    "id",
    "admin_unit_code",
    "province_code",
    "site_id",
    "h3_cell",
    "team_id",
    "category",
    "status",
    "created_at",
    "escalated_at",
    "resolved_at",
    "due_at",
)


def _whole_seconds(moment: datetime) -> int:
    return calendar.timegm(moment.utctimetuple())


def _ticket_contributions(ticket: dict) -> dict:
    """What one ticket (a dict of ``TICKET_COLUMNS``) adds to the ticket rollups: ``{(model, key): [sums],
    ...}`` with the province code last in each value."""
    province_level = ticket["admin_unit_code"] == ticket["province_code"]
    place = (
        ticket["admin_unit_code"],
        (ticket["site_id"] or 0) if province_level else 0,
        (ticket["h3_cell"] or "") if province_level else "",
        ticket["team_id"] or 0,
        ticket["category"],
    )
    result: dict = {}

    def add(model, key, sums):
        entry = result.setdefault((model, key), [0] * len(model.SUMS))
        for index, value in enumerate(sums):
            entry[index] += value

    add(TicketRollup, (local_day(ticket["created_at"]), *place), (1, 0, 0, 0))
    if ticket["escalated_at"] is not None:
        add(TicketRollup, (local_day(ticket["escalated_at"]), *place), (0, 1, 0, 0))
    resolved_at = ticket["resolved_at"]
    if ticket["status"] in DONE_STATUSES and resolved_at is not None:
        day = local_day(resolved_at)
        add(TicketRollup, (day, *place), (0, 0, 1, int(resolved_at <= ticket["due_at"])))
        seconds = _whole_seconds(resolved_at) - _whole_seconds(ticket["created_at"])
        add(TicketDurationRollup, (day, *place, seconds), (1,))
    return {key: (sums, ticket["province_code"]) for key, sums in result.items()}


def _ticket_states(session: Session, ids: Iterable[int]) -> dict[int, dict]:
    """The tickets' columns as the database holds them now (no autoflush: called around a flush)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    columns = [Ticket.__table__.c[name] for name in TICKET_COLUMNS]
    rows = session.connection().execute(select(*columns).where(Ticket.__table__.c.id.in_(ids)))
    return {row.id: dict(row._mapping) for row in rows}


def apply_ticket_changes(session: Session, before: dict[int, dict], after: dict[int, dict]) -> None:
    """Take the tickets' old contributions (``before``) off the ticket rollups and add their new ones
    (``after``); rows left with nothing are removed."""
    deltas: dict = {}
    for states, sign in ((before, -1), (after, 1)):
        for state in states.values():
            for (model, key), (sums, province_code) in _ticket_contributions(state).items():
                entry = deltas.setdefault((model, key), [[0] * len(model.SUMS), province_code])
                entry[0] = [total + sign * value for total, value in zip(entry[0], sums, strict=True)]
                if sign > 0:
                    entry[1] = province_code
    for model in TICKET_ROLLUPS:
        changes = sorted(
            (key, sums, province) for (m, key), (sums, province) in deltas.items() if m is model and any(sums)
        )
        if not changes:
            continue
        values = [
            {
                **dict(zip(model.KEY, key, strict=True)),
                **dict(zip(model.SUMS, sums, strict=True)),
                "province_code": province,
            }
            for key, sums, province in changes
        ]
        session.execute(_upsert(session, model), values)
        if not before:  # only additions: no row is left with nothing
            continue
        table = model.__table__
        for day, places in _by_day(key for key, _, _ in changes).items():
            session.execute(
                delete(table).where(
                    table.c.day == day,
                    tuple_(*(table.c[name] for name in model.KEY[1:])).in_(places),
                    *(table.c[name] == 0 for name in model.SUMS),
                )
            )


def tickets_inserted(session: Session, tickets: Iterable[dict]) -> None:
    """Tickets inserted with SQL (not through the ORM) reach the ticket rollups: call it in the same transaction
    with the rows inserted (each with its ``id`` and the other ``TICKET_COLUMNS`` as stored; a missing one is
    NULL)."""
    apply_ticket_changes(session, {}, {row["id"]: {name: row.get(name) for name in TICKET_COLUMNS} for row in tickets})


@event.listens_for(Session, "before_flush")
def _tickets_before_flush(session: Session, _context, _instances) -> None:
    """Remember the stored state of the tickets this flush changes or deletes."""
    ids = [
        ticket.id
        for ticket in (*session.dirty, *session.deleted)
        if isinstance(ticket, Ticket) and ticket.id is not None
    ]
    if ids:
        session.info.setdefault("tickets_before", {}).update(
            {k: v for k, v in _ticket_states(session, ids).items() if k not in session.info.get("tickets_before", {})}
        )


@event.listens_for(Session, "after_flush")
def _tickets_after_flush(session: Session, _context) -> None:
    """The tickets this flush created, changed or deleted reach the ticket rollups."""
    before = session.info.pop("tickets_before", {})
    ids = {ticket.id for ticket in session.new if isinstance(ticket, Ticket)} | set(before)
    if ids:
        apply_ticket_changes(session, before, _ticket_states(session, ids))


def _seconds_sql(session: Session, moment):
    if is_postgres(session):
        return cast(func.floor(func.extract("epoch", moment)), BigInteger)
    return cast(func.strftime("%s", moment), BigInteger)


def _ticket_select(session: Session, model, since: date | None = None):
    """SQL computing a ticket rollup's rows from the tickets (events from ``since`` on), with its column names."""
    T = Ticket
    province_level = T.admin_unit_code == T.province_code
    place = [
        T.admin_unit_code.label("admin_unit_code"),
        case((province_level, func.coalesce(T.site_id, 0)), else_=0).label("site_id"),
        case((province_level, func.coalesce(T.h3_cell, "")), else_="").label("h3_cell"),
        func.coalesce(T.team_id, 0).label("team_id"),
        T.category.label("category"),
        T.province_code.label("province_code"),
    ]
    resolved = and_(T.status.in_(DONE_STATUSES), T.resolved_at.isnot(None))

    def events(moment, condition, sums):
        where = [condition]
        if since is not None:
            where.append(moment >= day_start(since))
        return select(
            day_of(session, moment).label("day"), *place, *(literal(v).label(n) for n, v in sums.items())
        ).where(*where)

    if model is TicketDurationRollup:
        seconds = (_seconds_sql(session, T.resolved_at) - _seconds_sql(session, T.created_at)).label("seconds")
        rows = (
            select(day_of(session, T.resolved_at).label("day"), *place, seconds)
            .where(resolved, *([T.resolved_at >= day_start(since)] if since else []))
            .subquery("resolutions")
        )
        r = rows.c
        key = [r[name] for name in model.KEY]
        return select(*key, func.max(r.province_code).label("province_code"), func.count().label("resolved")).group_by(
            *key
        )
    zero = {name: 0 for name in model.SUMS}
    on_time = case((T.resolved_at <= T.due_at, 1), else_=0)
    resolved_rows = select(
        day_of(session, T.resolved_at).label("day"),
        *place,
        literal(0).label("opened"),
        literal(0).label("escalated"),
        literal(1).label("resolved"),
        on_time.label("resolved_on_time"),
    ).where(resolved, *([T.resolved_at >= day_start(since)] if since else []))
    rows = union_all(
        events(T.created_at, T.created_at.isnot(None), {**zero, "opened": 1}),
        events(T.escalated_at, T.escalated_at.isnot(None), {**zero, "escalated": 1}),
        resolved_rows,
    ).subquery("events")
    r = rows.c
    key = [r[name] for name in model.KEY]
    return select(
        *key, func.max(r.province_code).label("province_code"), *(func.sum(r[name]).label(name) for name in model.SUMS)
    ).group_by(*key)
