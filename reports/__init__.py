"""Indicators and investment rankings computed in SQL, their exports and report pages.

The computations (``indicators``, ``priorities``, ``plan`` and the topic modules) take a session and plain
arguments and never touch Flask; ``routes`` (the API) and ``pages`` (HTML) are the thin web shell."""


def register(app, api) -> None:
    from reports import dashboard, pages, routes
    from server.web.dashboard import register_tiles

    api.register_blueprint(routes.blp, url_prefix="/api/v1/reports")
    app.register_blueprint(pages.blp)
    register_tiles(dashboard.dashboard_tiles)
