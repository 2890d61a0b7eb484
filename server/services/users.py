"""Users, their roles and who may manage whom."""

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.auth import ROLE_RANK, Scope, scope_for
from server.errors import Conflict, Forbidden, InvalidInput
from server.models import AdminUnit, Team, User
from server.services.teams import visible_teams

TEAM_ROLES = ("field_member", "team_lead")


def _validate_placement(session: Session, role: str, team_id: int | None, jurisdiction_code: str | None):
    team = session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and team is None:
        raise InvalidInput({"team_id": [f"No team {team_id}."]})
    if role in TEAM_ROLES and team is None:
        raise InvalidInput({"team_id": [f"A {role} must belong to a team."]})
    unit = session.get(AdminUnit, jurisdiction_code) if jurisdiction_code else None
    if jurisdiction_code and unit is None:
        raise InvalidInput({"jurisdiction_code": [f"Unknown admin unit code {jurisdiction_code!r}."]})
    if role == "coordinator" and unit is None and team is None:
        raise InvalidInput({"jurisdiction_code": ["A coordinator needs a jurisdiction (usually a province code)."]})
    return team, unit


def can_manage(actor: User, target: User) -> bool:
    """Admins manage everyone; coordinators manage team members whose team works in their area."""
    if actor.role == "admin":
        return True
    if actor.role != "coordinator" or ROLE_RANK[target.role] >= ROLE_RANK["coordinator"]:
        return False
    return target.team is not None and _team_in_scope(scope_for(actor), target.team)


def _team_in_scope(scope: Scope, team: Team) -> bool:
    return bool(team.jurisdiction) and all(scope.covers(unit) for unit in team.jurisdiction)


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
        raise Conflict(_("A user named %(name)s already exists.", name=repr(username)))
    team, unit = _validate_placement(session, role, team_id, jurisdiction_code)
    user = User(username=username, display_name=display_name, role=role, team=team, jurisdiction=unit)
    if actor is not None and not can_manage(actor, user):
        raise Forbidden(_("You may not create this user: role or team outside what you manage."))
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, actor: User, user: User, changes: dict) -> User:
    if not can_manage(actor, user):
        raise Forbidden(_("You may not change this user."))
    role = changes.get("role", user.role)
    team_id = changes.get("team_id", user.team_id)
    jurisdiction_code = changes.get("jurisdiction_code", user.jurisdiction_code)
    team, unit = _validate_placement(session, role, team_id, jurisdiction_code)
    user.role, user.team, user.jurisdiction = role, team, unit
    for name in ("display_name", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    if not can_manage(actor, user):
        raise Forbidden(_("You may not give this user that role or team."))
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
