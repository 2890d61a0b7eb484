"""What the sync does right after its answer: the rollups and the dead-spot cluster rule of a batch's readings.

A phone on 2G waits for the answer; the rollup upserts (about 3,000 rows per 1,000 readings) and the dead-spot
count and tickets need not delay it, and while they run the server takes the next batch. The batch's transaction
stores its new readings' ids (``DeferredReadings``) beside the readings; once the answer is sent, one transaction
deletes that row, adds the readings to the rollups and runs the dead-spot rule (``apply_deferred``). Whoever
deletes the row applies the batch, so it is counted once: a second applier's delete waits for the first and then
finds nothing. A batch left by a failure (or a server stopped right after an answer) is applied by the minute's
job (``apply_deferred_job``). Until a batch is applied, the recomputations from raw records (``rollups rebuild``,
a review's refresh) leave its readings out, as the rollups do (``rollups.not_deferred``): one snapshot sees a
reading either waiting or counted, never both.

Records stored any other way (single-record endpoints, survey answers, the demo, scripts) reach the rollups and
the rules inside their own transaction."""

import logging
import uuid
from datetime import datetime

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from server.database import one_of
from server.indicators import rollups
from server.models import ConnectivityReading, DeferredReadings
from server.services.reviews import counted
from server.services.ticket_rules import RuleSettings, apply_rules

log = logging.getLogger(__name__)
DEFERRED_KEY = "deferred_readings"  # session.info: ids of the rows this transaction wrote
# The columns the rollups and the dead-spot rule read from a reading.
R = ConnectivityReading
COLUMNS = (
    R.id, R.observed_at, R.received_at, R.h3_cell, R.admin_unit_code, R.province_code, R.network, R.operator_code,
    R.team_id, R.site_id, R.dead_spot, R.power_available,
)  # fmt: skip


@event.listens_for(Session, "after_rollback")
def _forget_deferred(session: Session) -> None:
    session.info.pop(DEFERRED_KEY, None)


def defer_readings(session: Session, rows: list[dict], now: datetime) -> None:
    """Keep the new readings ``rows`` for after the answer; the id of the row written is listed in
    ``session.info[DEFERRED_KEY]`` for the sync to apply once its answer is sent."""
    if not rows:
        return
    deferred = DeferredReadings(received_at=now, reading_ids=[row["id"].hex for row in rows])
    session.add(deferred)
    session.flush()
    session.info.setdefault(DEFERRED_KEY, []).append(deferred.id)


def apply_deferred(session: Session, settings: RuleSettings | None, deferred_id: int) -> int:
    """Add one deferred batch's readings to the rollups and run the dead-spot rule for them, in the caller's
    transaction; returns the readings applied (0 when another transaction applied the batch first)."""
    table = DeferredReadings.__table__
    taken = session.execute(
        delete(table).where(table.c.id == deferred_id).returning(table.c.received_at, table.c.reading_ids)
    ).first()
    if taken is None:
        return 0
    received_at, ids = taken
    # the batch's readings that count: a review may have rejected one while it waited
    batch = [one_of(session, R.id, [uuid.UUID(hex=text) for text in ids]), counted(R, "connectivity_reading")]
    if session.get_bind().dialect.name == "postgresql":  # one narrow range of each month's received_at index
        batch.append(R.received_at == received_at)
    query = select(*COLUMNS, func.ST_X(R.geom).label("lon"), func.ST_Y(R.geom).label("lat")).where(*batch)
    rows = [dict(row._mapping) for row in session.execute(query)]
    rollups.apply_records(session, {"connectivity_reading": rows})
    if settings is not None:
        apply_rules(session, {"connectivity_reading": rows}, settings, received_at)
    return len(rows)


def run_after_response(app, deferred_ids: list[int]) -> None:
    """Called once the sync's answer is sent (its request context is gone): each deferred batch in a transaction
    of its own, in an app context of its own, whose end closes the session. Never raises: a batch that fails
    stays for the minute's job."""
    from flask import has_app_context

    if has_app_context():  # a test client closes the answer inside the test's own context
        _apply_each(app, deferred_ids)
        return
    with app.app_context():
        _apply_each(app, deferred_ids)


def _apply_each(app, deferred_ids: list[int]) -> None:
    from server.extensions import db

    settings = RuleSettings.from_config(app.config)
    for deferred_id in deferred_ids:
        try:
            apply_deferred(db.session, settings, deferred_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("deferred readings %s failed after the answer: the minute's job applies them", deferred_id)


def apply_all(session: Session, settings: RuleSettings | None) -> tuple[int, int]:
    """Every deferred batch still waiting, in the caller's transaction: (batches, readings)."""
    waiting = list(session.scalars(select(DeferredReadings.id).order_by(DeferredReadings.id)))
    return len(waiting), sum(apply_deferred(session, settings, deferred_id) for deferred_id in waiting)


def apply_deferred_job(session: Session, now: datetime) -> str | None:
    """Periodic job: the deferred batches still waiting (left by a failure, or a server stopped after an answer)."""
    from flask import current_app

    batches, readings = apply_all(session, RuleSettings.from_config(current_app.config))
    return f"{batches} deferred batch(es), {readings} reading(s)" if batches else None
