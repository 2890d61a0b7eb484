"""Shared fixtures: one migrated database per backend for the session, one rolled-back transaction per test.

SpatiaLite always runs; PostGIS runs when FIELDOPS_TEST_DATABASE_URL names a database (CI always does).
"""

import os

import flask_migrate
import psycopg
import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from server import create_app
from server.auth import issue_token
from server.extensions import db as _db
from server.models import Site, Team, User
from server.services.admin_units import load_official_units
from server.services.operators import load_operators
from server.spatial import point

# No application made by a test starts the background job runner thread (tests run jobs themselves, and a runner
# thread left behind would share the session the ``db`` fixture binds to the test's connection).
os.environ.setdefault("FIELDOPS_JOBS_IN_PROCESS", "0")

BACKENDS = ["spatialite", "postgis"]

# Parallel runs (pytest-xdist, ``make test`` uses it): each worker process gets a database of its own, named after
# FIELDOPS_TEST_DATABASE_URL's and the worker (``fieldops_test_gw0``), created on first use and dropped when the
# worker ends. Rewriting the variable here, before any test reads it, also moves every database a test derives
# from it (``..._ogc``, ``..._field_app``) to the worker's name. Temporary folders are already per worker.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER and os.environ.get("FIELDOPS_TEST_DATABASE_URL"):
    _base_url = make_url(os.environ["FIELDOPS_TEST_DATABASE_URL"])
    _worker_url = _base_url.set(database=f"{_base_url.database}_{WORKER}")
    os.environ["FIELDOPS_TEST_DATABASE_URL"] = _worker_url.render_as_string(hide_password=False)

# The Redis server of the job-queue tests; each worker uses database numbers of its own (see ``redis_url``).
REDIS_URL = os.environ.get("FIELDOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DATABASES_PER_WORKER = 2


def redis_url(number: int) -> str:
    """Redis database ``number`` (1 or 2) of this test process: 1 and 2 without xdist, 3 and 4 on worker gw1..."""
    if not 1 <= number <= REDIS_DATABASES_PER_WORKER:
        raise ValueError(f"Redis database {number}: the tests have 1 to {REDIS_DATABASES_PER_WORKER}")
    index = int(WORKER.removeprefix("gw") or 0)
    return f"{REDIS_URL}/{index * REDIS_DATABASES_PER_WORKER + number}"


def postgres_conninfo(url: str) -> dict:
    sa_url = make_url(url)
    conninfo = dict(host=sa_url.host or "127.0.0.1", port=sa_url.port or 5432, user=sa_url.username or "postgres")
    if sa_url.password:
        conninfo["password"] = sa_url.password
    return conninfo


_created_databases: dict[str, dict] = {}  # made by this worker: dropped at its end


def reset_postgis_database(url: str) -> None:
    """Create the test database if needed and empty it; the migrations create PostGIS in it."""
    sa_url = make_url(url)
    conninfo = postgres_conninfo(url)
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sa_url.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{sa_url.database}"')
            if WORKER:
                _created_databases[sa_url.database] = conninfo
    with psycopg.connect(dbname=sa_url.database, autocommit=True, **conninfo) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def database_url(backend: str, tmp_path_factory) -> str:
    if backend == "postgis":
        url = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
        if not url:
            pytest.skip("PostGIS: set FIELDOPS_TEST_DATABASE_URL to run these tests against PostgreSQL")
        reset_postgis_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('spatialite') / 'test.sqlite'}"


def pytest_sessionfinish(session):
    """A worker drops the databases it created (connections left by servers in threads are ended first)."""
    while _created_databases:
        name, conninfo = _created_databases.popitem()
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Hashing a password at the production cost (argon2id, 64 MiB, three passes) takes a tenth of a second and
    far longer on a busy machine; tests sign in hundreds of times. What they check is what gets hashed, stored
    and verified, not the cost: in tests (this process, its threads) argon2id runs with its cheapest parameters.
    Yields the production hasher (tests/server/test_accounts.py checks its parameters)."""
    from argon2 import PasswordHasher, profiles

    from server import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    passwords._dummy_hash.cache_clear()
    yield production
    passwords._hasher = production
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def _apps(tmp_path_factory):
    """The migrated application of each backend, made once per test process on first use. Kept apart from ``app``
    so that a process receiving tests of both backends in turn (xdist) switches between them without rebuilding."""
    applications = {}

    def get(backend: str):
        if backend not in applications:
            url = database_url(backend, tmp_path_factory)
            application = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SECRET_KEY": "test-secret",
                    "TESTING": True,
                    "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
                }
            )
            with application.app_context():
                flask_migrate.upgrade()
                load_official_units(_db.session)
                load_operators(_db.session)
                _db.session.commit()
                _db.session.remove()
            applications[backend] = application
        return applications[backend]

    yield get
    for application in applications.values():
        with application.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, _apps):
    return _apps(request.param)


@pytest.fixture
def db(app):
    """A session inside an outer transaction that is rolled back after the test."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


class FreshRequestClient(FlaskClient):
    """Requests of a test share the test's application context, hence one ``g``; in a server each request has
    its own. Dropping what a request caches there (the signed-in user, the CSRF token) keeps requests apart. As
    a server does, the client closes each response before going on (what runs after the answer has run)."""

    PER_REQUEST = ("_login_user", "csrf_token", "current_user", "current_scope")

    def open(self, *args, **kwargs):
        if has_app_context():  # clients in other threads have no context to share
            for name in self.PER_REQUEST:
                g.pop(name, None)
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


# Every app's test client (apps made by helpers included) closes each answer before returning, as servers do, so
# what runs after an answer (the sync's rollups and dead-spot rule) has run when a test reads the database.
Flask.test_client_class = FreshRequestClient


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def make_team(db):
    counter = iter(range(1, 10_000))

    def make(jurisdiction=("15",), kind="working_group", name=None) -> Team:
        from server.auth import Scope
        from server.services.teams import create_team

        team = create_team(
            db.session,
            Scope(everywhere=True),
            name=name or f"team {next(counter)}",
            kind=kind,
            jurisdiction=list(jurisdiction),
        )
        return team

    return make


@pytest.fixture
def make_user(db, make_team):
    """Builds a user and returns (user, auth headers)."""
    counter = iter(range(1, 10_000))

    def make(role="field_member", team=None, jurisdiction_code=None, province="15") -> tuple[User, dict]:
        if role in ("field_member", "team_lead") and team is None:
            team = make_team(jurisdiction=[province])
        if role == "coordinator" and jurisdiction_code is None and team is None:
            jurisdiction_code = province
        user = User(
            username=f"user{next(counter)}",
            role=role,
            team=team,
            jurisdiction_code=jurisdiction_code,
        )
        db.session.add(user)
        db.session.flush()
        _, token = issue_token(db.session, user, "test")
        return user, {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def make_site(db):
    def make(commune="04603", lat=21.72, lon=104.91, kind="village", name="Thôn 1") -> Site:
        from server.models import AdminUnit

        unit = db.session.get(AdminUnit, commune)
        site = Site(
            name=name, kind=kind, geom=point(lon, lat), admin_unit_code=unit.code, province_code=unit.province_code
        )
        db.session.add(site)
        db.session.flush()
        return site

    return make


@pytest.fixture
def count_queries(db):
    """Counts SQL statements run inside the ``with`` block: ``with count_queries() as n: ...; n[0]``."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = [0]

        def before(*_args, **_kwargs):
            counter[0] += 1

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def committed_member(app):
    """A team, a field member with a token and a site in commune 04603, committed for real (concurrent requests
    need separate connections); yields ``headers`` and ``site_id``. Afterwards the member's records, every ticket
    (only such tests commit any) and the rollups of the removed records are gone."""
    import types

    from server.auth import Scope
    from server.indicators import rollups
    from server.models import RECORD_MODELS, Ticket, TicketEvent
    from server.services.teams import create_team

    with app.app_context():
        team = create_team(
            _db.session, Scope(everywhere=True), name="concurrency team", kind="working_group", jurisdiction=["15"]
        )
        user = User(username="concurrency_member", role="field_member", team=team)
        site = Site(
            name="Thôn 9", kind="village", geom=point(104.92, 21.72), admin_unit_code="04603", province_code="15"
        )
        _db.session.add_all([user, site])
        _db.session.flush()
        _, token = issue_token(_db.session, user)
        _db.session.commit()
        team_id, user_id, site_id = team.id, user.id, site.id
        _db.session.remove()
    yield types.SimpleNamespace(headers={"Authorization": f"Bearer {token}"}, site_id=site_id)
    with app.app_context():
        _db.session.execute(TicketEvent.__table__.delete())
        _db.session.execute(Ticket.__table__.delete())
        for model in RECORD_MODELS.values():
            _db.session.execute(model.__table__.delete().where(model.author_id == user_id))
        _db.session.execute(Site.__table__.delete().where(Site.id == site_id))
        _db.session.execute(User.__table__.delete().where(User.id == user_id))
        _db.session.execute(Team.__table__.delete().where(Team.id == team_id))
        rollups.rebuild(_db.session)
        _db.session.commit()
        _db.session.remove()


@pytest.fixture
def two_provinces(client, db, make_team, make_user, make_site):
    """Lào Cai (15) and Hà Nội (01), each with a team, its lead and member, a site, a visit with a photo and an
    open ticket; a coordinator of Lào Cai; an admin. Used by the access tests (grants and foreign references)."""
    import io
    import types

    from server.auth import scope_for
    from server.services import tickets
    from server.services.calendar import WorkingCalendar
    from tests.records_factory import visit

    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"

    def province(code: str, commune: str, lat: float, lon: float) -> types.SimpleNamespace:
        team = make_team([code], name=f"team {code}")
        lead, lead_headers = make_user("team_lead", team=team)
        member, member_headers = make_user("field_member", team=team)
        site = make_site(commune=commune, lat=lat, lon=lon, kind="commune_service_centre", name=f"Site {commune}")
        record = visit(lat=lat, lon=lon, site_id=site.id)
        answer = client.post("/api/v1/sync", json={"records": [record]}, headers=member_headers).get_json()
        assert answer["created"] == 1, answer
        photo = client.post(
            f"/api/v1/visits/{record['id']}/attachments",
            data={"file": (io.BytesIO(jpeg), "photo.jpg")},
            headers=member_headers,
            content_type="multipart/form-data",
        )
        assert photo.status_code == 201, photo.get_data(as_text=True)
        ticket = tickets.create_ticket(
            db.session,
            lead,
            scope_for(lead),
            title=f"Router down in {commune}",
            category="equipment",
            admin_unit_code=commune,
            calendar=WorkingCalendar.load(db.session),
        )
        return types.SimpleNamespace(
            code=code,
            commune=commune,
            team=team,
            lead=lead,
            lead_headers=lead_headers,
            member=member,
            member_headers=member_headers,
            site=site,
            visit_id=record["id"],
            attachment_id=photo.get_json()["id"],
            ticket=ticket,
        )

    home = province("15", "04603", 21.72, 104.92)
    away = province("01", "00070", 21.03, 105.85)
    coordinator, coordinator_headers = make_user("coordinator", jurisdiction_code="15")
    admin, admin_headers = make_user("admin")
    return types.SimpleNamespace(
        home=home,
        away=away,
        coordinator=coordinator,
        coordinator_headers=coordinator_headers,
        admin=admin,
        admin_headers=admin_headers,
    )


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's, through playwright) per browser test module."""
    from tests.browser import chromium_browser

    with chromium_browser() as chromium:
        yield chromium
