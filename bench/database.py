"""Database set-up shared by the benchmarks: each rebuilds a PostgreSQL database of its own."""

import psycopg
from sqlalchemy.engine import make_url


def conninfo(url: str, database: str | None = None) -> str:
    """A libpq connection string for a SQLAlchemy URL (optionally for another database on the same server)."""
    sa_url = make_url(url).set(drivername="postgresql")
    if database is not None:
        sa_url = sa_url.set(database=database)
    return sa_url.render_as_string(hide_password=False)


def rebuild(url: str, required_word: str = "bench") -> None:
    """Create the database if needed and drop its public schema; the migrations build the rest. Refuses a
    database whose name lacks ``required_word``, so a typo cannot empty a real database."""
    name = make_url(url).database or ""
    if required_word not in name:
        raise SystemExit(f"Refusing to rebuild database {name!r}: its name must contain {required_word!r}.")
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
