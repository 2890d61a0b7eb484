"""Coverage evidence packages: for a province, a period and an operator, the measured figures per H3 cell and
per commune, which cells qualify as evidence, and a zip (GeoJSON, CSV, a Vietnamese HTML summary with a map, the
method, SHA-256 manifest) that a province can put before an operator or the ministry.

Settings (environment, read when the app is built): ``FIELDOPS_EVIDENCE_MIN_READINGS`` (default 20),
``FIELDOPS_EVIDENCE_MIN_DAYS`` (3) and ``FIELDOPS_EVIDENCE_MIN_TEAMS`` (2): a cell qualifies with at least that
many readings on that many distinct days by that many teams.
"""

import os

DEFAULTS = {"EVIDENCE_MIN_READINGS": 20, "EVIDENCE_MIN_DAYS": 3, "EVIDENCE_MIN_TEAMS": 2}


def register(app, api) -> None:
    from evidence import pages, routes
    from server.errors import ConfigError

    for name, default in DEFAULTS.items():
        raw = os.environ.get(f"FIELDOPS_{name}") or str(default)
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"FIELDOPS_{name} must be a whole number of at least 1.")
        app.config.setdefault(name, int(raw))
    api.register_blueprint(routes.blp, url_prefix="/api/v1")
    app.register_blueprint(pages.blp)
