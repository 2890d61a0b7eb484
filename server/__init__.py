"""fieldops: the service behind field teams' phones, maps, ticket queues and investment reports."""

import os
from pathlib import Path

from flask import Flask
from flask_babel import gettext

from server.config import load_config
from server.limits import guard


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"), instance_relative_config=True)
    configure_app(app, config)
    configure_logging(app)
    configure_pages(app)
    configure_hardening(app)
    configure_db(app)
    configure_api(app)
    configure_cli(app)
    configure_jobs(app)
    configure_assets(app)
    configure_storage(app)
    guard(app)
    return app


def configure_app(app: Flask, overrides: dict | None) -> None:
    overrides = overrides or {}
    env = dict(os.environ)
    if "SQLALCHEMY_DATABASE_URI" in overrides:
        env["DATABASE_URL"] = overrides["SQLALCHEMY_DATABASE_URI"]
    if "SECRET_KEY" in overrides:
        env["SECRET_KEY"] = overrides["SECRET_KEY"]
    settings = load_config(app.instance_path, env=env)
    settings.update(overrides)
    app.config.update(settings)
    app.config.update(
        API_TITLE="fieldops API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=swagger_ui_url(),
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=app.config["FIELDOPS_ENV"] == "production",  # production runs behind HTTPS
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def configure_logging(app: Flask) -> None:
    import logging

    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def configure_pages(app: Flask) -> None:
    """Languages (Flask-Babel, catalogues compiled at start) and the shell every page shares."""
    from server.i18n import configure_i18n
    from server.web import shell

    configure_i18n(app)
    shell.register(app)


def configure_hardening(app: Flask) -> None:
    """Request ids and logs first (they time everything after), then compression (a gzip request body is
    inflated before any other hook reads it), the request limits (the depth of the inflated body), security
    headers and rate limits, then the health probes."""
    from server import health
    from server.compression import configure_compression
    from server.limits import configure_limits
    from server.request_log import configure_request_log
    from server.security import configure_security

    configure_request_log(app)
    configure_compression(app)
    configure_limits(app)
    configure_security(app)
    app.register_blueprint(health.blp)


def configure_db(app: Flask) -> None:
    from server.database import check_database, configure_engine, engine_options
    from server.extensions import db, migrate

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    import server.models  # noqa: F401  (register the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    with app.app_context():
        configure_engine(db.engine)
        if app.config["STARTUP_CHECK"]:
            check_database(db.engine)


def configure_api(app: Flask) -> None:
    from server.errors import register_error_handlers
    from server.extensions import ProblemApi

    api = ProblemApi(app)
    register_error_handlers(app)

    import field_app_api

    field_app_api.register(api)
    _serve_swagger_assets(app)

    from server.web import account, dashboard, notifications, people, queues, session, tickets, visit_plans

    session.configure_sessions(app)
    app.register_blueprint(session.blp)
    app.register_blueprint(account.blp)
    app.register_blueprint(people.blp)
    app.register_blueprint(queues.blp)
    app.register_blueprint(dashboard.blp)
    app.register_blueprint(tickets.blp)
    app.register_blueprint(visit_plans.blp)
    app.register_blueprint(notifications.blp)
    configure_feature_packages(app, api)


# Feature packages that build on the core. Each may define ``register(app, api)`` (blueprints, changes-feed
# entries, CLI commands) and ``load_demo(session, seed)`` (its part of the synthetic demo data).
FEATURE_PACKAGES = ("maps", "reports", "surveys", "field_app", "ogcapi", "evidence")


def feature_modules():
    import importlib

    return [importlib.import_module(name) for name in FEATURE_PACKAGES]


def configure_feature_packages(app: Flask, api) -> None:
    for module in feature_modules():
        register = getattr(module, "register", None)
        if register is not None:
            register(app, api)


# The files the interactive docs page loads (flask-smorest's Swagger UI template names them).
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-standalone-preset.js", "swagger-ui-bundle.js")
SWAGGER_UI_ASSETS = "/api/v1/docs/assets"


def swagger_ui_url() -> str:
    """The folder URL of the Swagger UI files, named after the hash of their content (see server.assets)."""
    import swagger_ui_bundle

    from server.assets import bundle_hash

    folder = Path(swagger_ui_bundle.swagger_ui_path)
    return f"{SWAGGER_UI_ASSETS}/{bundle_hash(folder / name for name in SWAGGER_UI_FILES)}/"


def _serve_swagger_assets(app: Flask) -> None:
    """The interactive docs use Swagger UI files installed with the package, not a CDN."""
    import swagger_ui_bundle
    from werkzeug.security import safe_join

    from server.assets import send_asset
    from server.errors import NotFound

    @app.get(f"{SWAGGER_UI_ASSETS}/<version>/<path:filename>")
    def swagger_ui_assets(version, filename):
        path = safe_join(swagger_ui_bundle.swagger_ui_path, filename)
        if path is None or not Path(path).is_file():
            raise NotFound(gettext("No Swagger UI file %(name)s.", name=filename))
        return send_asset(Path(path), immutable=swagger_ui_url() == f"{SWAGGER_UI_ASSETS}/{version}/")


def configure_assets(app: Flask) -> None:
    """Content-hashed URLs and long cache lifetimes for static files; last, once every blueprint is in."""
    from server.assets import configure_assets as configure

    configure(app)


def configure_storage(app: Flask) -> None:
    """Where attachment bytes live (``server.storage``)."""
    from server.storage import configure_storage as configure

    configure(app)


def configure_jobs(app: Flask) -> None:
    """The job queue, or without a broker the runner thread of this process (see ``server.jobs``)."""
    from server.jobs import configure_jobs as configure

    configure(app)


def configure_cli(app: Flask) -> None:
    from server.cli import register_commands

    register_commands(app)
