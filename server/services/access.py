"""The one place that decides whether an actor may grant or reference something, by role and area.

Two rules, used by users, teams, tokens, tickets, field records, sync and survey responses alike:

- **Granting** widens someone's access (a jurisdiction, a team to belong to, a role, a token). What is granted
  must lie wholly inside the actor's own area, and a role must be below the actor's own (admins excepted).
  Otherwise the answer is 403, except a team outside the area, which the actor cannot see: that is answered
  like a team that does not exist.
- **Referencing** is a foreign key a client sends (a site, a visit, a team, an assignee, a record as
  evidence). It must point at something inside the actor's area; a reference outside the area is answered
  exactly like one that does not exist (422, "No such site in your area."), so a refusal says nothing about
  what exists elsewhere.
"""

import uuid
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import ROLE_RANK, Scope, scope_for
from server.errors import Forbidden, InvalidInput, NotFound
from server.labels import label
from server.models import RECORD_MODELS, AdminUnit, FieldRecord, Site, Team, User, Visit

TEAM_ROLES = ("field_member", "team_lead")


NO_SUCH = {
    "site": lazy_gettext("No such site in your area."),
    "team": lazy_gettext("No such team in your area."),
    "visit": lazy_gettext("No such visit in your area."),
    "record": lazy_gettext("No such record in your area."),
    "user": lazy_gettext("No such user in your area."),
    "attachment": lazy_gettext("No such attachment in your area."),
}


def no_such(thing: str) -> str:
    """The one message for a reference that does not exist or lies outside the caller's area."""
    return str(NO_SUCH[thing])


def not_found(field: str, thing: str) -> InvalidInput:
    return InvalidInput({field: [no_such(thing)]})


def in_area(scope: Scope, row) -> bool:
    """A row that stores its commune's and its province's code (sites, records, tickets) lies in the scope."""
    return scope.covers_unit_codes(row.admin_unit_code, row.province_code)


# --- Granting --------------------------------------------------------------------------------------------


def require_grantable_units(scope: Scope, units: Iterable[AdminUnit]) -> None:
    """Admin units handed out as a jurisdiction lie inside the actor's area (admin units are public: 403)."""
    outside = [unit.code for unit in units if not scope.covers(unit)]
    if outside:
        raise Forbidden(_("Outside your jurisdiction: %(codes)s.", codes=", ".join(outside)))


def grantable_roles(actor: User) -> tuple[str, ...]:
    """Admins grant any role; coordinators grant only the roles of team members (below their own)."""
    if actor.role == "admin":
        return tuple(ROLE_RANK)
    return TEAM_ROLES if actor.role == "coordinator" else ()


def require_grantable_role(actor: User, role: str) -> None:
    if role not in grantable_roles(actor):
        raise Forbidden(_("You may not give the role %(role)s: only roles below your own.", role=label(role, "role")))


def team_in_area(scope: Scope, team: Team) -> bool:
    """Every unit the team works in lies in the scope: its members' access stays inside it."""
    return scope.everywhere or (bool(team.jurisdiction) and all(scope.covers(unit) for unit in team.jurisdiction))


def team_touches_area(scope: Scope, team: Team) -> bool:
    """The team works somewhere in the scope (the teams a coordinator sees)."""
    return scope.everywhere or any(scope.covers(unit) for unit in team.jurisdiction)


def grantable_team(session: Session, actor: User, team_id: int, field: str = "team_id") -> Team:
    """A team the actor may put someone in: one wholly inside their area. A team they cannot see is
    answered like a missing one; one that also works outside their area is 403."""
    scope = scope_for(actor)
    team = session.get(Team, team_id)
    if team is None or not _team_referencable(actor, scope, team):
        raise not_found(field, "team")
    if not team_in_area(scope, team):
        raise Forbidden(_("This team also works outside your jurisdiction: only an admin may put people in it."))
    return team


def may_manage(actor: User, target: User) -> bool:
    """Admins manage everyone; coordinators manage field members and team leads whose team and own
    jurisdiction lie wholly inside the coordinator's area."""
    if actor.role == "admin":
        return True
    if actor.role != "coordinator" or ROLE_RANK[target.role] >= ROLE_RANK["coordinator"]:
        return False
    scope = scope_for(actor)
    if target.jurisdiction is not None and not scope.covers(target.jurisdiction):
        return False
    return target.team is not None and team_in_area(scope, target.team)


def managed_user(session: Session, actor: User, user_id: int) -> User:
    """The actor themself or a user they manage (e.g. to issue them a token); anyone else does not exist."""
    if user_id == actor.id:
        return actor
    user = session.get(User, user_id)
    if user is None or not may_manage(actor, user):
        raise NotFound(_("No such user among those you manage."))
    return user


# --- Referencing -----------------------------------------------------------------------------------------


def referencable_site(session: Session, scope: Scope, site_id: int, field: str = "site_id") -> Site:
    site = session.get(Site, site_id)
    if site is None or not in_area(scope, site):
        raise not_found(field, "site")
    return site


def sites_in_area(session: Session, scope: Scope, site_ids: set[int]) -> dict[int, Site]:
    """The sites among ``site_ids`` that lie in the area (one query, for a sync batch)."""
    if not site_ids:
        return {}
    found = session.scalars(
        select(Site).where(Site.id.in_(site_ids), scope.filter(Site.admin_unit_code, Site.province_code))
    )
    return {site.id: site for site in found}


def referencable_visit(session: Session, scope: Scope, visit_id: uuid.UUID, field: str = "visit_id") -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None or not in_area(scope, visit):
        raise not_found(field, "visit")
    return visit


def visits_in_area(session: Session, scope: Scope, visit_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The stored visits among ``visit_ids`` that lie in the area (one query, for a sync batch)."""
    if not visit_ids:
        return set()
    query = select(Visit.id).where(Visit.id.in_(visit_ids), scope.filter(Visit.admin_unit_code, Visit.province_code))
    return set(session.scalars(query))


def referencable_record(
    session: Session, scope: Scope, kind: str | None, record_id, field: str = "evidence"
) -> FieldRecord:
    model = RECORD_MODELS.get(kind)
    record = session.get(model, record_id) if model is not None else None
    if record is None or not in_area(scope, record):
        raise not_found(field, "record")
    return record


def referencable_team(session: Session, actor: User, scope: Scope, team_id: int, field: str = "team_id") -> Team:
    """The actor's own team or one that works in their area."""
    team = session.get(Team, team_id)
    if team is None or not _team_referencable(actor, scope, team):
        raise not_found(field, "team")
    return team


def _team_referencable(actor: User, scope: Scope, team: Team) -> bool:
    return team.id == actor.team_id or team_touches_area(scope, team)


def referencable_user(session: Session, actor: User, scope: Scope, user_id: int, field: str = "assignee_id") -> User:
    """An active user of a team the actor may reference (the actor themself included)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise not_found(field, "user")
    if user.id != actor.id and (user.team is None or not _team_referencable(actor, scope, user.team)):
        raise not_found(field, "user")
    return user
