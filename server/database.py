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
    """Per backend. Statement parameters stay out of error messages and logs (``hide_parameters``): they can
    hold token digests and field notes. On PostgreSQL a dead pooled connection is replaced before use
    (``pool_pre_ping``) and a server that does not answer fails a connection attempt after 5 s. JIT compilation is
    off for the service's connections: the planner's estimates for the reports' correlated subqueries and window
    functions pass ``jit_above_cost`` and compiling then took seconds (5 s of a 5.6 s ticket query at one million
    readings) for statements that run in a tenth of a second."""
    if database_url.startswith("sqlite"):
        return {
            "module": _sqlite_module(),
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "hide_parameters": True,
        }
    return {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "connect_args": {"connect_timeout": 5, "options": "-c jit=off"},
    }


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


def ping(engine: Engine, timeout_seconds: float) -> None:
    """``SELECT 1`` on a pooled connection, bounded by ``timeout_seconds`` on PostgreSQL; raises if the database
    does not answer. Uses the DB-API connection so SQLite's ``BEGIN IMMEDIATE`` does not queue behind writers."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_seconds * 1000))}")
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
        if engine.dialect.name == "postgresql":
            raw.rollback()
    finally:
        raw.close()


def insert_new_rows(
    session,
    table,
    rows: list[dict],
    conflict_column: str = "id",
    conflict_where=None,
    returning: tuple[str, ...] = ("id",),
) -> list:
    """Insert rows, skipping those that conflict on ``conflict_column`` (optionally a partial unique index,
    ``conflict_where``); returns the ``returning`` columns of the rows actually inserted.

    On PostgreSQL the rows travel as one array per column through ``unnest``: a short fixed statement that
    the driver parses once, instead of a multi-row VALUES list with tens of thousands of parameters.
    Missing keys take the column's scalar default (else NULL)."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql, sqlite

    if not rows:
        return []
    names = [column.name for column in table.c if any(column.name in row for row in rows)]
    defaults = {
        column.name: column.default.arg if column.default is not None and column.default.is_scalar else None
        for column in table.c
    }
    if session.get_bind().dialect.name != "postgresql":
        values = [{name: row.get(name, defaults[name]) for name in names} for row in rows]
        statement = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=[table.c[conflict_column]], index_where=conflict_where
        )
        return list(session.execute(statement.returning(*(table.c[name] for name in returning)), values))
    dialect = postgresql.dialect()
    casts, selected, params = [], [], {}
    for position, name in enumerate(names):
        column = table.c[name]
        is_geometry = column.type.__class__.__name__ == "Geometry"
        sql_type = "text" if is_geometry else column.type.compile(dialect=dialect)
        casts.append(f"CAST(:p{position} AS {sql_type}[])")
        selected.append(f"ST_GeomFromEWKT({name})" if is_geometry else name)
        params[f"p{position}"] = [row.get(name, defaults[name]) for row in rows]
    where = ""
    if conflict_where is not None:
        where = " WHERE " + str(conflict_where.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(casts)}) AS rows({', '.join(names)}) "
        f"ON CONFLICT ({conflict_column}){where} DO NOTHING RETURNING {', '.join(returning)}"
    )
    return list(session.execute(text(sql), params))


def one_of(session, column, values):
    """``column IN (values)``: on PostgreSQL one array parameter (``= ANY``), so the statement is the same text
    whatever the count and the driver parses it once (an IN list of a few hundred values cost more to build
    than to run); on SQLite the IN list."""
    from sqlalchemy import any_, cast
    from sqlalchemy.dialects.postgresql import ARRAY

    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(values, ARRAY(column.type)))
    return column.in_(values)
