"""Folium map builders over database aggregates, and the blueprints serving map pages and their GeoJSON.

Settings (environment, read when the app is built; overridable in ``create_app(config)``):
``FIELDOPS_MAP_TILES`` (``MAP_TILES``): ``osm`` (default), ``none``, or a tile URL template such as
``http://tiles.example.lan/{z}/{x}/{y}.png``; ``FIELDOPS_MAP_TILES_ATTRIBUTION`` (``MAP_TILES_ATTRIBUTION``): the
credit line shown for a custom tile server.
"""

import os


def register(app, api) -> None:
    from maps import pages, routes
    from maps.builders import check_tiles
    from server.assets import register_hashed_endpoint
    from server.errors import ConfigError

    app.config.setdefault("MAP_TILES", os.environ.get("FIELDOPS_MAP_TILES") or "osm")
    app.config.setdefault("MAP_TILES_ATTRIBUTION", os.environ.get("FIELDOPS_MAP_TILES_ATTRIBUTION") or "")
    try:
        check_tiles(app.config["MAP_TILES"])
    except ValueError as exc:
        raise ConfigError(f"FIELDOPS_MAP_TILES: {exc}") from exc
    _allow_tile_images(app)
    api.register_blueprint(routes.blp, url_prefix=f"/api/v1{routes.blp.url_prefix}")
    app.register_blueprint(pages.blp)
    register_hashed_endpoint(app, "maps.asset", pages.asset_path)


def _allow_tile_images(app) -> None:
    """Where the app sends a Content-Security-Policy (``CSP_IMG_SOURCES``), let map pages load the tiles."""
    from urllib.parse import urlsplit

    sources = app.config.get("CSP_IMG_SOURCES")
    tiles = app.config["MAP_TILES"]
    if not isinstance(sources, list) or tiles == "none" or tiles.startswith("/"):
        return
    if tiles == "osm":
        origin = "https://tile.openstreetmap.org"
    else:
        parts = urlsplit(tiles.replace("{s}", "*"))
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin not in sources:
        app.config["CSP_IMG_SOURCES"] = [*sources, origin]
