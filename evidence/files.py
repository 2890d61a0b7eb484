"""The files of a coverage evidence package and the zip that holds them, with a manifest of their SHA-256 sums
(``sha256sum -c manifest-sha256.txt`` checks them)."""

import csv
import hashlib
import io
import json
import math
import zipfile
from datetime import timedelta

import h3
from flask import render_template
from flask_babel import force_locale
from geoalchemy2.shape import to_shape
from markupsafe import Markup, escape
from shapely.geometry import mapping

from evidence.core import Evidence
from reports.cells import PlaceFigures
from reports.exports import spreadsheet_text
from server.models import AdminUnit

MANIFEST = "manifest-sha256.txt"
SVG_WIDTH, SVG_HEIGHT, SVG_MARGIN = 640, 420, 16


def place_row(evidence: Evidence, figures: PlaceFigures, kind: str) -> dict:
    """One cell or commune as the JSON summary, the CSV and the GeoJSON give it."""
    if kind == "cell":
        sites = evidence.sites_by_cell.get(figures.key, [])
        communes = {"communes": [{"code": c, "name": evidence.commune_names.get(c, c)} for c in figures.communes]}
        head = {"cell": figures.key, "qualifies": evidence.thresholds.qualifies(figures)}
    else:
        sites = evidence.sites_by_commune.get(figures.key, [])
        communes = {}
        head = {"commune": figures.key, "name": evidence.commune_names.get(figures.key, figures.key)}
    concerned = [{"id": site.id, "name": site.name, "kind": site.kind} for site in sites]
    return {**head, **figures.as_dict(), **communes, "sites": concerned}


def summary(evidence: Evidence) -> dict:
    qualifying = evidence.qualifying
    return {
        "province": {"code": evidence.province.code, "name": evidence.province.name},
        "operator": {"code": evidence.operator.code, "name": evidence.operator.name},
        "since": evidence.since.isoformat() if evidence.since else None,
        "until": evidence.until.isoformat() if evidence.until else None,
        "thresholds": methodology(evidence)["thresholds"],
        "readings": sum(cell.readings for cell in evidence.cells),
        "dead_spots": sum(cell.dead_spots for cell in evidence.cells),
        "qualifying_cells": [place_row(evidence, cell, "cell") for cell in qualifying],
        "not_qualifying_cells": [place_row(evidence, cell, "cell") for cell in evidence.not_qualifying],
        "communes": [place_row(evidence, commune, "commune") for commune in evidence.communes],
    }


def methodology(evidence: Evidence) -> dict:
    thresholds = evidence.thresholds
    return {
        "thresholds": {
            "min_readings": thresholds.min_readings,
            "min_days": thresholds.min_days,
            "min_teams": thresholds.min_teams,
        },
        "qualifies": "readings >= min_readings and days >= min_days and teams >= min_teams",
        "cell": "H3 cell at the resolution stored with each reading",
        "dead_spot": "a reading with network none, or a signal weaker than the dead-spot signal threshold, or a "
        "download speed below the dead-spot speed threshold (settings FIELDOPS_DEAD_SPOT_*)",
        "percentiles": "median and 10th percentile, linear interpolation between closest ranks",
        "days": "distinct calendar days in Asia/Ho_Chi_Minh",
        "teams": "distinct teams of the readings' authors",
    }


CSV_COLUMNS = (
    "readings", "dead_spots", "dead_spot_share", "signal_dbm_median", "signal_dbm_p10", "down_mbps_median",
    "down_mbps_p10", "days", "teams", "first_observed_at", "last_observed_at",
)  # fmt: skip


def _csv(rows: list[dict], head: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*head, *CSV_COLUMNS, "communes", "sites"])
    for row in rows:
        communes = "; ".join(c["code"] for c in row.get("communes", []))
        sites = "; ".join(site["name"] for site in row["sites"])
        values = [row[name] for name in head] + [row[name] for name in CSV_COLUMNS] + [communes, sites]
        writer.writerow([spreadsheet_text(value) for value in values])
    return out.getvalue().encode("utf-8")


def _cell_geojson(rows: list[dict]) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": row["cell"],
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[lon, lat] for lat, lon in (*h3.cell_to_boundary(row["cell"]),
                                                              h3.cell_to_boundary(row["cell"])[0])]],
            },
            "properties": row,
        }
        for row in rows
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1).encode()


def _commune_geojson(evidence: Evidence, rows: list[dict], session) -> bytes:
    features = []
    for row in rows:
        unit = session.get(AdminUnit, row["commune"])
        geom = unit.boundary if unit is not None and unit.boundary is not None else getattr(unit, "centroid", None)
        geometry = mapping(to_shape(geom)) if geom is not None else None
        features.append({"type": "Feature", "id": row["commune"], "geometry": geometry, "properties": row})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1).encode()


def cells_svg(evidence: Evidence) -> Markup | None:
    """The cells as hexagons in a box (no tiles, nothing from outside): qualifying ones shaded by dead-spot share,
    the others hatched grey."""
    if not evidence.cells:
        return None
    rings = {cell.key: [(lon, lat) for lat, lon in h3.cell_to_boundary(cell.key)] for cell in evidence.cells}
    points = [xy for ring in rings.values() for xy in ring]
    west, east = min(x for x, _ in points), max(x for x, _ in points)
    south, north = min(y for _, y in points), max(y for _, y in points)
    stretch = math.cos(math.radians((south + north) / 2))
    scale = min(
        (SVG_WIDTH - 2 * SVG_MARGIN) / max((east - west) * stretch, 1e-4),
        (SVG_HEIGHT - 2 * SVG_MARGIN) / max(north - south, 1e-4),
    )
    mid_x, mid_y = (west + east) / 2, (south + north) / 2

    def xy(lon: float, lat: float) -> str:
        return f"{SVG_WIDTH / 2 + (lon - mid_x) * stretch * scale:.1f},{SVG_HEIGHT / 2 - (lat - mid_y) * scale:.1f}"

    parts = [
        f'<svg viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" role="img" aria-label="{escape(evidence.province.name)}" '
        'xmlns="http://www.w3.org/2000/svg" class="evidence-map">',
        f'<rect width="{SVG_WIDTH}" height="{SVG_HEIGHT}" fill="#f4f7f4"/>',
    ]
    for cell in evidence.cells:
        path = "M" + " L".join(xy(*point) for point in rings[cell.key]) + "Z"
        if evidence.thresholds.qualifies(cell):
            alpha = 0.15 + 0.85 * cell.dead_spot_share
            style = f'fill="#b00020" fill-opacity="{alpha:.2f}" stroke="#6d0014"'
        else:
            style = 'fill="#bbbbbb" fill-opacity="0.4" stroke="#888888" stroke-dasharray="2,2"'
        parts.append(f'<path d="{path}" {style} stroke-width="0.8"><title>{escape(cell.key)}</title></path>')
    parts.append("</svg>")
    return Markup("".join(parts))


def summary_html(evidence: Evidence, data: dict) -> bytes:
    """The summary for print (A4), in Vietnamese whatever the request's language."""
    with force_locale("vi"):
        page = render_template(
            "evidence/summary.html",
            evidence=evidence,
            data=data,
            svg=cells_svg(evidence),
            method=methodology(evidence),
            last_day=evidence.until - timedelta(microseconds=1) if evidence.until else None,
        )
    return page.encode("utf-8")


def package_files(evidence: Evidence, session) -> dict[str, bytes]:
    data = summary(evidence)
    cell_head, commune_head = ("cell", "qualifies"), ("commune", "name")
    files = {
        "summary.html": summary_html(evidence, data),
        "summary.json": json.dumps(data, ensure_ascii=False, indent=1).encode(),
        "methodology.json": json.dumps(methodology(evidence), ensure_ascii=False, indent=1).encode(),
        "cells.geojson": _cell_geojson(data["qualifying_cells"]),
        "cells.csv": _csv(data["qualifying_cells"], cell_head),
        "cells_not_qualifying.geojson": _cell_geojson(data["not_qualifying_cells"]),
        "cells_not_qualifying.csv": _csv(data["not_qualifying_cells"], cell_head),
        "communes.geojson": _commune_geojson(evidence, data["communes"], session),
        "communes.csv": _csv(data["communes"], commune_head),
    }
    manifest = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(files.items()))
    files[MANIFEST] = manifest.encode()
    return files


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()
