"""The OpenAPI 3.0 description of the OGC API endpoints (the landing page's ``service-desc``). GIS clients read
the ``limit`` parameter's maximum from it to choose their page size."""

from ogcapi import crs

FEATURES = {"$ref": "#/components/schemas/FeatureCollection"}
PROBLEM = {"description": "A problem document", "content": {"application/problem+json": {"schema": {"type": "object"}}}}


def _parameter(name: str, schema: dict, description: str, location: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": location, "required": required, "schema": schema, "description": description}


def _get(summary: str, parameters: list, content_type: str, schema: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "security": [{"bearerAuth": []}],
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, "content": {content_type: {"schema": schema}}},
                "400": PROBLEM,
                "401": PROBLEM,
                "404": PROBLEM,
            },
        }
    }


def document(collections: dict, config: dict) -> dict:
    crs_schema = {"type": "string", "enum": list(crs.SUPPORTED), "default": crs.CRS84}
    common = [
        _parameter("f", {"type": "string", "enum": ["json", "geojson"]}, "Output format (JSON only)."),
    ]
    item_parameters = [
        _parameter(
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": config["PAGE_SIZE_MAX"],
                "default": config["OGC_DEFAULT_LIMIT"],
            },
            "Features per page; a larger value is read as the maximum.",
        ),
        _parameter(
            "bbox",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "Lower corner, upper corner (in bbox-crs).",
        ),
        _parameter("bbox-crs", crs_schema, "The CRS of bbox."),
        _parameter("datetime", {"type": "string"}, "An RFC 3339 instant or interval (.. for an open end)."),
        _parameter("crs", crs_schema, "The CRS of the response's geometries."),
        _parameter("after", {"type": "string"}, "Opaque position: use the next link as it came."),
    ]
    paths = {
        "/": _get("Landing page", common, "application/json", {"type": "object"}),
        "/conformance": _get("Conformance classes", common, "application/json", {"type": "object"}),
        "/collections": _get("Collections", common, "application/json", {"type": "object"}),
    }
    for collection in collections.values():
        base = f"/collections/{collection.id}"
        filters = [
            _parameter(name, {"type": "string"}, f"Property filter {name}") for name in collection.queryable_names
        ]
        paths[base] = _get(str(collection.title), common, "application/json", {"type": "object"})
        paths[f"{base}/queryables"] = _get("Queryables", common, "application/schema+json", {"type": "object"})
        paths[f"{base}/items"] = _get(
            str(collection.description), [*common, *item_parameters, *filters], "application/geo+json", FEATURES
        )
        paths[f"{base}/items/{{featureId}}"] = _get(
            "One feature",
            [
                _parameter("featureId", {"type": "string"}, "Feature id", location="path", required=True),
                *common,
                _parameter("crs", crs_schema, "The CRS of the geometry."),
            ],
            "application/geo+json",
            {"type": "object"},
        )
    return {
        "openapi": "3.0.3",
        "info": {"title": "fieldops OGC API - Features", "version": "1.0.0"},
        "servers": [{"url": "/api/v1/ogc"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "FeatureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {"type": "array", "items": {"type": "object"}},
                        "links": {"type": "array", "items": {"type": "object"}},
                        "numberReturned": {"type": "integer"},
                        "timeStamp": {"type": "string", "format": "date-time"},
                    },
                }
            },
        },
    }
