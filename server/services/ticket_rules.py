"""Rules that turn newly stored field records into tickets:

- an equipment check finding an asset broken or missing opens (or joins) the ticket for that asset;
  failing again soon after its ticket was resolved reopens it;
- dead-spot readings clustering in one H3 cell (N within D days) open a connectivity ticket for the province;
- a finding opens a ticket of its category; ``beyond_local_authority`` escalates it to the province at once.
Rules run only for records created now, so a retried sync batch opens nothing twice. The team whose records
made the ticket is kept as its reporting team; the owner team is chosen by ``ticket_routing``.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.database import one_of
from server.models import ConnectivityReading
from server.models.records import FAILED_CONDITIONS
from server.services.calendar import WorkingCalendar
from server.services.tickets import Signal, open_or_join_many
from server.services.tickets.routing import Router, dead_spot_title, equipment_title, finding_title

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
