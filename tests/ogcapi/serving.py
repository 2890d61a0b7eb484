"""The app a real OGC client reads over HTTP in these tests: its own database per backend (a SpatiaLite file, or
FIELDOPS_TEST_DATABASE_URL's name with ``_<name>``), migrated, with the official units and operators loaded."""

import os

import flask_migrate
import pytest
from sqlalchemy.engine import make_url

from server import create_app
from server.extensions import db
from server.services.admin_units import load_official_units
from server.services.operators import load_operators
from tests.conftest import reset_postgis_database


def database_url(backend: str, folder, name: str) -> str:
    if backend == "spatialite":
        return f"sqlite:///{folder / f'{name}.sqlite'}"
    base = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
    if not base:
        pytest.skip(f"PostGIS: set FIELDOPS_TEST_DATABASE_URL to run the {name} test against PostgreSQL")
    url = make_url(base)
    url = url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    reset_postgis_database(url)
    return url


def app_with_units(backend: str, tmp_path_factory, name: str):
    """A new app on its own database of ``backend``, migrated, official units and operators loaded."""
    folder = tmp_path_factory.mktemp(name)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(backend, folder, name),
            "SECRET_KEY": f"{name}-test",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "REQUEST_LOG": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_official_units(db.session)
        load_operators(db.session)
        db.session.commit()
    return app
