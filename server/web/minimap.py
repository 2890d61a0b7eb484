"""A small map of a ticket's place as inline SVG: the commune's outline (or its centroid) and the point. Made on
the server from stored geometry, so it needs no script, no tiles and nothing from outside the server."""

import math

from markupsafe import Markup, escape
from shapely.geometry.base import BaseGeometry

WIDTH, HEIGHT, MARGIN = 320, 200, 12
CENTROID_RADIUS = 30  # the commune drawn as a circle when it has no outline


def _rings(shape: BaseGeometry) -> list[list[tuple[float, float]]]:
    polygons = getattr(shape, "geoms", [shape])
    rings = []
    for polygon in polygons:
        rings.append(list(polygon.exterior.coords))
        rings.extend(list(ring.coords) for ring in polygon.interiors)
    return rings


def place_svg(
    boundary: BaseGeometry | None,
    centroid: tuple[float, float] | None,
    point: tuple[float, float] | None,
    label: str,
) -> Markup | None:
    """The outline and points (lon, lat) fitted into a small box; None when there is nothing to draw."""
    rings = _rings(boundary) if boundary is not None and not boundary.is_empty else []
    spots = [spot for spot in (centroid, point) if spot is not None]
    coords = [xy for ring in rings for xy in ring] + spots
    if not coords:
        return None
    west, east = min(x for x, _ in coords), max(x for x, _ in coords)
    south, north = min(y for _, y in coords), max(y for _, y in coords)
    stretch = math.cos(math.radians((south + north) / 2))  # a degree of longitude is shorter away from the equator
    span_x = max((east - west) * stretch, 0.01)
    span_y = max(north - south, 0.01)
    margin = MARGIN if rings or centroid is None else CENTROID_RADIUS + 2  # the whole circle stays in the box
    scale = min((WIDTH - 2 * margin) / span_x, (HEIGHT - 2 * margin) / span_y)
    mid_x, mid_y = (west + east) / 2, (south + north) / 2

    def xy(lon: float, lat: float) -> str:
        x = WIDTH / 2 + (lon - mid_x) * stretch * scale
        y = HEIGHT / 2 - (lat - mid_y) * scale
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="minimap" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f7f4"/>',
    ]
    if rings:
        path = " ".join("M" + " L".join(xy(*c[:2]) for c in ring) + "Z" for ring in rings)
        parts.append(f'<path d="{path}" fill="#dfe9df" stroke="#4a6b4a" stroke-width="1.5" fill-rule="evenodd"/>')
    if centroid is not None and not rings:
        x, y = xy(*centroid).split(",")
        parts.append(
            f'<circle class="centroid" cx="{x}" cy="{y}" r="{CENTROID_RADIUS}" fill="#dfe9df" stroke="#4a6b4a"/>'
        )
    if point is not None:
        x, y = xy(*point).split(",")
        parts.append(f'<circle class="point" cx="{x}" cy="{y}" r="6" fill="#b00020" stroke="#fff" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
