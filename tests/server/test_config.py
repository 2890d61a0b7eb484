import pytest
from sqlalchemy import text

from server import create_app
from server.config import load_config, normalise_database_url
from server.errors import ConfigError


def test_embedded_defaults(tmp_path):
    """With no settings the service uses a SpatiaLite file and a persisted random key under instance/."""
    config = load_config(tmp_path, env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'fieldops.sqlite'}"
    assert config["SECRET_KEY"] == load_config(tmp_path, env={})["SECRET_KEY"]
    assert len(config["SECRET_KEY"]) == 64


def test_production_needs_a_secret_key(tmp_path):
    """Production mode refuses to start without SECRET_KEY."""
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, env={"FIELDOPS_ENV": "production"})


def test_unsupported_database_is_refused(tmp_path):
    """Only SpatiaLite files and PostgreSQL URLs are accepted."""
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(tmp_path, env={"DATABASE_URL": "mysql://x/y"})


def test_bad_number_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="FIELDOPS_MAX_CONTENT_LENGTH"):
        load_config(tmp_path, env={"FIELDOPS_MAX_CONTENT_LENGTH": "lots"})


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


def test_missing_spatialite_says_what_to_install(tmp_path, monkeypatch):
    """When the SpatiaLite module cannot be loaded, start-up fails naming the package to install."""
    monkeypatch.setenv("SPATIALITE_LIBRARY_PATH", str(tmp_path / "no_such_module"))
    with pytest.raises(ConfigError, match="libsqlite3-mod-spatialite"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k"})


def test_unreachable_postgres_is_a_clear_error(tmp_path):
    """A PostgreSQL URL that cannot be reached fails at start-up, without leaking the password."""
    url = "postgresql+psycopg://someone:hunter2@127.0.0.1:1/nothing"
    with pytest.raises(ConfigError, match="Cannot connect") as info:
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k"})
    assert "hunter2" not in str(info.value)


def test_postgres_connections_run_without_jit(db):
    """The service's PostgreSQL connections have JIT compilation off (it cost seconds per report query)."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting")
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
