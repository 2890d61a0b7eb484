"""Field records and tickets written straight into the tables, with the server columns ingest would derive."""

import uuid
from datetime import UTC, datetime, timedelta

import h3
from sqlalchemy.orm import Session

from server.models import AdminUnit, ConnectivityReading, EquipmentCheck, Ticket
from server.spatial import point

NOW = datetime.now(UTC)
# Two communes of Lao Cai (15) and one of Tuyen Quang (08).
LAO_CAI, KHAO_MANG, TU_LE = "15", "04465", "04630"
TUYEN_QUANG, LAM_BINH = "08", "02266"
PLACES = {KHAO_MANG: (21.80, 104.10), TU_LE: (21.62, 104.30), LAM_BINH: (22.45, 105.22)}


def _unit(session: Session, code: str) -> AdminUnit:
    return session.get(AdminUnit, code)


def reading(
    session: Session,
    commune: str,
    *,
    dead: bool = False,
    lat: float | None = None,
    lon: float | None = None,
    network: str = "4g",
    days_ago: float = 1,
) -> ConnectivityReading:
    unit = _unit(session, commune)
    base_lat, base_lon = PLACES[commune]
    lat, lon = lat if lat is not None else base_lat, lon if lon is not None else base_lon
    row = ConnectivityReading(
        id=uuid.uuid4(),
        observed_at=NOW - timedelta(days=days_ago),
        received_at=NOW,
        geom=point(lon, lat),
        h3_cell=h3.latlng_to_cell(lat, lon, 8),
        admin_unit_code=unit.code,
        province_code=unit.province_code,
        network="none" if dead else network,
        operator="Viettel",
        dead_spot=dead,
    )
    session.add(row)
    return row


def check(
    session: Session,
    site,
    *,
    condition: str = "working",
    asset_kind: str = "printer",
    asset_label: str = "Canon LBP2900 #2",
    notes: str = "",
    days_ago: float = 1,
) -> EquipmentCheck:
    row = EquipmentCheck(
        id=uuid.uuid4(),
        observed_at=NOW - timedelta(days=days_ago),
        received_at=NOW,
        geom=site.geom,
        h3_cell=h3.latlng_to_cell(site.lat, site.lon, 8),
        site_id=site.id,
        admin_unit_code=site.admin_unit_code,
        province_code=site.province_code,
        asset_kind=asset_kind,
        asset_label=asset_label,
        condition=condition,
        notes=notes,
    )
    session.add(row)
    return row


def ticket(
    session: Session,
    commune: str,
    *,
    title: str = "Printer broken",
    priority: str = "medium",
    category: str = "equipment",
    status: str = "open",
    due_in_days: float = 5,
    lat: float | None = None,
    lon: float | None = None,
    site=None,
    level: str = "commune",
    h3_cell: str | None = None,
) -> Ticket:
    """A ticket about ``commune``; at ``level="province"`` it belongs to the province (as after escalation)."""
    unit = _unit(session, commune)
    base_lat, base_lon = PLACES[commune]
    located = site is None or lat is not None
    row = Ticket(
        title=title,
        category=category,
        priority=priority,
        status=status,
        owning_level=level,
        admin_unit_code=unit.code if level == "commune" else unit.province_code,
        h3_cell=h3_cell,
        province_code=unit.province_code,
        site_id=site.id if site is not None else None,
        geom=point(lon if lon is not None else base_lon, lat if lat is not None else base_lat) if located else None,
        due_at=NOW + timedelta(days=due_in_days),
        created_at=NOW - timedelta(days=10),
    )
    session.add(row)
    session.flush()
    return row
