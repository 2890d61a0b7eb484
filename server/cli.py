"""Command line: ``flask --app wsgi <group> <command>``. Commands print what they changed."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from server.errors import ProblemError
from server.extensions import db
from server.models import ApiToken, Team, User
from server.models.teams import TEAM_KINDS
from server.models.users import ROLES

admin_units_cli = AppGroup("admin-units", help="Provinces and communes.")
teams_cli = AppGroup("teams", help="Field teams.")
users_cli = AppGroup("users", help="Users and roles.")
tokens_cli = AppGroup("tokens", help="API tokens.")
demo_cli = AppGroup("demo", help="Synthetic demonstration data.")
tickets_cli = AppGroup("tickets", help="Follow-up tickets.")
visit_plans_cli = AppGroup("visit-plans", help="Recurring visit plans.")
attachments_cli = AppGroup("attachments", help="Photos and files: where their bytes are kept.")
rollups_cli = AppGroup("rollups", help="Daily rollups the indicators read.")
readings_cli = AppGroup("readings", help="Connectivity readings: monthly partitions (PostGIS) and retention.")


def _fail(error: ProblemError) -> None:
    db.session.rollback()
    messages = [error.detail] + [
        f"  {field}: {'; '.join(map(str, msgs))}" for field, msgs in (error.errors or {}).items()
    ]
    raise click.ClickException("\n".join(messages))


@admin_units_cli.command("load")
@click.option("--apply", "apply_move", is_flag=True, help="Move every reference to the new codes (one transaction)")
@click.option("--map", "mappings", multiple=True, metavar="OLD=NEW", help="The official code chosen for a changed one")
def load_admin_units(apply_move, mappings):
    """Load the official provinces and communes (with centroids and areas) and the pre-2025 units.

    On a database holding another list (the 2025 draft), print the move first and change nothing unless
    --apply; a code whose commune changed identity needs --map OLD=NEW before it can be applied."""
    from server.services.admin_units import MoveRefused, load_official_units

    decisions = {}
    for mapping in mappings:
        old, _, new = mapping.partition("=")
        if not old.strip() or not new.strip():
            raise click.UsageError(f"--map takes OLD=NEW, got {mapping!r}")
        decisions[old.strip()] = new.strip()
    try:
        report = load_official_units(db.session, apply=apply_move, decisions=decisions)
    except MoveRefused as refused:
        db.session.rollback()
        for change in refused.plan.changes:
            click.echo(change.as_line())
        raise click.ClickException(
            f"{len(refused.plan.undecided)} changed code(s) need a person's decision (--map OLD=NEW); nothing changed"
        ) from None
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing changed") from None
    plan = report.plan
    for change in plan.changes:
        click.echo(change.as_line())
    if plan.needs_apply and not apply_move:
        undecided = len(plan.undecided)
        click.echo(
            f"dry run: {len(plan.changes)} changed code(s), {undecided} undecided; nothing changed. "
            + ("Decide each with --map OLD=NEW, then " if undecided else "")
            + "rerun with --apply to move every reference."
        )
        return
    db.session.commit()
    click.echo(
        f"admin units: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.moved} codes moved, {report.removed} removed; {report.historical} pre-2025 units loaded"
    )


@admin_units_cli.command("load-operators")
def load_operators_command():
    """Load Viet Nam's mobile operators by MCC-MNC (server/data/operators_vn.csv; idempotent)."""
    from server.services.operators import load_operators

    created, updated = load_operators(db.session)
    db.session.commit()
    click.echo(f"operators: {created} created, {updated} updated")


@admin_units_cli.command("import-boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code-property", help="Feature property holding the official code (default: try common names)")
def import_boundaries(path, code_property):
    """Attach boundaries from a GeoJSON FeatureCollection, matched by official code."""
    from server.services.admin_units import import_boundaries as run_import

    report = run_import(db.session, path, code_property)
    db.session.commit()
    click.echo(
        f"boundaries: {len(report.matched)} matched, {len(report.unmatched)} unmatched, "
        f"{len(report.invalid)} invalid geometry"
    )
    for label in report.unmatched:
        click.echo(f"unmatched: {label}", err=True)
    for label in report.invalid:
        click.echo(f"invalid geometry: {label}", err=True)
    for label in report.warnings:
        click.echo(f"warning: {label}", err=True)


@teams_cli.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice(TEAM_KINDS), required=True)
@click.option("--jurisdiction", required=True, help="Official codes, comma-separated")
def create_team(name, kind, jurisdiction):
    """Create a team (no change if it exists with the same settings)."""
    from server.auth import Scope
    from server.services.teams import create_team as create

    codes = [code.strip() for code in jurisdiction.split(",") if code.strip()]
    existing = db.session.scalar(select(Team).where(Team.name == name))
    if existing is not None:
        if existing.kind == kind and sorted(existing.jurisdiction_codes) == sorted(codes):
            click.echo(f"team {name!r} exists (id {existing.id}), unchanged")
            return
        raise click.ClickException(f"team {name!r} exists with other settings; change it through the API")
    try:
        team = create(db.session, Scope(everywhere=True), name=name, kind=kind, jurisdiction=codes)
    except ProblemError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"team {name!r} created (id {team.id})")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", "team_name", help="Team name (needed for field members and team leads)")
@click.option("--jurisdiction", "jurisdiction_code", help="Admin unit code (coordinators: their province)")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, help="Read a password for the user from stdin")
@click.option("--temporary", is_flag=True, help="With --password-stdin: to be changed at the first sign-in")
def create_user(username, role, team_name, jurisdiction_code, display_name, password_stdin, temporary):
    """Create a user."""
    from server.services.users import create_user as create
    from server.services.users import set_password

    team_id = None
    if team_name:
        team = db.session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            raise click.ClickException(f"no team named {team_name!r}")
        team_id = team.id
    try:
        user = create(
            db.session,
            None,
            username=username,
            role=role,
            display_name=display_name,
            team_id=team_id,
            jurisdiction_code=jurisdiction_code,
        )
        if password_stdin:
            set_password(db.session, None, user, _password_from_stdin(), temporary=temporary)
    except ProblemError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"user {username!r} created (id {user.id}, {role})" + (", with a password" if password_stdin else ""))


def _password_from_stdin() -> str:
    """The first line of stdin, without its line ending (so `echo ... |` and here-strings work)."""
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--temporary", is_flag=True, help="The user must change it at the next sign-in")
def set_user_password(username, temporary):
    """Set a user's password, read from stdin (first line); signs the user out of every browser."""
    from server.services.users import set_password

    user = _user(username)
    try:
        set_password(db.session, None, user, _password_from_stdin(), temporary=temporary)
    except ProblemError as error:
        _fail(error)
    db.session.commit()
    click.echo(
        f"password of {username!r} set" + (" (temporary: to be changed at the next sign-in)" if temporary else "")
    )


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@tokens_cli.command("issue")
@click.argument("username")
@click.option("--label", default="cli")
@click.option("--days", type=int, help="Lifetime in days (default FIELDOPS_TOKEN_TTL_DAYS)")
def issue_token(username, label, days):
    """Issue a token; prints only the token on stdout."""
    from server.services.users import enrol_device

    row, clear = enrol_device(db.session, None, _user(username), label, days or current_app.config["TOKEN_TTL_DAYS"])
    db.session.commit()
    click.echo(f"token {row.id} ({row.prefix}...) issued for {username}", err=True)
    click.echo(clear)


@tokens_cli.command("revoke")
@click.option("--id", "token_id", type=int, help="Revoke this token")
@click.option("--user", "username", help="Revoke every token of this user")
def revoke_token(token_id, username):
    """Revoke one token, or every token of a user."""
    from server.services.users import revoke_device

    if (token_id is None) == (username is None):
        raise click.UsageError("give exactly one of --id or --user")
    if token_id is not None:
        tokens = [db.session.get(ApiToken, token_id)]
        if tokens[0] is None:
            raise click.ClickException(f"no token {token_id}")
    else:
        tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == _user(username).id)))
    count = sum(revoke_device(db.session, None, token) for token in tokens)
    db.session.commit()
    click.echo(f"{count} token(s) revoked")


@demo_cli.command("load")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--token-for", "token_user", default=None, help="Also issue a token for this demo user and print it on stdout"
)
def load_demo(seed, token_user):
    """Load SYNTHETIC demonstration data (deterministic for a seed); never use it as real data."""
    from server.demo import load_demo as load

    report = load(db.session, seed=seed)
    db.session.commit()
    for line in report:
        click.echo(line, err=True)
    if token_user:
        from server.auth import issue_token as issue

        _, clear = issue(db.session, _user(token_user), "demo", 30)
        db.session.commit()
        click.echo(clear)


@demo_cli.command("sign-ins")
def demo_sign_ins():
    """Print the demo people who sign in with a password: username, password and role, one a line."""
    from server.demo import demo_sign_ins as sign_ins

    for username, password, role in sign_ins(db.session):
        click.echo(f"{username} {password} {role}")


@tickets_cli.command("escalate-overdue")
def escalate_overdue():
    """Escalate commune-level tickets past their due date to the province (cron-friendly, idempotent)."""
    from server.services.tickets import escalate_overdue as escalate

    tickets = escalate(db.session)
    db.session.commit()
    for ticket in tickets:
        click.echo(f"escalated ticket {ticket.id} ({ticket.category}, due {ticket.due_at:%Y-%m-%d}): {ticket.title}")
    click.echo(f"{len(tickets)} overdue ticket(s) escalated")


@visit_plans_cli.command("check")
def visit_plans_check():
    """Make the visits that plans ask for up to today and mark missed those whose window ended (idempotent)."""
    from datetime import UTC, datetime

    from server.services.visit_plans import check_missed_job

    missed = check_missed_job(db.session, datetime.now(UTC))
    db.session.commit()
    for row in missed:
        click.echo(f"missed: plan {row.plan_id}, team {row.team_id}, {row.target_key}, due {row.due_on:%Y-%m-%d}")
    click.echo(f"{len(missed)} planned visit(s) newly missed")


@visit_plans_cli.command("rederive")
def visit_plans_rederive():
    """Recompute which planned visits were made, from the visits as stored."""
    from datetime import UTC, datetime

    from server.services.visit_plans import rederive

    changed = rederive(db.session, datetime.now(UTC))
    db.session.commit()
    click.echo(f"{changed} planned visit(s) changed")


@attachments_cli.command("move-to-storage")
@click.option(
    "--from", "folder", type=click.Path(file_okay=False), help="Folder to move from (default: the upload folder)"
)
@click.option("--delete-local", is_flag=True, help="Delete each local file once its copy is verified")
def attachments_move(folder, delete_local):
    """Move attachment files from the local folder to the configured storage (FIELDOPS_STORAGE_URL), checking the
    SHA-256 recorded for each file before and after. Safe to run again; exits non-zero if a file is missing or bad."""
    from server.services.attachments import move_to_storage
    from server.storage import LocalStorage, get_storage

    source = LocalStorage(folder or current_app.config["UPLOAD_FOLDER"])
    target = get_storage()
    if isinstance(target, LocalStorage) and target.folder.resolve() == source.folder.resolve():
        raise click.ClickException("FIELDOPS_STORAGE_URL names no other storage: set it to s3://BUCKET/PREFIX first")
    report = move_to_storage(db.session, source, target, delete_local=delete_local)
    for name, keys in (("missing", report.missing), ("corrupt on disk", report.corrupt), ("failed", report.failed)):
        for key in keys:
            click.echo(f"{name}: {key}", err=True)
    click.echo(
        f"{len(report.moved)} moved, {len(report.already_there)} already there (checked), "
        f"{len(report.missing)} missing, {len(report.corrupt)} corrupt on disk, {len(report.failed)} failed "
        f"-> {target.description}"
    )
    if not report.ok:
        sys.exit(1)


@attachments_cli.command("verify")
def attachments_verify():
    """Read every attachment back from the configured storage and check its SHA-256; exits non-zero on a bad one."""
    from server.services.attachments import verify_all
    from server.storage import get_storage

    storage = get_storage()
    checked, bad = verify_all(db.session, storage)
    for key in bad:
        click.echo(f"missing or changed: {key}", err=True)
    click.echo(f"{checked} file(s) checked in {storage.description}, {len(bad)} bad")
    if bad:
        sys.exit(1)


@rollups_cli.command("rebuild")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only days from this one on (YYYY-MM-DD).")
def rebuild_rollups(since):
    """Recompute the daily rollups from the raw records; says how many rows differed from the kept ones."""
    from server.indicators import rollups
    from server.services import after_sync
    from server.services.ticket_rules import RuleSettings

    day = since.date() if since else None
    after_sync.apply_all(db.session, RuleSettings.from_config(current_app.config))  # sync batches still waiting
    before = rollups.snapshot(db.session)
    written = rollups.rebuild(db.session, day)
    after = rollups.snapshot(db.session)
    db.session.commit()
    models = {model.__tablename__: model for model in rollups.ALL_ROLLUPS}
    for table, count in written.items():
        old, new = before[table], after[table]
        if day is not None:
            first = models[table].period_of(day)[0]  # a monthly rollup is rebuilt from the month's start
            old, new = [r for r in old if r[0] >= first], [r for r in new if r[0] >= first]
        changed = len(set(old) ^ set(new))
        click.echo(
            f"{table}: {len(new)} row(s) rebuilt, {changed} differed from the incremental rollup ({count} in all)"
        )


@readings_cli.command("create-partitions")
@click.option("--ahead", type=click.IntRange(0, 120), default=None, help="Months after this one [setting]")
@click.option("--since", type=click.DateTime(["%Y-%m"]), default=None, help="First month YYYY-MM [last month]")
def create_reading_partitions(ahead, since):
    """Create the monthly partitions of the readings from last month (or --since) to --ahead months ahead
    (FIELDOPS_READINGS_PARTITIONS_AHEAD, default 3); rows of those months waiting in the default partition move
    in. Idempotent, for cron. SpatiaLite keeps one table: nothing to do."""
    from server.services import readings_store

    if not readings_store.is_partitioned(db.session):
        click.echo("Readings are one table on this database (SpatiaLite): no partitions to create")
        return
    months = current_app.config["READINGS_PARTITIONS_AHEAD"] if ahead is None else ahead
    first = since.replace(day=15, tzinfo=readings_store.MONTH_ZONE) if since else None
    created = readings_store.create_partitions(db.session, months, first)
    db.session.commit()
    for name in created:
        click.echo(f"created partition {name}")
    click.echo(f"{len(created)} partition(s) created")


@readings_cli.command("apply-retention")
@click.option("--months", type=click.IntRange(0, 1200), default=None, help="Months to keep [setting; 0: off]")
def apply_reading_retention(months):
    """Drop raw readings observed before the last --months whole months and the current one
    (FIELDOPS_READINGS_RETENTION_MONTHS, default 0: keep everything); the daily rollups stay. For cron."""
    from server.services import readings_store

    months = current_app.config["READINGS_RETENTION_MONTHS"] if months is None else months
    result = readings_store.apply_retention(db.session, months)
    if result is None:
        click.echo("Retention is off (FIELDOPS_READINGS_RETENTION_MONTHS=0): no reading dropped")
        return
    db.session.commit()
    for name in result.dropped_partitions:
        click.echo(f"dropped partition {name}")
    cutoff = result.cutoff.astimezone(readings_store.MONTH_ZONE)
    click.echo(f"{result.deleted_rows} reading(s) observed before {cutoff:%d/%m/%Y} dropped")


def register_commands(app) -> None:
    from server.jobs.cli import register as register_job_commands

    groups = (
        admin_units_cli,
        teams_cli,
        users_cli,
        tokens_cli,
        demo_cli,
        tickets_cli,
        visit_plans_cli,
        attachments_cli,
        rollups_cli,
        readings_cli,
    )
    for group in groups:
        app.cli.add_command(group)
    register_job_commands(app)
