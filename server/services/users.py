"""Users, their passwords, phones enrolled with tokens, and the audit trail of every change to an account.
Who may grant and manage what is decided in ``server.services.access``."""

from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server import passwords
from server.auth import issue_token, revoke_token, scope_for
from server.errors import Conflict, Forbidden, InvalidInput
from server.labels import label
from server.models import AccountEvent, AdminUnit, ApiToken, Team, User
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
        raise InvalidInput(
            {"team_id": [gettext("A person with the role “%(role)s” must belong to a team.", role=label(role, "role"))]}
        )
    unit = session.get(AdminUnit, jurisdiction_code) if jurisdiction_code else None
    if jurisdiction_code and unit is None:
        raise InvalidInput(
            {"jurisdiction_code": [gettext("Unknown admin unit code %(code)s.", code=jurisdiction_code)]}
        )
    if unit is not None and actor is not None:
        access.require_grantable_units(scope_for(actor), [unit])
    if role == "coordinator" and unit is None and team is None:
        raise InvalidInput(
            {"jurisdiction_code": [gettext("A coordinator needs a jurisdiction (usually a province code).")]}
        )
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
        raise Conflict(gettext("A user named %(name)s already exists.", name=repr(username)))
    team, unit = _placement(session, actor, role, team_id, jurisdiction_code)
    user = User(username=username, display_name=display_name, role=role, team=team, jurisdiction=unit)
    session.add(user)
    session.flush()
    record_account_event(
        session, actor, user, "created", {"role": role, "team_id": user.team_id, "jurisdiction_code": jurisdiction_code}
    )
    return user


def update_user(session: Session, actor: User, user: User, changes: dict) -> User:
    """Change a user the actor manages; every value granted is checked before anything changes."""
    if not may_manage(actor, user):
        raise Forbidden(gettext("You may not change this user."))
    before = _snapshot(user)
    role = changes.get("role", user.role)
    team_id = changes.get("team_id", user.team_id)
    jurisdiction_code = changes.get("jurisdiction_code", user.jurisdiction_code)
    team, unit = _placement(session, actor, role, team_id, jurisdiction_code)
    user.role, user.team, user.jurisdiction = role, team, unit
    for name in ("display_name", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    session.flush()
    after = _snapshot(user)
    diff = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if diff:
        action = {False: "disabled", True: "enabled"}.get(after["active"]) if "active" in diff else "changed"
        record_account_event(session, actor, user, action, diff)
    return user


def _snapshot(user: User) -> dict:
    return {
        "role": user.role,
        "team_id": user.team_id,
        "jurisdiction_code": user.jurisdiction_code,
        "display_name": user.display_name,
        "active": user.active,
    }


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


def record_account_event(
    session: Session, actor: User | None, user: User, action: str, changes: dict | None = None
) -> AccountEvent:
    """One line of an account's audit trail; ``actor`` None means the command line."""
    event = AccountEvent(user=user, actor=actor, action=action, changes=changes or {})
    session.add(event)
    session.flush()
    return event


def _check_may_manage(actor: User | None, user: User) -> None:
    """The command line (None), the person themselves, or someone who manages them."""
    if actor is not None and actor.id != user.id and not may_manage(actor, user):
        raise Forbidden(gettext("You may not change this account."))


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be used, in the person's language; None when it may."""
    if len(password) < passwords.MIN_LENGTH:
        return gettext("The password must have at least %(count)d characters.", count=passwords.MIN_LENGTH)
    if len(password) > passwords.MAX_LENGTH:
        return gettext("The password must have at most %(count)d characters.", count=passwords.MAX_LENGTH)
    folded = password.strip().lower()
    if folded in passwords.common_passwords() or (len(username) >= 4 and username.lower() in folded):
        return gettext("This password is too easy to guess: it is common or contains the user name.")
    return None


def set_password(session: Session, actor: User | None, user: User, password: str, *, temporary: bool = False) -> None:
    """Store a new password. ``temporary``: set by a manager, to be changed at the next sign-in."""
    _check_may_manage(actor, user)
    if problem := password_problem(password, user.username):
        raise InvalidInput({"password": [problem]})
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = temporary
    action = "password_reset" if temporary else "password_set"
    record_account_event(session, actor, user, action, {"temporary": temporary})


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None: one answer whatever was wrong (no hint whether
    the name exists). A hash made with older parameters is replaced."""
    user = session.scalar(select(User).where(User.username == username))
    if not passwords.verify_password(user.password_hash if user else None, password) or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def enrol_device(
    session: Session, actor: User | None, user: User, label: str, ttl_days: int | None
) -> tuple[ApiToken, str]:
    """A new token for one device of ``user`` (a phone enrolled by QR code, a script); returns the row and the
    clear token, shown once."""
    _check_may_manage(actor, user)
    row, clear = issue_token(session, user, label, ttl_days)
    record_account_event(session, actor, user, "device_enrolled", {"token_id": row.id, "label": label})
    return row, clear


def revoke_device(session: Session, actor: User | None, token: ApiToken) -> bool:
    """Revoke one device's token; False when it was already revoked (nothing changes, no event)."""
    _check_may_manage(actor, token.user)
    if not revoke_token(session, token):
        return False
    record_account_event(session, actor, token.user, "device_revoked", {"token_id": token.id, "label": token.label})
    return True
