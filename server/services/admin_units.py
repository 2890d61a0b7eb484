"""The official list of provinces and communes (with centroids and areas), the safe move to it from an older
list, the pre-2025 units and their crosswalk, boundaries, and finding the unit of a point or of an old code."""

import difflib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, shape
from sqlalchemy import case, delete, func, insert, select, union, update
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import AdminUnit, AdminUnitMove, HistoricalUnit, Succession
from server.spatial import SRID, contains_point

OFFICIAL_SOURCE = "vietnam-provinces (official list), vietnamadminunits (centroids and areas)"


# --- The official list --------------------------------------------------------------------------------------

DIVISION_PREFIX = re.compile(r"^(thành phố|tỉnh|thị trấn|thị xã|xã|phường|đặc khu)\s+", re.IGNORECASE)
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # grave, acute, tilde, hook above, dot below


def spelling_key(name: str) -> tuple:
    """Two spellings of one name compare equal: case, spacing, apostrophes, the division prefix and where the
    tone mark sits ("Thuỷ" and "Thủy") do not count; the letters and the tone of each word do."""
    text = DIVISION_PREFIX.sub("", " ".join(name.replace("’", "'").split()).lower())
    words = []
    for word in text.split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(sorted(char for char in decomposed if char in TONE_MARKS))
        letters = unicodedata.normalize("NFC", "".join(char for char in decomposed if char not in TONE_MARKS))
        words.append((letters, tones))
    return tuple(words)


def plain_name(text: str) -> str:
    """Lower case without diacritics, đ as d, words separated by one space: "Xã Châu Quế" -> "xa chau que"."""
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join(re.findall(r"[a-z0-9]+", "".join(char for char in folded if not unicodedata.combining(char))))


@cache
def _centroids() -> dict[str, tuple[float, float, float | None]]:
    """(lon, lat, area km²) of every official commune, and (lon, lat, None) of every province, as carried by
    the ``vietnamadminunits`` package."""
    from vietnamadminunits.database import query

    found: dict[str, tuple[float, float, float | None]] = {}
    for row in query(
        "SELECT provinceCode, provinceLon, provinceLat, wardCode, wardLon, wardLat, wardAreaKm2 FROM admin_units"
    ):
        found[row["wardCode"]] = (row["wardLon"], row["wardLat"], row["wardAreaKm2"])
        found.setdefault(row["provinceCode"], (row["provinceLon"], row["provinceLat"], None))
    return found


def effective_date() -> date:
    """The day the two-tier units took effect, as the crosswalk's source states it."""
    from vietnam_provinces._ward_conversion_2025 import EFFECTIVE_DATE

    return date.fromisoformat(EFFECTIVE_DATE)


def official_units() -> list[dict]:
    """Provinces and communes/wards of the official list (``vietnam-provinces``), with zero-padded codes and
    each unit's centroid and area (``vietnamadminunits``); a province's area is the sum of its communes'."""
    from vietnam_provinces import Province, Ward

    centroids = _centroids()
    valid_from = effective_date()
    units = []
    for ward in Ward.iter_all():
        code = f"{int(ward.code):05d}"
        lon, lat, area = centroids.get(code, (None, None, None))
        units.append(
            {
                "code": code,
                "level": "commune",
                "name": ward.name,
                "codename": ward.codename,
                "division_type": ward.division_type.value,
                "parent_code": f"{int(ward.province_code):02d}",
                "lon": lon,
                "lat": lat,
                "area_km2": area,
                "valid_from": valid_from,
            }
        )
    areas = Counter()
    for unit in units:
        areas[unit["parent_code"]] += unit["area_km2"] or 0
    provinces = []
    for province in Province.iter_all():
        code = f"{int(province.code):02d}"
        lon, lat, _ = centroids.get(code, (None, None, None))
        provinces.append(
            {
                "code": code,
                "level": "province",
                "name": province.name,
                "codename": province.codename,
                "division_type": province.division_type.value,
                "parent_code": None,
                "lon": lon,
                "lat": lat,
                "area_km2": round(areas[code], 2) or None,
                "valid_from": valid_from,
            }
        )
    return provinces + units


# --- Planning the move from the list in the database to the official one -------------------------------------


@dataclass
class CodeChange:
    """One unit of the database whose code or name the official list changes."""

    kind: str  # renamed (same commune, new spelling) | renumbered | identity (code now names another commune)
    # | removed (no commune of that name in the official list)
    old_code: str
    old_name: str
    new_code: str | None
    new_name: str | None
    references: dict[str, int] = field(default_factory=dict)
    candidates: list[tuple[str, str]] = field(default_factory=list)
    decided_by: str = "name"  # name | person (--map)

    @property
    def moves_references(self) -> bool:
        return self.new_code is not None and self.new_code != self.old_code

    def as_line(self) -> str:
        counts = ", ".join(f"{count} {what}" for what, count in self.references.items()) or "no references"
        target = f"{self.new_code} {self.new_name}" if self.new_code else "?"
        line = f"{self.kind:<10} {self.old_code} {self.old_name} -> {target} ({counts})"
        if self.new_code is None and self.candidates:
            line += "; candidates: " + ", ".join(f"{code} {name}" for code, name in self.candidates)
        return line


@dataclass
class LoadPlan:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[CodeChange] = field(default_factory=list)
    removed_unused: list[str] = field(default_factory=list)

    @property
    def undecided(self) -> list[CodeChange]:
        return [change for change in self.changes if change.new_code is None]

    @property
    def needs_apply(self) -> bool:
        return bool(self.changes)


class MoveRefused(Exception):
    """``--apply`` while some changed codes have no decided new code."""

    def __init__(self, plan: LoadPlan):
        super().__init__(f"{len(plan.undecided)} code(s) changed identity or vanished and need --map OLD=NEW")
        self.plan = plan


REFERENCE_GROUPS = {
    "visits": "records",
    "equipment_checks": "records",
    "connectivity_readings": "records",
    "assistance_logs": "records",
    "findings": "records",
    "survey_responses": "records",
    "tickets": "tickets",
    "sites": "sites",
    "team_jurisdictions": "teams",
    "users": "users",
}


def referencing_columns() -> list:
    """Every column of the schema that holds an admin unit code (foreign keys to ``admin_units.code``), except
    the units' own parent and the crosswalk, which the loader writes itself."""
    columns = []
    for table in db.metadata.sorted_tables:
        if table.name in ("admin_units", "admin_unit_successions"):
            continue
        for column in table.columns:
            if any(fk.column.table.name == "admin_units" for fk in column.foreign_keys):
                columns.append(column)
    return columns


def _reference_counts(session: Session, codes: set[str]) -> dict[str, Counter]:
    """For each code, how many rows of each group (records, tickets, sites, teams, users, other tables) name it;
    a row naming the code in several columns (a ticket's commune, province and owner unit) counts once."""
    counts: dict[str, Counter] = {code: Counter() for code in codes}
    if not codes:
        return counts
    by_table: dict = {}
    for column in referencing_columns():
        by_table.setdefault(column.table, []).append(column)
    for table, columns in by_table.items():
        key = list(table.primary_key.columns)
        named = union(*(select(column.label("code"), *key).where(column.in_(codes)) for column in columns)).subquery()
        statement = select(named.c.code, func.count()).group_by(named.c.code)
        group = REFERENCE_GROUPS.get(table.name, table.name)
        for code, count in session.execute(statement):
            counts[code][group] += count
    return counts


def plan_load(session: Session, decisions: dict[str, str] | None = None) -> LoadPlan:
    """What loading the official list would do to this database, changing nothing. ``decisions`` maps an old code
    to the official code a person chose for it (``--map OLD=NEW``); it wins over any match by name."""
    decisions = decisions or {}
    official = {unit["code"]: unit for unit in official_units()}
    for old, new in decisions.items():
        if new not in official:
            raise ValueError(f"--map {old}={new}: {new} is not an official code")
    plan = LoadPlan()
    existing = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
    for code, data in official.items():
        unit = existing.get(code)
        if unit is None:
            plan.created += 1
        elif _differs(unit, data):
            plan.updated += 1
        else:
            plan.unchanged += 1
    by_spelling: dict[tuple, list[str]] = {}
    for code, data in official.items():
        by_spelling.setdefault((data["parent_code"], spelling_key(data["name"])), []).append(code)
    for code, unit in sorted(existing.items()):
        data = official.get(code)
        same_code_same_unit = data is not None and spelling_key(data["name"]) == spelling_key(unit.name)
        if code not in decisions and same_code_same_unit:
            if data["name"] != unit.name:
                plan.changes.append(CodeChange("renamed", code, unit.name, code, data["name"]))
            continue
        if unit.valid_from is not None and data is None and code not in decisions:
            plan.removed_unused.append(code)  # a unit of an earlier official load no longer listed
            continue
        named_alike = [c for c in by_spelling.get((unit.parent_code, spelling_key(unit.name)), []) if c != code]
        kind = "identity" if data is not None else "removed"
        if data is None and len(named_alike) == 1:
            kind = "renumbered"
        change = CodeChange(kind, code, unit.name, None, None)
        if code in decisions:
            change.new_code, change.decided_by = decisions[code], "person"
        elif kind == "renumbered":
            change.new_code = named_alike[0]
        if change.new_code is not None:
            change.new_name = official[change.new_code]["name"]
        else:
            change.candidates = [(c, official[c]["name"]) for c in named_alike] or _close_official(
                official, unit.name, unit.parent_code
            )
        plan.changes.append(change)
    counts = _reference_counts(session, {change.old_code for change in plan.changes} | set(plan.removed_unused))
    for change in plan.changes:
        change.references = dict(counts[change.old_code])
    still_used = [code for code in plan.removed_unused if counts[code]]
    for code in still_used:  # a vanished unit still referred to needs a decision like any other
        plan.removed_unused.remove(code)
        unit = existing[code]
        plan.changes.append(
            CodeChange(
                "removed",
                code,
                unit.name,
                None,
                None,
                dict(counts[code]),
                _close_official(official, unit.name, unit.parent_code),
            )
        )
    return plan


def _close_official(official: dict[str, dict], name: str, parent_code: str | None, limit: int = 3) -> list:
    names = {plain_name(data["name"]): code for code, data in official.items() if data["parent_code"] == parent_code}
    return [(names[n], official[names[n]]["name"]) for n in difflib.get_close_matches(plain_name(name), names, limit)]


UNIT_FIELDS = ("level", "name", "codename", "division_type", "parent_code", "area_km2", "valid_from")


def _differs(unit: AdminUnit, data: dict) -> bool:
    if any(getattr(unit, name) != data[name] for name in UNIT_FIELDS) or unit.valid_to is not None:
        return True
    return unit.centroid is None and data["lon"] is not None


def _row(data: dict) -> dict:
    row = {name: data[name] for name in ("code", *UNIT_FIELDS)}
    row["centroid"] = f"SRID={SRID};POINT({data['lon']!r} {data['lat']!r})" if data["lon"] is not None else None
    return row


# --- Applying it -----------------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    historical: int = 0
    plan: LoadPlan | None = None


def load_official_units(
    session: Session,
    apply: bool = False,
    decisions: dict[str, str] | None = None,
    applied_by: str = "admin-units load",
) -> LoadReport:
    """Bring the database to the official list. When that changes units the database already refers to, nothing
    happens unless ``apply``; then every reference moves in this transaction (the caller commits) and an
    ``AdminUnitMove`` records it. Raises ``MoveRefused`` when applying with undecided codes."""
    plan = plan_load(session, decisions)
    report = LoadReport(plan.created, plan.updated, plan.unchanged, plan=plan)
    if plan.needs_apply and not apply:
        return report
    if plan.undecided:
        raise MoveRefused(plan)
    official = official_units()
    existing = set(session.scalars(select(AdminUnit.code)))
    new_rows = [_row(data) for data in official if data["code"] not in existing]
    for level in ("province", "commune"):
        rows = [row for row in new_rows if row["level"] == level]
        if rows:
            session.execute(insert(AdminUnit.__table__), rows)
    units = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
    for data in official:
        unit = units[data["code"]]
        if data["code"] in existing and _differs(unit, data):
            for name, value in _row(data).items():
                setattr(unit, name, value)
            unit.valid_to = None
    session.flush()
    mapping = {c.old_code: c.new_code for c in plan.changes if c.moves_references}
    if mapping:
        _move_references(session, mapping)
        report.moved = len(mapping)
    official_codes = {data["code"] for data in official}
    gone = [code for code in units if code not in official_codes]
    if gone:
        session.execute(delete(AdminUnit).where(AdminUnit.code.in_(gone), AdminUnit.level == "commune"))
        session.execute(delete(AdminUnit).where(AdminUnit.code.in_(gone)))
        report.removed = len(gone)
    if plan.changes:
        session.add(
            AdminUnitMove(
                applied_by=applied_by,
                source=OFFICIAL_SOURCE[:120],
                summary=f"{len(plan.changes)} changed codes, {len(mapping)} moved, {len(gone)} removed",
                changes=[
                    {
                        "kind": c.kind,
                        "old_code": c.old_code,
                        "old_name": c.old_name,
                        "new_code": c.new_code,
                        "new_name": c.new_name,
                        "references": c.references,
                        "decided_by": c.decided_by,
                    }
                    for c in plan.changes
                ],
            )
        )
    report.historical = load_historical_units(session)
    session.flush()
    return report


def _move_references(session: Session, mapping: dict[str, str]) -> None:
    """Rewrite every reference in one statement per column, so that swapped codes (A->B, B->A) land right."""
    province_of = {code: parent for code, parent in session.execute(select(AdminUnit.code, AdminUnit.parent_code))}
    for column in referencing_columns():
        table = column.table
        if column.primary_key:
            _move_key_rows(session, table, column, mapping)
            continue
        remapped = case(mapping, value=column)
        session.execute(update(table).where(column.in_(mapping)).values({column.name: remapped}))
        if column.name == "admin_unit_code" and "province_code" in table.c:
            provinces = {new: province_of.get(new) or new for new in mapping.values()}
            session.execute(
                update(table)
                .where(column.in_(set(mapping.values())))
                .values(province_code=case(provinces, value=column))
            )


def _move_key_rows(session: Session, table, column, mapping: dict[str, str]) -> None:
    """A code that is part of a primary key (a team's jurisdiction): rows are rewritten, merging duplicates."""
    rows = [dict(row._mapping) for row in session.execute(select(table).where(column.in_(mapping)))]
    if not rows:
        return
    session.execute(delete(table).where(column.in_(mapping)))
    keys = [c.name for c in table.primary_key.columns]
    present = {tuple(row[k] for k in keys) for row in session.execute(select(table)).mappings()}
    fresh = []
    for row in rows:
        row[column.name] = mapping[row[column.name]]
        key = tuple(row[k] for k in keys)
        if key not in present:
            present.add(key)
            fresh.append(row)
    if fresh:
        session.execute(insert(table), fresh)


# --- The pre-2025 units and the crosswalk ---------------------------------------------------------------------


def historical_rows() -> tuple[list[dict], list[dict]]:
    """The 63 provinces and about 10,000 communes that ended on 30 June 2025, and the official crosswalk from
    each old commune to the new one(s), from ``vietnam-provinces``."""
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW
    from vietnam_provinces.legacy import District, Province, Ward

    valid_to = date.fromordinal(effective_date().toordinal() - 1)
    districts = {int(district.code): district.name for district in District.iter_all()}
    units = [
        {
            "code": f"{int(p.code):02d}",
            "level": "province",
            "name": p.name,
            "codename": p.codename,
            "division_type": p.division_type.value,
            "district_name": None,
            "province_code": None,
            "valid_to": valid_to,
        }
        for p in Province.iter_all()
    ]
    units += [
        {
            "code": f"{int(w.code):05d}",
            "level": "commune",
            "name": w.name,
            "codename": w.codename,
            "division_type": w.division_type.value,
            "district_name": districts.get(int(w.district_code)),
            "province_code": f"{int(w.province_code):02d}",
            "valid_to": valid_to,
        }
        for w in Ward.iter_all()
    ]
    known = {unit["code"] for unit in units}
    successions = []
    for old_code, entry in OLD_TO_NEW.items():
        if f"{old_code:05d}" not in known:
            continue
        partial = entry.old_ward.is_partly_merged or len(entry.new_wards) > 1
        for new in entry.new_wards:
            successions.append({"old_code": f"{old_code:05d}", "new_code": f"{new.code:05d}", "partial": partial})
    return units, successions


def load_historical_units(session: Session) -> int:
    """(Re)load the pre-2025 units and the crosswalk with bulk inserts; skipped when they are already complete."""
    units, successions = historical_rows()
    stored_units = session.scalar(select(func.count()).select_from(HistoricalUnit))
    stored_links = session.scalar(select(func.count()).select_from(Succession))
    if stored_units == len(units) and stored_links == len(successions):
        return 0
    session.execute(delete(Succession))
    session.execute(delete(HistoricalUnit))
    current = set(session.scalars(select(AdminUnit.code)))
    session.execute(insert(HistoricalUnit.__table__), units)
    session.execute(insert(Succession.__table__), [row for row in successions if row["new_code"] in current])
    return len(units)


@dataclass
class BoundaryReport:
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


CODE_PROPERTIES = ("code", "ma", "ma_xa", "ma_tinh", "ward_code", "province_code", "admin_code")


def _feature_code(properties: dict, code_property: str | None) -> str | None:
    names = (code_property,) if code_property else CODE_PROPERTIES
    for name in names:
        value = properties.get(name)
        if value not in (None, ""):
            text = str(value).strip()
            return text.zfill(5) if len(text) > 2 else text.zfill(2)
    return None


def import_boundaries(session: Session, path: Path, code_property: str | None = None) -> BoundaryReport:
    """Attach polygons from a GeoJSON FeatureCollection (WGS 84) to units matched by official code."""
    report = BoundaryReport()
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    units = {unit.code: unit for unit in session.scalars(select(AdminUnit))}
    for index, feature in enumerate(collection.get("features", [])):
        properties = feature.get("properties") or {}
        code = _feature_code(properties, code_property)
        label = f"feature {index} (code {code!r}, name {properties.get('name', '')!r})"
        unit = units.get(code) if code else None
        if unit is None and code:
            unit, note = _boundary_unit_of_old_code(session, code)
            if note:
                (report.warnings if unit is not None else report.unmatched).append(f"{label}: {note}")
                if unit is None:
                    continue
        if unit is None:
            report.unmatched.append(label)
            continue
        try:
            geometry = shape(feature["geometry"])
        except Exception:  # noqa: BLE001  (any malformed geometry is reported, not fatal)
            report.invalid.append(label)
            continue
        if geometry.geom_type == "Polygon":
            geometry = MultiPolygon([geometry])
        if geometry.geom_type != "MultiPolygon" or geometry.is_empty:
            report.invalid.append(label)
            continue
        if not geometry.is_valid:
            geometry = geometry.buffer(0)
            if geometry.geom_type == "Polygon":
                geometry = MultiPolygon([geometry])
        unit.boundary = from_shape(geometry, srid=SRID)
        unit.centroid = from_shape(geometry.representative_point(), srid=SRID)
        report.matched.append(unit.code)
    session.flush()
    return report


def _boundary_unit_of_old_code(session: Session, code: str) -> tuple[AdminUnit | None, str | None]:
    """A pre-2025 commune's polygon is the current commune's only when that commune is exactly the old one
    (its sole, whole predecessor); a merged or split commune's old outline is not its boundary."""
    old = session.get(HistoricalUnit, code)
    if old is None:
        return None, None
    links = old.successions
    if len(links) == 1 and not links[0].partial:
        new = links[0].new_unit
        predecessors = session.scalar(
            select(func.count()).select_from(Succession).where(Succession.new_code == new.code)
        )
        if predecessors == 1:
            return new, f"{code} is the pre-2025 code of {old.name}; stored as the boundary of {new.code} {new.name}"
    listed = ", ".join(f"{link.new_code} {link.new_unit.name}" for link in links) or "no successor"
    return None, f"{code} is the pre-2025 code of {old.name}, merged or split into {listed}: not a current boundary"


def commune_at(session: Session, lon: float, lat: float) -> AdminUnit | None:
    """The commune whose boundary contains the point, if commune boundaries are loaded."""
    return session.scalars(
        select(AdminUnit)
        .where(AdminUnit.level == "commune", AdminUnit.boundary.is_not(None))
        .where(contains_point(session, AdminUnit.boundary, lon, lat))
        .limit(1)
    ).first()


# --- Placing points and reading codes ---------------------------------------------------------------------------


_CENTROID_TREES: dict = {}


def _centroid_tree(session: Session):
    """The current communes' codes, centroid coordinates and a tree of them, kept per database while the
    communes' count and latest change stay the same (ingest asks for every batch; they change on loads)."""
    import numpy as np
    import shapely

    communes = (AdminUnit.level == "commune", AdminUnit.centroid.is_not(None), AdminUnit.valid_to.is_(None))
    stamp = tuple(session.execute(select(func.count(), func.max(AdminUnit.updated_at)).where(*communes)).one())
    key = session.get_bind().engine.url.render_as_string()
    cached = _CENTROID_TREES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = session.execute(
        select(AdminUnit.code, func.ST_X(AdminUnit.centroid), func.ST_Y(AdminUnit.centroid))
        .where(*communes)
        .order_by(AdminUnit.code)
    ).all()
    tree = None
    if rows:
        lon = np.array([row[1] for row in rows])
        lat = np.array([row[2] for row in rows])
        tree = ([row[0] for row in rows], lon, lat, shapely.STRtree(shapely.points(lon, lat)))
    _CENTROID_TREES[key] = (stamp, tree)
    return tree


def nearest_communes(session: Session, points: dict[int, tuple[float, float]]) -> dict[int, str]:
    """For each keyed (lon, lat), the commune whose centroid is nearest (which also settles the province: the
    nearest commune's). Distances are on the local plane (longitude scaled by cos latitude), alike on both
    backends; empty when no centroid is loaded.

    A tree of the centroids gives each point its nearest centroid in plain degrees; the true nearest (scaled) lies
    within that one's scaled distance divided by the scale, so only the centroids in that radius are compared."""
    import numpy as np
    import shapely

    if not points:
        return {}
    centroids = _centroid_tree(session)
    if centroids is None:
        return {}
    codes, lon, lat, tree = centroids
    keys = list(points)
    x = np.array([points[key][0] for key in keys])
    y = np.array([points[key][1] for key in keys])
    scale = np.cos(np.radians(y))
    query = shapely.points(x, y)
    first = tree.nearest(query)
    reach = np.sqrt(((lon[first] - x) * scale) ** 2 + (lat[first] - y) ** 2) / scale
    point, centroid = tree.query(query, predicate="dwithin", distance=reach * (1 + 1e-9) + 1e-12)
    distance = ((lon[centroid] - x[point]) * scale[point]) ** 2 + (lat[centroid] - y[point]) ** 2
    order = np.lexsort((centroid, distance, point))  # per point: the smallest distance, then the first centroid
    point, centroid = point[order], centroid[order]
    firsts = np.flatnonzero(np.r_[True, point[1:] != point[:-1]])
    return {keys[p]: codes[c] for p, c in zip(point[firsts].tolist(), centroid[firsts].tolist(), strict=True)}


def commune_of_point(session: Session, lon: float, lat: float) -> AdminUnit | None:
    """The commune of a point: the boundary containing it when boundaries are loaded, else the nearest centroid."""
    found = commune_at(session, lon, lat)
    if found is not None:
        return found
    code = nearest_communes(session, {0: (lon, lat)}).get(0)
    return session.get(AdminUnit, code) if code else None


@dataclass
class CodeReading:
    """What an official code given in an import means now: the current unit, and a warning when the code was a
    pre-2025 one."""

    unit: AdminUnit
    warning: str | None = None


class CodeNotUsable(Exception):
    """A code that names no current unit, or an old commune split across several whose point does not settle
    which; ``message`` says so for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_code(session: Session, code: str, lon: float | None = None, lat: float | None = None) -> CodeReading:
    """A current code as it is; a pre-2025 code as the current unit that replaced it (its only successor, or the
    successor the point lies in). Codes still in use win: an old code reused by a current unit means the
    current one."""
    code = code.strip()
    unit = session.get(AdminUnit, code)
    if unit is not None and unit.valid_to is None:
        return CodeReading(unit)
    old = session.get(HistoricalUnit, code)
    if old is None:
        raise CodeNotUsable(f"Unknown admin unit code {code!r}.")
    successors = [link.new_unit for link in old.successions]
    if not successors:
        raise CodeNotUsable(f"{old.name} ({code}) ended on {old.valid_to:%d/%m/%Y} and has no listed successor.")
    chosen = successors[0] if len(successors) == 1 else None
    if chosen is None and lon is not None and lat is not None:
        placed = commune_of_point(session, lon, lat)
        chosen = placed if placed is not None and placed in successors else None
    if chosen is None:
        listed = ", ".join(f"{unit.code} {unit.name}" for unit in successors)
        where = "its point does not lie in any of them" if lon is not None else "give a point to choose"
        raise CodeNotUsable(
            f"{old.name} ({code}) was split on {effective_date():%d/%m/%Y} into {listed}; "
            f"{where}, or give the new code."
        )
    return CodeReading(
        chosen,
        f"{code} is the pre-2025 code of {old.name}; stored as {chosen.code} {chosen.name}, "
        "the commune that replaced it.",
    )
