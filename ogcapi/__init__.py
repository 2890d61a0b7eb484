"""OGC API - Features (Part 1 Core with GeoJSON, Part 2 CRS, Part 3 queryables) over fieldops' own queries, at
``/api/v1/ogc``, for GIS clients (QGIS, ArcGIS, GDAL's OAPIF driver) with the API's bearer token.

Setting (environment, read when the app is built): ``FIELDOPS_OGC_DEFAULT_LIMIT`` (``OGC_DEFAULT_LIMIT``), the
features per page when a request names no ``limit`` (default 100); the maximum is ``FIELDOPS_PAGE_SIZE_MAX``.
"""

import os


def register(app, api) -> None:
    from ogcapi import routes
    from server.errors import ConfigError

    raw = os.environ.get("FIELDOPS_OGC_DEFAULT_LIMIT") or "100"
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError("FIELDOPS_OGC_DEFAULT_LIMIT must be a whole number of at least 1.")
    app.config.setdefault("OGC_DEFAULT_LIMIT", int(raw))
    app.register_blueprint(routes.blp)
