"""Storing field records: placing them in an admin unit, checking who may write them, and inserting a
whole batch with set-based statements. Retrying a batch never stores a record twice: ids already stored
are reported as duplicates and the insert itself is ``ON CONFLICT (id) DO NOTHING``.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import h3
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from server.auth import Scope
from server.database import insert_new_rows, one_of
from server.indicators import rollups
from server.models import RECORD_MODELS, AdminUnit, Operator, Site, Team, User
from server.models.records import reading_ids
from server.services import access, readings_store
from server.services.admin_units import nearest_communes
from server.services.after_sync import defer_readings
from server.services.ticket_rules import RuleSettings, apply_rules
from server.services.visit_plans import fulfil_from_visits
from server.spatial import communes_at


@dataclass
class Candidate:
    """One validated record waiting to be stored; ``index`` is its position in the client's batch."""

    index: int
    kind: str
    data: dict
    warnings: dict = field(default_factory=dict)


@dataclass
class Outcome:
    id: str
    status: str  # created | duplicate | rejected
    errors: dict | None = None
    warnings: dict | None = None
    forbidden: bool = False

    def as_dict(self, index: int) -> dict:
        """The answer about the record at ``index`` of its batch."""
        result = {"index": index, "id": self.id, "status": self.status}
        if self.errors:
            result["errors"] = self.errors
        if self.warnings:
            result["warnings"] = self.warnings
        return result


@dataclass(frozen=True)
class IngestSettings:
    country_bbox: tuple[float, float, float, float]
    outside_country: str  # warn | reject | accept
    unknown_operator: str  # warn | reject
    dead_spot_max_signal_dbm: int
    dead_spot_min_down_mbps: float
    h3_resolution: int
    rules: RuleSettings | None = None
    readings_retention_months: int = 0
    # The sync answers first and adds the readings to the rollups and runs the dead-spot rule right after
    # (``server.services.after_sync``); other callers do both in their own transaction.
    defer_readings: bool = False

    @classmethod
    def from_config(cls, config) -> "IngestSettings":
        return cls(
            country_bbox=tuple(config["COUNTRY_BBOX"]),
            outside_country=config["OUTSIDE_COUNTRY"],
            unknown_operator=config["UNKNOWN_OPERATOR"],
            dead_spot_max_signal_dbm=config["DEAD_SPOT_MAX_SIGNAL_DBM"],
            dead_spot_min_down_mbps=config["DEAD_SPOT_MIN_DOWN_MBPS"],
            h3_resolution=config["H3_RESOLUTION"],
            rules=RuleSettings.from_config(config),
            readings_retention_months=config["READINGS_RETENTION_MONTHS"],
        )


def is_dead_spot(data: dict, settings: IngestSettings) -> bool:
    """No usable service: no network, or signal or download speed below the configured thresholds."""
    if data["network"] == "none":
        return True
    signal, down = data.get("signal_dbm"), data.get("down_mbps")
    if signal is not None and signal < settings.dead_spot_max_signal_dbm:
        return True
    return down is not None and down < settings.dead_spot_min_down_mbps


def stored_ids(session: Session, ids_by_kind: dict[str, list[uuid.UUID]]) -> set[uuid.UUID]:
    """Ids already stored, one query per record kind (SQLite: per 1,000 ids)."""
    found: set[uuid.UUID] = set()
    for kind, ids in ids_by_kind.items():
        id_column = RECORD_MODELS[kind].id
        if kind == "connectivity_reading" and readings_store.is_partitioned(session):
            id_column = reading_ids.c.id  # one index, not one per monthly partition
        chunk = max(len(ids), 1) if session.get_bind().dialect.name == "postgresql" else 1000  # one array parameter
        for start in range(0, len(ids), chunk):
            found.update(
                session.scalars(select(id_column).where(one_of(session, id_column, ids[start : start + chunk])))
            )
    return found


class _Batch:
    """Working state of one ingest: candidates still standing and the outcome of each record."""

    def __init__(self, candidates: list[Candidate]):
        self.live = {c.index: c for c in candidates}
        self.outcomes: dict[int, Outcome] = {}

    def reject(self, index: int, errors: dict, forbidden: bool = False) -> None:
        candidate = self.live.pop(index)
        self.outcomes[index] = Outcome(
            str(candidate.data["id"]), "rejected", errors, candidate.warnings or None, forbidden
        )


def ingest(
    session: Session,
    user: User,
    scope: Scope,
    candidates: list[Candidate],
    settings: IngestSettings,
    device_id: str | None = None,
    now: datetime | None = None,
) -> dict[int, Outcome]:
    """Place, authorise and insert validated records; returns the outcome of each by batch index.

    ``now`` is the time of receipt (default: the clock); replaying past syncs (demo data) passes its own."""
    batch = _Batch(candidates)
    _check_retention(batch, settings, now)
    _check_country(batch, settings)
    _check_operators(session, batch, settings)
    _check_team(session, batch, user)
    sites = _check_sites(session, batch, scope)
    units = _place(session, batch, user, sites, settings)
    _check_scope(batch, scope, units)
    _check_visits(session, batch, scope)
    _insert(session, batch, user, units, settings, device_id, now or datetime.now(UTC))
    return batch.outcomes


def _check_retention(batch: _Batch, settings: IngestSettings, now: datetime | None) -> None:
    """With retention on, a reading older than the months kept is refused: its month has been dropped (a retry
    of a dropped reading would otherwise be stored and counted again)."""
    cutoff = readings_store.retention_cutoff(settings.readings_retention_months, now)
    if cutoff is None:
        return
    for index, candidate in list(batch.live.items()):
        if candidate.kind == "connectivity_reading" and candidate.data["observed_at"] < cutoff:
            message = gettext(
                "Older than the %(months)s months of readings this server keeps.",
                months=settings.readings_retention_months,
            )
            batch.reject(index, {"observed_at": [message]})


def _check_country(batch: _Batch, settings: IngestSettings) -> None:
    if settings.outside_country == "accept":
        return
    west, south, east, north = settings.country_bbox
    for index, candidate in list(batch.live.items()):
        lat, lon = candidate.data["lat"], candidate.data["lon"]
        if west <= lon <= east and south <= lat <= north:
            continue
        message = [gettext("Outside Viet Nam's bounding box: check the device's position fix.")]
        if settings.outside_country == "reject":
            batch.reject(index, {"lat": message})
        else:
            candidate.warnings["lat"] = message


def _check_operators(session: Session, batch: _Batch, settings: IngestSettings) -> None:
    """A reading's ``operator_code`` is one of the operator table's; its name fills ``operator`` when the phone
    sent none. An unknown code is a warning, or a rejection under ``FIELDOPS_UNKNOWN_OPERATOR=reject``."""
    codes = {c.data.get("operator_code") for c in batch.live.values() if c.kind == "connectivity_reading"} - {None}
    if not codes:
        return
    known = {code: name for code, name in session.execute(select(Operator.code, Operator.name))}
    for index, candidate in list(batch.live.items()):
        code = candidate.data.get("operator_code")
        if candidate.kind != "connectivity_reading" or code is None:
            continue
        if code in known:
            if not candidate.data.get("operator"):
                candidate.data["operator"] = known[code]
            continue
        message = [f"Unknown operator code {code}: see GET /api/v1/operators for Viet Nam's operators."]
        if settings.unknown_operator == "reject":
            batch.reject(index, {"operator_code": message})
        else:
            candidate.warnings["operator_code"] = message


def _check_team(session: Session, batch: _Batch, user: User) -> None:
    """A user records as a member of their own team; only admins may record for another team (whether another
    team exists is not told to anyone else)."""
    requested = {c.data.get("team_id") for c in batch.live.values()} - {None, user.team_id}
    existing = set()
    if requested and user.role == "admin":
        existing = set(session.scalars(select(Team.id).where(Team.id.in_(requested))))
    for index, candidate in list(batch.live.items()):
        team_id = candidate.data.get("team_id") or user.team_id
        candidate.data["team_id"] = team_id
        if team_id is None or team_id == user.team_id:
            continue
        if user.role != "admin":
            batch.reject(
                index, {"team_id": [gettext("You can record only as a member of your own team.")]}, forbidden=True
            )
        elif team_id not in existing:
            batch.reject(index, {"team_id": [access.no_such("team")]})


def _check_sites(session: Session, batch: _Batch, scope: Scope) -> dict[int, Site]:
    site_ids = {c.data.get("site_id") for c in batch.live.values()} - {None}
    sites = access.sites_in_area(session, scope, site_ids)
    for index, candidate in list(batch.live.items()):
        site_id = candidate.data.get("site_id")
        if site_id is not None and site_id not in sites:
            batch.reject(index, {"site_id": [access.no_such("site")]})
    return sites


def _place(
    session: Session, batch: _Batch, user: User, sites: dict[int, Site], settings: IngestSettings
) -> dict[int, AdminUnit]:
    """The admin unit of each record: the commune boundary containing it, else its site's commune, else the
    commune whose centroid is nearest (for a point inside the country's box). The team's jurisdiction plays no
    part: a point in another province is placed there, and then refused by the scope check like any other."""
    points = {index: (c.data["lon"], c.data["lat"]) for index, c in batch.live.items()}
    codes = communes_at(session, points)
    for index, candidate in batch.live.items():
        site_id = candidate.data.get("site_id")
        if index not in codes and site_id is not None:
            codes[index] = sites[site_id].admin_unit_code
    west, south, east, north = settings.country_bbox
    unplaced = {
        index: (lon, lat)
        for index, (lon, lat) in points.items()
        if index not in codes and west <= lon <= east and south <= lat <= north  # abroad: no nearest commune
    }
    if unplaced:
        codes.update(nearest_communes(session, unplaced))
    units = select(AdminUnit).options(defer(AdminUnit.boundary), defer(AdminUnit.centroid))  # names and codes only
    found = session.scalars(units.where(one_of(session, AdminUnit.code, set(codes.values()))))
    units_by_code = {unit.code: unit for unit in found}
    placed = {}
    for index in list(batch.live):
        unit = units_by_code.get(codes.get(index))
        if unit is None:
            batch.reject(
                index,
                {
                    "lat": [
                        gettext("Cannot tell which commune this point is in: give a site_id, or load the admin units.")
                    ]
                },
            )
        else:
            placed[index] = unit
    return placed


def _check_scope(batch: _Batch, scope: Scope, units: dict[int, AdminUnit]) -> None:
    for index in list(batch.live):
        unit = units[index]
        if not scope.covers(unit):
            batch.reject(
                index,
                {
                    "lat": [
                        gettext(
                            "%(name)s (%(code)s) is outside your team's jurisdiction.", name=unit.name, code=unit.code
                        )
                    ]
                },
                forbidden=True,
            )


def _check_visits(session: Session, batch: _Batch, scope: Scope) -> None:
    """A record's ``visit_id`` names a stored visit in the area, or a visit accepted in the same batch."""
    in_batch = {c.data["id"] for c in batch.live.values() if c.kind == "visit"}
    wanted = {c.data.get("visit_id") for c in batch.live.values()} - {None} - in_batch
    stored = access.visits_in_area(session, scope, wanted)
    for index, candidate in list(batch.live.items()):
        visit_id = candidate.data.get("visit_id")
        if visit_id is not None and visit_id not in in_batch and visit_id not in stored:
            message = [access.no_such("visit"), gettext("Send the visit before its records, or in the same batch.")]
            batch.reject(index, {"visit_id": message})


def insert_ignoring_duplicates(session: Session, table):
    """``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id`` for the session's backend (single rows)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)


def insert_records(session: Session, kind: str, rows: list[dict]) -> list[dict]:
    """Insert one kind's rows, skipping ids already stored; returns the rows actually inserted. Readings on a
    partitioned table go through the id registry (``readings_store``); every other table through ``ON CONFLICT
    (id) DO NOTHING``."""
    if kind == "connectivity_reading" and readings_store.is_partitioned(session):
        inserted = set(readings_store.insert_readings(session, rows))
        return [row for row in rows if row["id"] in inserted]
    table = RECORD_MODELS[kind].__table__
    values = [{name: value for name, value in row.items() if name in table.c} for row in rows]
    inserted = {record_id for (record_id,) in insert_new_rows(session, table, values)}
    return [row for row in rows if row["id"] in inserted]


def _insert(
    session: Session,
    batch: _Batch,
    user: User,
    units: dict[int, AdminUnit],
    settings: IngestSettings,
    device_id: str | None,
    now: datetime,
) -> None:
    rows_by_kind: dict[str, list[dict]] = {}
    author_id, resolution = user.id, settings.h3_resolution
    places = {unit: (unit.code, unit.province_code) for unit in set(units.values())}
    for index, candidate in batch.live.items():
        data = dict(candidate.data)
        lon, lat = data["lon"], data["lat"]
        data["admin_unit_code"], data["province_code"] = places[units[index]]
        data.update(
            geom=f"SRID=4326;POINT({lon!r} {lat!r})",
            h3_cell=h3.latlng_to_cell(lat, lon, resolution),
            author_id=author_id,
            received_at=now,
            device_id=data.get("device_id") or device_id,
        )
        if candidate.kind == "connectivity_reading":
            data["dead_spot"] = is_dead_spot(data, settings)
        rows_by_kind.setdefault(candidate.kind, []).append(data)
    created: set[uuid.UUID] = set()
    created_rows: dict[str, list[dict]] = {}
    for kind, rows in rows_by_kind.items():
        inserted = insert_records(session, kind, rows)
        if inserted:
            created_rows[kind] = inserted
            created.update(row["id"] for row in inserted)
    if settings.defer_readings and "connectivity_reading" in created_rows:
        defer_readings(session, created_rows["connectivity_reading"], now)
        created_rows = {kind: rows for kind, rows in created_rows.items() if kind != "connectivity_reading"}
    rollups.apply_records(session, created_rows)  # only rows this transaction inserted: each counted once
    if settings.rules is not None and created_rows:
        apply_rules(session, created_rows, settings.rules, now)
    if created and rows_by_kind.get("visit"):
        fulfil_from_visits(session, [row for row in rows_by_kind["visit"] if row["id"] in created])
    for index, candidate in batch.live.items():
        status = "created" if candidate.data["id"] in created else "duplicate"
        batch.outcomes[index] = Outcome(str(candidate.data["id"]), status, None, candidate.warnings or None)
