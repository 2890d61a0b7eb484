"""Users, their roles and who may manage whom (the rules themselves are in ``server.services.access``)."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.auth import scope_for
from server.errors import Conflict, Forbidden, InvalidInput
from server.models import AdminUnit, Team, User
from server.services import access
from server.services.access import TEAM_ROLES, may_manage
from server.services.teams import visible_teams


def _placement(
    session: Session, actor: User | None, role: str, team_id: int | None, jurisdiction_code: str | None
) -> tuple[Team | None, AdminUnit | None]:
    """The team and jurisdiction a user is given, checked against what ``actor`` may grant (None: the CLI)."""
    if actor is not None:
        access.require_grantable_role(actor, role)
    team = None
    if team_id is not None:
        team = access.grantable_team(session, actor, team_id) if actor is not None else session.get(Team, team_id)
        if team is None:
            raise access.not_found("team_id", "team")
    if role in TEAM_ROLES and team is None:
        raise InvalidInput({"team_id": [f"A {role} must belong to a team."]})
    unit = session.get(AdminUnit, jurisdiction_code) if jurisdiction_code else None
    if jurisdiction_code and unit is None:
        raise InvalidInput({"jurisdiction_code": [f"Unknown admin unit code {jurisdiction_code!r}."]})
    if unit is not None and actor is not None:
        access.require_grantable_units(scope_for(actor), [unit])
    if role == "coordinator" and unit is None and team is None:
        raise InvalidInput({"jurisdiction_code": ["A coordinator needs a jurisdiction (usually a province code)."]})
    return team, unit


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    role: str,
    display_name: str = "",
    team_id: int | None = None,
    jurisdiction_code: str | None = None,
) -> User:
    """Create a user. ``actor`` None means the command line (full rights)."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"A user named {username!r} already exists.")
    team, unit = _placement(session, actor, role, team_id, jurisdiction_code)
    user = User(username=username, display_name=display_name, role=role, team=team, jurisdiction=unit)
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, actor: User, user: User, changes: dict) -> User:
    """Change a user the actor manages; every value granted is checked before anything changes."""
    if not may_manage(actor, user):
        raise Forbidden("You may not change this user.")
    role = changes.get("role", user.role)
    team_id = changes.get("team_id", user.team_id)
    jurisdiction_code = changes.get("jurisdiction_code", user.jurisdiction_code)
    team, unit = _placement(session, actor, role, team_id, jurisdiction_code)
    user.role, user.team, user.jurisdiction = role, team, unit
    for name in ("display_name", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    session.flush()
    return user


def visible_users(actor: User):
    query = select(User)
    if actor.role == "admin":
        return query
    if actor.role == "coordinator":
        scope = scope_for(actor)
        teams = visible_teams(scope, actor.team_id, whole_scope=True).with_only_columns(Team.id)
        units = select(AdminUnit.code).where(scope.unit_filter())
        return query.where(or_(User.team_id.in_(teams), User.jurisdiction_code.in_(units), User.id == actor.id))
    return query.where(or_(User.team_id == actor.team_id, User.id == actor.id))
