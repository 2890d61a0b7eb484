"""Migration 0006 gives tickets escalated (or opened at province level) before it their commune back, from
their events, site or source record, and fills in the owner unit and the reporting team."""

import os
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import flask_migrate
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server import create_app
from server.extensions import db
from server.models import Finding, Site, Team
from server.spatial import point
from tests.conftest import BACKENDS, reset_postgis_database


def _drop_database(url: str) -> None:
    sa_url = make_url(url)
    conninfo = dict(host=sa_url.host or "127.0.0.1", port=sa_url.port or 5432, user=sa_url.username or "postgres")
    if sa_url.password:
        conninfo["password"] = sa_url.password
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{sa_url.database}"')


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path):
    """An app on a database of its own, not yet migrated (PostGIS: the test database's name + ``_migration``)."""
    if request.param == "postgis":
        base = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
        if not base:
            pytest.skip("PostGIS: set FIELDOPS_TEST_DATABASE_URL to run these tests against PostgreSQL")
        sa_url = make_url(base)
        url = sa_url.set(database=f"{sa_url.database}_migration").render_as_string(hide_password=False)
        reset_postgis_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'migration.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret", "TESTING": True})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgis":
        _drop_database(url)


TICKETS = sa.table(
    "tickets",
    *(
        sa.column(name)
        for name in (
            "id title description category priority status owning_level admin_unit_code province_code team_id "
            "site_id signal_count due_at created_at updated_at resolution version"
        ).split()
    ),
)
EVENTS = sa.table(
    "ticket_events",
    sa.column("ticket_id"),
    sa.column("at"),
    sa.column("action"),
    sa.column("changes", sa.JSON),
    sa.column("comment"),
    sa.column("source_kind"),
    sa.column("source_id"),
)


def test_upgrade_restores_the_commune_and_fills_owner_and_reporter(empty_app):
    """An escalated ticket gets its commune from its escalation event and its reporting team from the finding
    that opened it; a province-level ticket its site's commune; a commune ticket keeps what it had."""
    now = datetime.now(UTC)
    with empty_app.app_context():
        flask_migrate.upgrade(revision="0004")
        # The two units the tickets name, written as the 0004 schema holds them (the models are of the newest).
        db.session.execute(
            sa.text(
                "INSERT INTO admin_units (code, level, name, codename, division_type, parent_code, updated_at) "
                "VALUES (:code, :level, :name, :codename, :division_type, :parent_code, :at)"
            ),
            [
                dict(code="15", level="province", name="Tỉnh Lào Cai", codename="tinh_lao_cai",
                     division_type="tỉnh", parent_code=None, at=now),
                dict(code="04603", level="commune", name="Xã Bảo Yên", codename="xa_bao_yen",
                     division_type="xã", parent_code="15", at=now),
            ],
        )  # fmt: skip
        team = Team(name="Tổ công tác", kind="working_group")
        site = Site(name="Trạm y tế", kind="health_station", geom=point(104.92, 21.72))
        site.admin_unit_code, site.province_code = "04603", "15"
        db.session.add_all([team, site])
        db.session.flush()
        finding = SimpleNamespace(id=uuid.uuid4())
        # Only the columns the 0004 schema has (the model is of the newest schema).
        db.session.execute(
            sa.insert(Finding.__table__).values(
                id=finding.id,
                observed_at=now,
                geom=point(104.92, 21.72),
                h3_cell="88415d6527fffff",
                team_id=team.id,
                admin_unit_code="04603",
                province_code="15",
                category="software",
                severity="high",
                description="Cổng dịch vụ công không truy cập được",
                beyond_local_authority=True,
                received_at=now,
            )
        )
        common = dict(description="", category="software", priority="high", signal_count=1, resolution="", version=2)
        times = dict(due_at=now + timedelta(days=5), created_at=now, updated_at=now)
        db.session.execute(
            sa.insert(TICKETS),
            [
                dict(id=1, title="escalated", status="escalated", owning_level="province", admin_unit_code="15",
                     province_code="15", team_id=team.id, site_id=None, **common, **times),
                dict(id=2, title="province-level", status="open", owning_level="province", admin_unit_code="15",
                     province_code="15", team_id=None, site_id=site.id, **common, **times),
                dict(id=3, title="commune", status="open", owning_level="commune", admin_unit_code="04603",
                     province_code="15", team_id=team.id, site_id=None, **common, **times),
            ],
        )  # fmt: skip
        event = dict(at=now, comment="", changes={}, source_kind=None, source_id=None)
        db.session.execute(
            sa.insert(EVENTS),
            [
                {**event, "ticket_id": 1, "action": "created", "source_kind": "finding", "source_id": str(finding.id)},
                {
                    **event,
                    "ticket_id": 1,
                    "action": "escalated",
                    "changes": {
                        "before": {"status": "open", "owning_level": "commune", "admin_unit_code": "04603"},
                        "after": {"status": "escalated", "owning_level": "province", "admin_unit_code": "15"},
                    },
                },
                {**event, "ticket_id": 2, "action": "created"},
                {**event, "ticket_id": 3, "action": "created"},
            ],
        )
        team_id = team.id
        db.session.commit()
        db.session.remove()

        flask_migrate.upgrade()

        rows = db.session.execute(
            sa.text("SELECT id, admin_unit_code, owning_level, owner_unit_code, reported_by_team_id FROM tickets")
        ).all()
        assert sorted(tuple(row) for row in rows) == [
            (1, "04603", "province", "15", team_id),
            (2, "04603", "province", "15", None),
            (3, "04603", "commune", "04603", None),
        ]
