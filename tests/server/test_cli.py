from dataclasses import dataclass

import pytest
from sqlalchemy import select

from server.demo import DEMO_MARKER_USER, load_demo
from server.models import ApiToken, Site, Team, User
from tests.helpers import assert_problem, csrf_token, square, write_boundaries


@pytest.fixture
def cli(app, db):
    """Runs `flask --app wsgi ...` commands inside the test's rolled-back transaction."""
    runner = app.test_cli_runner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(args=list(args))
        if ok:
            assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    return run


def test_admin_units_load_is_idempotent(cli):
    """Loading the official list again creates and updates nothing."""
    result = cli("admin-units", "load")
    assert "0 created, 0 updated, 3355 unchanged" in result.output


def test_teams_create_and_rerun(cli, db):
    """`teams create` makes the team once; running it again with the same settings changes nothing."""
    first = cli("teams", "create", "Tổ công tác Lào Cai", "--kind", "working_group", "--jurisdiction", "15,04603")
    assert "created" in first.output
    team = db.session.scalar(select(Team).where(Team.name == "Tổ công tác Lào Cai"))
    assert team.jurisdiction_codes == ["04603", "15"]
    second = cli("teams", "create", "Tổ công tác Lào Cai", "--kind", "working_group", "--jurisdiction", "04603,15")
    assert "unchanged" in second.output
    other = cli("teams", "create", "Tổ công tác Lào Cai", "--kind", "working_group", "--jurisdiction", "01", ok=False)
    assert other.exit_code != 0 and "other settings" in other.output


def test_teams_create_with_unknown_code_fails(cli, db):
    """An unknown admin unit code is reported and nothing is created."""
    result = cli("teams", "create", "Tổ X", "--kind", "working_group", "--jurisdiction", "99999", ok=False)
    assert result.exit_code != 0 and "99999" in result.output
    assert db.session.scalar(select(Team).where(Team.name == "Tổ X")) is None


def test_users_create(cli, db):
    """`users create` puts a field member in the named team."""
    cli("teams", "create", "Tổ công nghệ số", "--kind", "community_digital_team", "--jurisdiction", "04603")
    result = cli("users", "create", "nguyen.van.a", "--role", "field_member", "--team", "Tổ công nghệ số")
    assert "created" in result.output
    user = db.session.scalar(select(User).where(User.username == "nguyen.van.a"))
    assert user.role == "field_member" and user.team.name == "Tổ công nghệ số"
    missing_team = cli("users", "create", "tran.b", "--role", "field_member", ok=False)
    assert missing_team.exit_code != 0 and "team_id" in missing_team.output


def test_tokens_issue_prints_only_the_token(cli, client):
    """stdout holds just the token, which authenticates; the message goes to stderr."""
    cli("users", "create", "coord", "--role", "coordinator", "--jurisdiction", "15")
    result = cli("tokens", "issue", "coord", "--days", "7")
    token = result.stdout.strip()
    assert token.startswith("fo_") and "\n" not in token
    assert "issued for coord" in result.stderr
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["username"] == "coord"


def test_tokens_revoke_by_user(cli, client, db):
    """`tokens revoke --user` revokes every token of the user: they then get 401."""
    cli("users", "create", "coord", "--role", "coordinator", "--jurisdiction", "15")
    tokens = [cli("tokens", "issue", "coord").stdout.strip() for _ in range(2)]
    result = cli("tokens", "revoke", "--user", "coord")
    assert "2 token(s) revoked" in result.output
    for token in tokens:
        assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    assert "0 token(s) revoked" in cli("tokens", "revoke", "--user", "coord").output


def test_tokens_revoke_by_id(cli, client, db):
    """`tokens revoke --id` revokes one token and leaves the others working."""
    cli("users", "create", "coord", "--role", "coordinator", "--jurisdiction", "15")
    first, second = (cli("tokens", "issue", "coord").stdout.strip() for _ in range(2))
    first_id = min(db.session.scalars(select(ApiToken.id).join(User).where(User.username == "coord")))
    cli("tokens", "revoke", "--id", str(first_id))
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}), 401)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert cli("tokens", "revoke", ok=False).exit_code != 0


def test_import_boundaries_reports_unmatched_features(cli, db, tmp_path):
    """Matched features get a boundary; unmatched ones are counted and named on stderr."""
    path = write_boundaries(
        tmp_path,
        [
            {"type": "Feature", "properties": {"code": "04603"}, "geometry": square(104.90, 21.70)},
            {"type": "Feature", "properties": {"code": "88888", "name": "Nowhere"}, "geometry": square(1, 1)},
        ],
    )
    result = cli("admin-units", "import-boundaries", str(path))
    assert "1 matched, 1 unmatched, 0 invalid geometry" in result.stdout
    assert "88888" in result.stderr and "Nowhere" in result.stderr


def test_demo_load_is_idempotent_and_issues_a_token(cli, client, app):
    """A second `demo load` changes nothing; --token-for prints a working token of that user on stdout; the demo
    coordinator and field member printed by `demo sign-ins` sign in with their passwords."""
    first = cli("demo", "load", "--token-for", DEMO_MARKER_USER)
    assert "SYNTHETIC" in first.stderr
    token = first.stdout.strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == DEMO_MARKER_USER and me["role"] == "admin"
    sites = client.get("/api/v1/sites?limit=1000", headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert len(sites) == 34 * 6 and all(site["name"].startswith("[synthetic]") for site in sites)
    second = cli("demo", "load")
    assert "nothing changed" in second.output
    after = client.get("/api/v1/sites?limit=1000", headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert len(after) == len(sites)
    sign_ins = [line.split() for line in cli("demo", "sign-ins").stdout.splitlines()]
    assert [role for _, _, role in sign_ins] == ["coordinator", "field_member"]
    for username, password, role in sign_ins:
        browser = app.test_client()
        signed_in = browser.post(
            "/login", data={"username": username, "password": password, "csrf_token": csrf_token(browser)}
        )
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
        assert browser.get("/people").status_code == (200 if role == "coordinator" else 403)


@dataclass(frozen=True)
class DemoOutcome:
    """What `load_demo` with a seed made: its sites, records per kind, tickets per category/status, how tickets
    were routed, their titles."""

    sites: list[tuple]
    records: tuple
    tickets: tuple
    routed: tuple
    titles: list[str]


def demo_outcome(db, seed: int) -> DemoOutcome:
    """The demo a seed makes, loaded inside a savepoint that is then rolled back."""
    from sqlalchemy import case, func

    from server.models import RECORD_MODELS, Ticket

    nested = db.session.begin_nested()
    try:
        load_demo(db.session, seed=seed)
        sites = db.session.execute(
            select(Site.name, Site.kind, Site.admin_unit_code, Site.geom.ST_AsText()).order_by(Site.id)
        ).all()
        records = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in RECORD_MODELS.values())
        tickets = db.session.execute(
            select(Ticket.category, Ticket.status, func.count())
            .group_by(Ticket.category, Ticket.status)
            .order_by(Ticket.category, Ticket.status)
        ).all()
        province = Ticket.province_code
        routed = db.session.execute(
            select(
                func.count(),
                func.sum(case((Ticket.team_id.is_(None), 1), else_=0)),
                func.sum(case((Ticket.reported_by_team_id.is_(None), 1), else_=0)),
                func.sum(case((Ticket.escalated_at.is_not(None), 1), else_=0)),
                func.sum(case((Ticket.escalated_at.is_not(None) & (Ticket.admin_unit_code == province), 1), else_=0)),
            )
        ).one()
        titles = db.session.scalars(select(Ticket.title)).all()
        return DemoOutcome(
            sites=[tuple(row) for row in sites],
            records=records,
            tickets=tuple(map(tuple, tickets)),
            routed=tuple(int(n or 0) for n in routed),
            titles=titles,
        )
    finally:
        nested.rollback()


@pytest.fixture(scope="module")
def _demo_outcomes() -> dict:
    return {}


@pytest.fixture
def demo_seed_7(app, db, _demo_outcomes) -> DemoOutcome:
    """The outcome of seed 7 on this backend, loaded (and rolled back) once for the tests of this module that
    only read it: a demo load takes long."""
    key = app.config["SQLALCHEMY_DATABASE_URI"]
    if key not in _demo_outcomes:
        _demo_outcomes[key] = demo_outcome(db, 7)
    return _demo_outcomes[key]


def test_demo_data_is_deterministic_for_a_seed(db, demo_seed_7):
    """The same seed makes the same sites and the same field activity (records, tickets); another seed makes
    different sites."""
    first, again, other = demo_seed_7, demo_outcome(db, 7), demo_outcome(db, 8)
    assert len(first.sites) == 34 * 6
    assert first.sites == again.sites
    assert (first.records, first.tickets) == (again.records, again.tickets)
    assert first.sites != other.sites
    assert db.session.scalar(select(User).where(User.username == DEMO_MARKER_USER)) is None


def test_demo_sites_lie_in_official_communes_by_their_centroids(db, demo_seed_7):
    """Every demo site names a commune of the official list, and the nearest official centroid is that commune's."""
    from shapely import wkt

    from server.services.admin_units import nearest_communes, official_units

    sites = demo_seed_7.sites
    official = {unit["code"] for unit in official_units() if unit["level"] == "commune"}
    assert {code for _, _, code, _ in sites} <= official
    points = {index: wkt.loads(text).coords[0] for index, (_, _, _, text) in enumerate(sites)}
    nearest = nearest_communes(db.session, points)
    agreeing = sum(nearest[index] == code for index, (_, _, code, _) in enumerate(sites))
    assert agreeing >= 0.9 * len(sites)  # 1.5 km from the centroid; a few small urban wards are narrower


def test_demo_field_activity_goes_through_ingest_and_ticket_rules(demo_seed_7):
    """The demo replays four weeks of syncs: records of every kind, tickets opened by the rules (equipment,
    dead-spot clusters, escalated findings), each routed to an owner team with a Vietnamese title and its
    reporting team kept, some worked on, escalated ones still placed in their communes (that the same seed gives
    the same result: test_demo_data_is_deterministic_for_a_seed)."""
    outcome = demo_seed_7
    total, without_owner, without_reporter, escalated, escalated_out_of_commune = outcome.routed
    assert total > 0 and without_owner == without_reporter == 0
    assert escalated > 0 and escalated_out_of_commune == 0
    assert any(title.startswith("Không có sóng di động: ") for title in outcome.titles)
    assert all(" tại " in title and "H3" not in title for title in outcome.titles)
    assert all(count > 0 for count in outcome.records)
    categories = {category for category, _, _ in outcome.tickets}
    statuses = {status for _, status, _ in outcome.tickets}
    assert {"equipment", "connectivity", "software"} <= categories
    assert {"open", "escalated", "resolved"} <= statuses
