"""Examples of the site endpoints' requests and answers for the OpenAPI document."""

CREATE = {
    "name": "Trung tâm phục vụ hành chính công xã Tà Xi Láng",
    "kind": "commune_service_centre",
    "lat": 21.72,
    "lon": 104.92,
    "admin_unit_code": "04603",
    "attributes": {"opening_hours": "7:30-17:00", "counters": 4},
}
SITE = {
    "id": 12, **CREATE, "province_code": "15", "created_at": "2026-10-02T03:00:00+00:00",
    "updated_at": "2026-10-02T03:00:00+00:00", "warnings": None,
}  # fmt: skip
LIST = {"items": [SITE], "next_cursor": "WzEyXQ"}
PATCH = {"name": "Trung tâm phục vụ hành chính công xã Tà Xi Láng (cơ sở 2)", "lat": 21.7215, "lon": 104.9207}
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": SITE["id"],
            "geometry": {"type": "Point", "coordinates": [SITE["lon"], SITE["lat"]]},
            "properties": SITE,
        }
    ],
    "next_cursor": LIST["next_cursor"],
}
