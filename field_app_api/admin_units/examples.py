"""Examples of the admin unit and operator endpoints for the OpenAPI document (a test validates each against its
schema). Codes and names are the official ones."""

PROVINCE = {
    "code": "15", "name": "Tỉnh Lào Cai", "codename": "lao_cai", "division_type": "tỉnh", "level": "province",
    "parent_code": None, "area_km2": 13149.88, "population": None, "centroid": {"lat": 22.0605, "lon": 104.347},
    "has_boundary": False, "historical": False, "valid_from": "2025-07-01", "valid_to": None,
}  # fmt: skip
COMMUNE = {
    **PROVINCE, "code": "04603", "name": "Xã Tà Xi Láng", "codename": "xa_ta_xi_lang", "division_type": "xã",
    "level": "commune", "parent_code": "15", "area_km2": 88.5, "centroid": {"lat": 21.7198, "lon": 104.9163},
}  # fmt: skip
UNITS = {"items": [COMMUNE], "next_cursor": "WyIwNDYwMyJd"}
UNITS_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "id": "04603", "geometry": {"type": "Point", "coordinates": [104.9163, 21.7198]},
         "properties": COMMUNE},
    ],
    "next_cursor": "WyIwNDYwMyJd",
}  # fmt: skip
OPERATORS = {
    "items": [
        {"code": "452-01", "name": "MobiFone", "company": "MobiFone Corporation", "operational": True},
        {"code": "452-04", "name": "Viettel", "company": "Viettel Group", "operational": True},
    ],
    "next_cursor": None,
}
