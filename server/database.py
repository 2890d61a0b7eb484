"""The two spatial backends behind one ``DATABASE_URL``: SpatiaLite (embedded) and PostGIS."""

import os

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from server.errors import ConfigError

SPATIALITE_HELP = (
    "SpatiaLite could not be loaded. Install the SQLite module (Debian/Ubuntu: "
    "`apt-get install libsqlite3-mod-spatialite`) and the `pysqlite3-binary` Python package, "
    "or point DATABASE_URL at PostgreSQL with PostGIS."
)


def _sqlite_module():
    try:
        import pysqlite3.dbapi2 as module
    except ImportError:
        import sqlite3 as module
    return module


def engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        return {"module": _sqlite_module(), "connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def _load_spatialite(dbapi_conn, _record) -> None:
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    # SQLAlchemy drives transactions itself (BEGIN below) so SAVEPOINTs work with pysqlite.
    dbapi_conn.isolation_level = None
    try:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(os.environ["SPATIALITE_LIBRARY_PATH"])
        dbapi_conn.enable_load_extension(False)
    except Exception as exc:
        raise ConfigError(f"{SPATIALITE_HELP} ({exc})") from exc
    if dbapi_conn.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
        dbapi_conn.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA journal_mode = WAL")
    dbapi_conn.execute("PRAGMA busy_timeout = 30000")


def _begin_sqlite(conn) -> None:
    # IMMEDIATE takes the write lock up front: two deferred transactions that both read and then write
    # would fail with "database is locked" instead of waiting for each other (busy_timeout).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(engine: Engine) -> None:
    """Attach the per-connection set-up the backend needs."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _load_spatialite)
        event.listen(engine, "begin", _begin_sqlite)


def check_database(engine: Engine) -> None:
    """Fail at start-up with a message that says what to install or fix."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
                available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
                if not installed and not available:
                    raise ConfigError(
                        f"Database {engine.url.database!r} lacks PostGIS and the server cannot provide it: "
                        "install it (Debian: `apt-get install postgresql-15-postgis-3`), "
                        "then run `flask --app wsgi db upgrade`, which creates the extension."
                    )
            else:
                conn.execute(text("SELECT spatialite_version()"))
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"Cannot connect to the database at {engine.url.render_as_string()}: {exc}") from exc


def is_postgis(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    return bind.dialect.name == "postgresql"
