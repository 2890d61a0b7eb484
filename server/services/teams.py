"""Teams and their jurisdictions."""

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from server.auth import Scope
from server.errors import Conflict, InvalidInput
from server.models import AdminUnit, Team, team_jurisdictions
from server.services.access import require_grantable_units


def units_by_code(session: Session, codes: list[str], field: str = "jurisdiction") -> list[AdminUnit]:
    units = list(session.scalars(select(AdminUnit).where(AdminUnit.code.in_(codes))))
    missing = sorted(set(codes) - {unit.code for unit in units})
    if missing:
        raise InvalidInput({field: [_("Unknown admin unit codes: %(codes)s.", codes=", ".join(missing))]})
    return units


def create_team(session: Session, scope: Scope, *, name: str, kind: str, jurisdiction: list[str]) -> Team:
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise Conflict(_("A team named %(name)s already exists.", name=repr(name)))
    units = units_by_code(session, jurisdiction)
    require_grantable_units(scope, units)
    team = Team(name=name, kind=kind, jurisdiction=units)
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, scope: Scope, team: Team, changes: dict) -> Team:
    require_grantable_units(scope, team.jurisdiction)
    if "jurisdiction" in changes:
        units = units_by_code(session, changes["jurisdiction"])
        require_grantable_units(scope, units)
        team.jurisdiction = units
    for name in ("name", "kind"):
        if name in changes:
            setattr(team, name, changes[name])
    session.flush()
    return team


def visible_teams(scope: Scope, own_team_id: int | None, whole_scope: bool):
    """Admins see all teams; coordinators the teams working in their area; others their own team."""
    query = select(Team)
    if scope.everywhere:
        return query
    if not whole_scope:
        return query.where(Team.id == own_team_id)
    in_scope = (
        select(team_jurisdictions.c.team_id)
        .join(AdminUnit, AdminUnit.code == team_jurisdictions.c.admin_unit_code)
        .where(team_jurisdictions.c.team_id == Team.id)
        .where(scope.unit_filter())
    )
    return query.where(exists(in_scope))
