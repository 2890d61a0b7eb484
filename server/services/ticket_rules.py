"""Rules that turn newly stored field records into tickets:

- an equipment check finding an asset broken or missing opens (or joins) the ticket for that asset;
  failing again soon after its ticket was resolved reopens it;
- dead-spot readings clustering in one H3 cell (N within D days) open a connectivity ticket for the province;
- a finding opens a ticket of its category; ``beyond_local_authority`` escalates it to the province at once.
Rules run only for records created now, so a retried sync batch opens nothing twice. The team whose records
made the ticket is kept as its reporting team; the owner team is chosen by ``ticket_routing``.
"""

import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from server.database import one_of
from server.models import ConnectivityReading, DeferredDeadSpots
from server.models.records import FAILED_CONDITIONS
from server.services.calendar import WorkingCalendar
from server.services.tickets import Signal, open_or_join_many
from server.services.tickets.routing import Router, dead_spot_title, equipment_title, finding_title

log = logging.getLogger(__name__)
SEVERITY_PRIORITY = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}


@dataclass(frozen=True)
class RuleSettings:
    dead_spot_cluster_count: int
    dead_spot_cluster_days: int
    reopen_within_days: int

    @classmethod
    def from_config(cls, config) -> "RuleSettings":
        return cls(
            dead_spot_cluster_count=config["DEAD_SPOT_CLUSTER_COUNT"],
            dead_spot_cluster_days=config["DEAD_SPOT_CLUSTER_DAYS"],
            reopen_within_days=config["REOPEN_WITHIN_DAYS"],
        )


def _place_key(row: dict) -> str:
    return f"site:{row['site_id']}" if row.get("site_id") else f"h3:{row['h3_cell']}"


def _normalise(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().lower())


def equipment_signal(row: dict, settings: RuleSettings, router: Router) -> Signal | None:
    if row["condition"] not in FAILED_CONDITIONS:
        return None
    label = row.get("asset_label") or row["asset_kind"]
    return Signal(
        key=f"asset:{_place_key(row)}:{row['asset_kind']}:{_normalise(label)}",
        category="equipment",
        title=equipment_title(
            row["asset_kind"], row["condition"], label, router.place_name(row["admin_unit_code"], row.get("site_id"))
        ),
        description=row.get("notes") or "",
        admin_unit_code=row["admin_unit_code"],
        province_code=row["province_code"],
        lon=row["lon"],
        lat=row["lat"],
        source=("equipment_check", str(row["id"])),
        reported_by_team_id=row.get("team_id"),
        site_id=row.get("site_id"),
        h3_cell=row["h3_cell"],
        reopen_within=timedelta(days=settings.reopen_within_days),
    )


def finding_signal(row: dict, router: Router) -> Signal:
    return Signal(
        key=f"finding:{row['category']}:{_place_key(row)}",
        category=row["category"],
        title=finding_title(
            row["category"], row["description"], router.place_name(row["admin_unit_code"], row.get("site_id"))
        ),
        description=row["description"],
        admin_unit_code=row["admin_unit_code"],
        province_code=row["province_code"],
        lon=row["lon"],
        lat=row["lat"],
        source=("finding", str(row["id"])),
        reported_by_team_id=row.get("team_id"),
        site_id=row.get("site_id"),
        h3_cell=row["h3_cell"],
        priority=SEVERITY_PRIORITY[row["severity"]],
        escalate_now=row.get("beyond_local_authority", False),
    )


def _dead_spot_title(count: int, commune: str, router: Router) -> str:
    return dead_spot_title(count, router.place_name(commune))


def dead_spot_signals(
    session: Session, rows: list[dict], settings: RuleSettings, now: datetime, router: Router
) -> list[Signal]:
    """One signal per H3 cell where the dead spots of the period reach the threshold (counted in SQL), placed
    in the commune most of the new readings lie in; its reporting team is the one that sent most of them."""
    new_by_cell: dict[str, list[dict]] = {}
    for row in rows:
        if row["dead_spot"]:
            new_by_cell.setdefault(row["h3_cell"], []).append(row)
    if not new_by_cell:
        return []
    since = now - timedelta(days=settings.dead_spot_cluster_days)
    counts = dict(
        session.execute(
            select(ConnectivityReading.h3_cell, func.count())
            .where(one_of(session, ConnectivityReading.h3_cell, new_by_cell), ConnectivityReading.dead_spot.is_(True))
            .where(ConnectivityReading.observed_at >= since)
            .group_by(ConnectivityReading.h3_cell)
        ).all()
    )
    signals = []
    for cell, cell_rows in new_by_cell.items():
        if counts.get(cell, 0) < settings.dead_spot_cluster_count:
            continue
        latest = max(cell_rows, key=lambda r: (r["observed_at"], str(r["id"])))
        commune = Counter(r["admin_unit_code"] for r in cell_rows).most_common(1)[0][0]
        teams = Counter(r.get("team_id") for r in cell_rows if r.get("team_id") is not None)
        signals.append(
            Signal(
                key=f"deadspot:{cell}",
                category="connectivity",
                title=partial(_dead_spot_title, counts[cell], commune, router),
                description=f"{counts[cell]} readings without usable service in the last "
                f"{settings.dead_spot_cluster_days} days.",
                admin_unit_code=commune,
                province_code=latest["province_code"],
                lon=latest["lon"],
                lat=latest["lat"],
                source=("connectivity_reading", str(latest["id"])),
                h3_cell=cell,
                reported_by_team_id=teams.most_common(1)[0][0] if teams else None,
                owning_level="province",
                extra_signals=len(cell_rows) - 1,
                notes=[f"{len(cell_rows)} new dead-spot reading(s)"],
            )
        )
    return signals


def apply_rules(
    session: Session, created: dict[str, list[dict]], settings: RuleSettings, now: datetime | None = None
) -> int:
    """Open or join tickets for the records just created; returns how many signals were handled."""
    now = now or datetime.now(UTC)
    equipment = [row for row in created.get("equipment_check", []) if row["condition"] in FAILED_CONDITIONS]
    findings = created.get("finding", [])
    readings = [row for row in created.get("connectivity_reading", []) if row["dead_spot"]]
    rows = equipment + findings + readings
    if not rows:
        return 0
    router = Router(
        session,
        {row["admin_unit_code"] for row in rows} | {row["province_code"] for row in rows},
        {row["site_id"] for row in equipment + findings if row.get("site_id")},
    )
    signals = [s for row in equipment if (s := equipment_signal(row, settings, router))]
    signals += [finding_signal(row, router) for row in findings]
    signals += dead_spot_signals(session, readings, settings, now, router)
    if not signals:
        return 0
    open_or_join_many(session, signals, WorkingCalendar.load(session), now, router)
    return len(signals)


# --- The dead-spot rule after the sync's answer ------------------------------------------------------------------
# The sync stores a batch's new dead-spot readings' ids with the batch (``defer_dead_spots``) and, once its answer
# is sent, runs the cluster rule for them in a transaction of its own (``run_deferred_after_response``): the phone
# is not kept waiting for the count and the tickets, and the rule of one batch runs beside the next batch. The
# row is deleted by the transaction that applies the rule, so a batch is counted once whoever applies it; a batch
# whose rule failed after the answer is applied by the minute's job (``apply_deferred_job``).
DEFERRED_KEY = "deferred_dead_spots"


@event.listens_for(Session, "after_rollback")
def _forget_deferred(session: Session) -> None:
    session.info.pop(DEFERRED_KEY, None)


def defer_dead_spots(session: Session, rows: list[dict], now: datetime) -> None:
    """Keep the dead-spot readings among the new ``rows`` for the cluster rule (see above); the ids of the rows
    written are listed in ``session.info[DEFERRED_KEY]`` for the sync to apply after its answer."""
    ids = [str(row["id"]) for row in rows if row["dead_spot"]]
    if not ids:
        return
    deferred = DeferredDeadSpots(received_at=now, reading_ids=ids)
    session.add(deferred)
    session.flush()
    session.info.setdefault(DEFERRED_KEY, []).append(deferred.id)


def apply_deferred(session: Session, settings: RuleSettings, deferred_id: int) -> int:
    """Run the dead-spot rule for one deferred batch, in the caller's transaction; returns the signals handled
    (0 when another transaction took the batch first: the delete waits for it, then finds nothing)."""
    table = DeferredDeadSpots.__table__
    taken = session.execute(
        delete(table).where(table.c.id == deferred_id).returning(table.c.received_at, table.c.reading_ids)
    ).first()
    if taken is None:
        return 0
    received_at, ids = taken
    R = ConnectivityReading
    batch = [one_of(session, R.id, [uuid.UUID(text) for text in ids])]
    if session.get_bind().dialect.name == "postgresql":  # one narrow range of each month's received_at index
        batch.append(R.received_at == received_at)
    columns = (R.id, R.observed_at, R.h3_cell, R.admin_unit_code, R.province_code, R.team_id, R.site_id, R.dead_spot)
    query = select(*columns, func.ST_X(R.geom).label("lon"), func.ST_Y(R.geom).label("lat")).where(*batch)
    rows = [dict(row._mapping) for row in session.execute(query)]
    return apply_rules(session, {"connectivity_reading": rows}, settings, received_at)


def run_deferred_after_response(app, deferred_ids: list[int]) -> None:
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
            log.exception("dead-spot rule of deferred batch %s failed: the minute's job retries it", deferred_id)


def apply_deferred_job(session: Session, now: datetime) -> str | None:
    """Periodic job: the deferred batches still waiting (left by a failure or a server stopped after an answer)."""
    from flask import current_app

    waiting = list(session.scalars(select(DeferredDeadSpots.id).order_by(DeferredDeadSpots.id)))
    if not waiting:
        return None
    settings = RuleSettings.from_config(current_app.config)
    signals = sum(apply_deferred(session, settings, deferred_id) for deferred_id in waiting)
    return f"{len(waiting)} deferred dead-spot batch(es), {signals} signal(s)"
