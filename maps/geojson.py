"""The map aggregates as GeoJSON (RFC 7946) FeatureCollections, for the API and for GIS tools. Coordinates are
rounded to 5 decimals (about a metre); commune outlines are simplified for the extent shown."""

from shapely.geometry import mapping

from maps import hexes
from maps.aggregates import INDICATORS, CommuneMap, DeadSpotGrid, EquipmentStatus, OpenTickets

# Outline simplification tolerance in degrees, by what the map covers.
SIMPLIFY = {"scope": 0.005, "province": 0.001, "commune": 0.0001}


def _rounded(coordinates, digits: int = 5):
    if isinstance(coordinates, (int, float)):
        return round(coordinates, digits)
    return [_rounded(part, digits) for part in coordinates]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def dead_spot_collection(grid: DeadSpotGrid) -> dict:
    features = []
    for cell in grid.cells:
        outline = [[lon, lat] for lat, lon in hexes.ring(cell.cell)]
        outline.append(outline[0])
        features.append(
            {
                "type": "Feature",
                "id": cell.cell,
                "geometry": {"type": "Polygon", "coordinates": [outline]},
                "properties": {
                    "cell": cell.cell,
                    "readings": cell.readings,
                    "dead_spots": cell.dead_spots,
                    "dead_spot_share": round(cell.dead_spot_share, 4),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "resolution": grid.resolution,
        "coarsened": grid.coarsened,
        "readings": grid.readings,
        "dead_spots": grid.dead_spots,
        "dead_spot_share": round(grid.dead_spot_share, 4),
    }


def equipment_collection(status: EquipmentStatus) -> dict:
    features = []
    for site in status.sites:
        features.append(
            {
                "type": "Feature",
                "id": site.site_id,
                "geometry": {"type": "Point", "coordinates": [round(site.lon, 6), round(site.lat, 6)]},
                "properties": {
                    "site_id": site.site_id,
                    "name": site.name,
                    "kind": site.kind,
                    "admin_unit_code": site.admin_unit_code,
                    "worst_condition": site.worst_condition,
                    "last_check_at": _iso(site.last_check_at),
                    "assets": [
                        {
                            "asset_kind": asset.asset_kind,
                            "asset_label": asset.asset_label,
                            "condition": asset.condition,
                            "observed_at": _iso(asset.observed_at),
                            "notes": asset.notes,
                            "age_years": asset.age_years,
                        }
                        for asset in site.assets
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "truncated": status.truncated}


def ticket_collection(tickets: OpenTickets) -> dict:
    features = [
        {
            "type": "Feature",
            "id": ticket.id,
            "geometry": {"type": "Point", "coordinates": [round(ticket.lon, 6), round(ticket.lat, 6)]},
            "properties": {
                "id": ticket.id,
                "title": ticket.title,
                "category": ticket.category,
                "priority": ticket.priority,
                "status": ticket.status,
                "overdue": ticket.overdue,
                "due_at": _iso(ticket.due_at),
                "created_at": _iso(ticket.created_at),
                "admin_unit_code": ticket.admin_unit_code,
                "admin_unit_name": ticket.admin_unit_name,
            },
        }
        for ticket in tickets.tickets
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": tickets.total,
        "overdue": tickets.overdue,
        "without_location": tickets.without_location,
        "truncated": tickets.truncated,
    }


def commune_geometry(commune, area_level: str) -> dict | None:
    if commune.geometry is None:
        return None
    geometry = commune.geometry
    if commune.geometry_source == "boundary":
        geometry = geometry.simplify(SIMPLIFY[area_level], preserve_topology=True)
    shape = mapping(geometry)
    return {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])}


def commune_collection(communes: CommuneMap, area_level: str) -> dict:
    features = [
        {
            "type": "Feature",
            "id": commune.code,
            "geometry": commune_geometry(commune, area_level),
            "properties": {
                **{name: _iso(value) if name == "last_visit_at" else value for name, value in commune.figures.items()},
                "code": commune.code,
                "name": commune.name,
                "value": commune.value(communes.indicator),
                "area_km2": commune.area_km2,
                "readings": commune.readings,
                "dead_spots": commune.dead_spots,
                "dead_spot_share": commune.dead_spot_share,
                "broken_equipment": commune.broken_equipment,
                "overdue_tickets": commune.overdue_tickets,
                "geometry_source": commune.geometry_source,
            },
        }
        for commune in communes.communes
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "indicator": communes.indicator,
        "indicator_label": INDICATORS[communes.indicator],
        "boundaries": communes.drawn_as("boundary"),
    }
