"""Keeping the daily rollups (``server.models.rollups``) in step with the raw records, and rebuilding them.

``apply_records`` is the one place a batch reaches the rollups: ingest calls it once per batch, inside the
ingest transaction, with the rows it actually inserted (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``),
so a retried or concurrent duplicate is never counted twice. It adds the batch's sums with one upsert per
rollup table (``ON CONFLICT ... DO UPDATE SET n = n + excluded.n``); rows go in key order, so concurrent
batches lock shared rollup rows in the same order and cannot deadlock. Records stored through the ORM
(scripts, test fixtures) are rolled up the same way when the session flushes them.

``rebuild`` recomputes the rollups from the raw records in SQL (one ``INSERT ... SELECT ... GROUP BY`` per
table), from a day on or entirely; its result must equal the incremental one (tests check it)."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.indicators.areas import day_start, local_day
from server.indicators.sql import BROADBAND_NETWORKS, count_if, is_postgres
from server.models import AssistanceLog, ConnectivityReading, FieldRecord, Visit
from server.models.rollups import ROLLUP_MODELS, AssistanceRollup, ReadingRollup, VisitRollup


def _key_values(kind: str, row: dict) -> tuple:
    common = (local_day(row["observed_at"]), row["admin_unit_code"], row.get("h3_cell") or "")
    if kind == "connectivity_reading":
        return (*common, row.get("operator_code") or "", row["network"], row.get("site_id") or 0)
    if kind == "assistance_log":
        return (*common, row.get("team_id") or 0, row["service"])
    return (*common, row.get("team_id") or 0)


def _sums(kind: str, row: dict) -> tuple:
    if kind == "connectivity_reading":
        power = row.get("power_available")
        return (
            1,
            int(bool(row["dead_spot"])),
            int(row["network"] in BROADBAND_NETWORKS),
            int(power is False),
            int(power is True),
        )
    if kind == "assistance_log":
        return (1, int(row["citizens_helped"]), int(row.get("language_support") or 0))
    return (1,)


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
    for kind, model in ROLLUP_MODELS.items():  # always the same table order: concurrent batches never deadlock
        rows = rows_by_kind.get(kind)
        if not rows:
            continue
        totals: dict[tuple, list] = {}
        for row in rows:
            key = _key_values(kind, row)
            entry = totals.get(key)
            sums = _sums(kind, row)
            if entry is None:
                totals[key] = [row["province_code"], list(sums), row["observed_at"]]
            else:
                entry[1] = [a + b for a, b in zip(entry[1], sums, strict=True)]
                entry[2] = max(entry[2], row["observed_at"])
        values = []
        for key in sorted(totals):
            province_code, sums, latest = totals[key]
            value = dict(zip(model.KEY, key, strict=True))
            value.update(zip(model.SUMS, sums, strict=True))
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
        if isinstance(record, FieldRecord) and record.kind in ROLLUP_MODELS:
            rows.setdefault(record.kind, []).append(_record_row(record))
    if rows:
        apply_records(session, rows)


# --- Rebuilding from the raw records ----------------------------------------------------------------------


def day_of(session: Session, column):
    """SQL: the day (Viet Nam time, UTC+7 all year) of a timestamp column, as a date."""
    if is_postgres(session):
        return func.date(func.timezone("Asia/Ho_Chi_Minh", column))
    return func.date(column, "+7 hours")


def _rebuild_query(session: Session, kind: str):
    if kind == "connectivity_reading":
        r = ConnectivityReading
        keys = (
            day_of(session, r.observed_at),
            r.admin_unit_code,
            func.coalesce(r.h3_cell, ""),
            func.coalesce(r.operator_code, ""),
            r.network,
            func.coalesce(r.site_id, 0),
        )
        sums = (
            func.count(),
            count_if(r.dead_spot),
            count_if(r.network.in_(BROADBAND_NETWORKS)),
            count_if(r.power_available.is_(False)),
            count_if(r.power_available.is_(True)),
        )
        return r, keys, sums, ()
    if kind == "assistance_log":
        a = AssistanceLog
        keys = (
            day_of(session, a.observed_at),
            a.admin_unit_code,
            func.coalesce(a.h3_cell, ""),
            func.coalesce(a.team_id, 0),
            a.service,
        )
        return a, keys, (func.count(), func.sum(a.citizens_helped), func.sum(a.language_support)), ()
    v = Visit
    keys = (
        day_of(session, v.observed_at),
        v.admin_unit_code,
        func.coalesce(v.h3_cell, ""),
        func.coalesce(v.team_id, 0),
    )
    return v, keys, (func.count(),), (func.max(v.observed_at),)


def rebuild(session: Session, since: date | None = None) -> dict[str, int]:
    """Recompute every rollup from the raw records (only days from ``since`` on, when given); returns the number
    of rollup rows written per table."""
    written = {}
    for kind, model in ROLLUP_MODELS.items():
        raw, keys, sums, extra = _rebuild_query(session, kind)
        cleared = delete(model)
        query = select(*keys, func.max(raw.province_code), *sums, *extra).group_by(*keys)
        if since is not None:
            cleared = cleared.where(model.day >= since)
            query = query.where(raw.observed_at >= day_start(since))
        session.execute(cleared)
        columns = [*model.KEY, "province_code", *model.SUMS, *(["last_visit_at"] if extra else [])]
        session.execute(model.__table__.insert().from_select(columns, query))
        written[model.__tablename__] = session.scalar(select(func.count()).select_from(model)) or 0
    return written


def snapshot(session: Session, models: Iterable = (ReadingRollup, AssistanceRollup, VisitRollup)) -> dict:
    """Every rollup row by table, without ids and in key order: what two ways of building them must agree on."""
    result = {}
    for model in models:
        columns = [model.__table__.c[name] for name in (*model.KEY, "province_code", *model.SUMS)]
        if model is VisitRollup:
            columns.append(model.__table__.c.last_visit_at)
        result[model.__tablename__] = [tuple(row) for row in session.execute(select(*columns).order_by(*columns))]
    return result
