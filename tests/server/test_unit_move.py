"""Moving a database from the 2025 draft list (vietnam-provinces 2025.10.1) to the official one."""

import pytest
from sqlalchemy import func, select

from server.models import AdminUnit, AdminUnitMove, Site, Ticket, Visit, team_jurisdictions
from server.services.admin_units import MoveRefused, load_official_units
from tests.records_factory import visit
from tests.server.test_cli import cli  # noqa: F401  (the fixture)

# Units of the draft list that the official list changes, as the draft package carried them: 01501 only in
# spelling, 00073 (Cửa Nam) renumbered to 00082, 00226 (Kim Liên) a code that now names another commune.
DRAFT = {
    "01501": ("Xã Đàm Thuỷ", "04", 22.85, 106.70),
    "00073": ("Phường Cửa Nam", "01", 21.0226, 105.851),
    "00226": ("Phường Kim Liên", "01", 21.007, 105.836),
}


@pytest.fixture
def draft_database(db, make_team, make_user, make_site, client):
    """The draft's three units in place of the official ones, each with a site, a team, a visit and a ticket."""
    from server.auth import scope_for
    from server.services import tickets
    from server.services.calendar import WorkingCalendar

    for code, (name, province, _, _) in DRAFT.items():
        unit = db.session.get(AdminUnit, code)
        if unit is None:
            db.session.add(
                AdminUnit(
                    code=code,
                    level="commune",
                    name=name,
                    codename="draft",
                    division_type="phường",
                    parent_code=province,
                )
            )
        else:
            unit.name, unit.valid_from = name, None
    db.session.execute(AdminUnit.__table__.update().where(AdminUnit.code == "00082").values(valid_from=None))
    db.session.flush()
    for code, (_, _, lat, lon) in DRAFT.items():
        team = make_team([code], name=f"team {code}")
        lead, headers = make_user("team_lead", team=team)
        site = make_site(commune=code, lat=lat, lon=lon, name=f"site {code}")
        answer = client.post(
            "/api/v1/sync", json={"records": [visit(lat=lat, lon=lon, site_id=site.id)]}, headers=headers
        ).get_json()
        assert answer["created"] == 1, answer
        tickets.create_ticket(
            db.session,
            lead,
            scope_for(lead),
            title=f"Router {code}",
            category="equipment",
            admin_unit_code=code,
            calendar=WorkingCalendar.load(db.session),
        )
    db.session.commit()  # to the test's savepoint: a command's rollback must not undo the set-up
    return db


def counts_by_commune(db) -> dict:
    found = {}
    for name, column in (
        ("sites", Site.admin_unit_code),
        ("visits", Visit.admin_unit_code),
        ("tickets", Ticket.admin_unit_code),
        ("teams", team_jurisdictions.c.admin_unit_code),
    ):
        for code, count in db.session.execute(select(column, func.count()).group_by(column)):
            found[(name, code)] = count
    return found


def test_the_dry_run_lists_each_change_and_changes_nothing(draft_database):
    """Without --apply the plan names each changed code with its references, and the database stays as it was."""
    db = draft_database
    before = counts_by_commune(db)
    report = load_official_units(db.session)
    changes = {c.old_code: c for c in report.plan.changes}
    assert changes["01501"].kind == "renamed" and changes["01501"].new_code == "01501"
    assert changes["00073"].kind == "renumbered" and changes["00073"].new_code == "00082"
    assert changes["00226"].kind == "identity" and changes["00226"].new_code is None
    assert changes["00073"].references == {"records": 1, "tickets": 1, "sites": 1, "teams": 1}
    assert "00073 Phường Cửa Nam -> 00082 Phường Cửa Nam" in changes["00073"].as_line()
    assert counts_by_commune(db) == before
    assert db.session.get(AdminUnit, "00226").name == "Phường Kim Liên"
    assert db.session.scalar(select(func.count()).select_from(AdminUnitMove)) == 0


def test_apply_refuses_while_an_identity_change_is_undecided(draft_database):
    """--apply with an undecided code raises with the list and leaves everything in place."""
    db = draft_database
    before = counts_by_commune(db)
    with pytest.raises(MoveRefused) as refused:
        load_official_units(db.session, apply=True)
    assert [c.old_code for c in refused.value.plan.undecided] == ["00226"]
    assert counts_by_commune(db) == before


def test_apply_moves_every_reference_with_nothing_lost(draft_database):
    """With the identity change decided, every site, record, ticket and team moves to its commune's new code,
    counts per commune are kept, and the move is recorded."""
    db = draft_database
    before = counts_by_commune(db)
    kim_lien = "00229"  # the official code a person chose for the draft's Kim Liên
    report = load_official_units(db.session, apply=True, decisions={"00226": kim_lien})
    assert report.moved == 2
    moved = {"00073": "00082", "00226": kim_lien}
    expected = {(name, moved.get(code, code)): count for (name, code), count in before.items()}
    assert counts_by_commune(db) == expected
    assert db.session.get(AdminUnit, "00073") is None
    assert db.session.get(AdminUnit, "01501").name == "Xã Đàm Thủy"
    assert db.session.get(AdminUnit, "00226").name == "Phường Văn Miếu - Quốc Tử Giám"
    ticket = db.session.scalar(select(Ticket).where(Ticket.title == "Router 00226"))
    assert (ticket.admin_unit_code, ticket.province_code) == (kim_lien, "01")
    move = db.session.scalar(select(AdminUnitMove))
    assert {c["old_code"]: c["new_code"] for c in move.changes} == {"01501": "01501", **moved}
    assert load_official_units(db.session).plan.changes == []


def test_the_command_plans_refuses_then_applies(draft_database, cli):  # noqa: F811
    """`admin-units load` prints the plan; --apply exits 1 listing the undecided code; with --map it applies."""
    db = draft_database
    before = counts_by_commune(db)
    dry = cli("admin-units", "load")
    assert "renumbered 00073 Phường Cửa Nam -> 00082 Phường Cửa Nam" in dry.output
    assert "identity   00226 Phường Kim Liên -> ?" in dry.output and "00229 Phường Kim Liên" in dry.output
    assert "dry run" in dry.output and counts_by_commune(db) == before
    refused = cli("admin-units", "load", "--apply", ok=False)
    assert refused.exit_code == 1 and "00226" in refused.output and "--map OLD=NEW" in refused.output
    assert counts_by_commune(db) == before
    unknown = cli("admin-units", "load", "--apply", "--map", "00226=99999", ok=False)
    assert unknown.exit_code == 1 and "99999 is not an official code" in unknown.output
    applied = cli("admin-units", "load", "--apply", "--map", "00226=00229")
    assert "2 codes moved" in applied.output
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.admin_unit_code == "00229")) == 1
