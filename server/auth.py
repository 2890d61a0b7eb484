"""Bearer tokens, the current user, and what a user may see and change (role and jurisdiction).

Tokens are random 256-bit strings shown once; only their SHA-256 digest is stored, so a database
leak does not leak usable tokens (a slow password hash adds nothing for values with this entropy).
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session, defer, joinedload

from server.errors import Forbidden, Unauthorized
from server.extensions import db
from server.models import AdminUnit, ApiToken, Team, User

TOKEN_PREFIX = "fo_"
ROLE_RANK = {"field_member": 0, "team_lead": 1, "coordinator": 2, "admin": 3}
# The roles that manage people and act for a whole area (coordinators of it, admins everywhere).
MANAGER_ROLES = ("coordinator", "admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str = "", ttl_days: int | None = 180) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the stored row and the clear token (never stored)."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = ApiToken(
        user=user,
        token_hash=hash_token(clear),
        prefix=clear[: len(TOKEN_PREFIX) + 6],
        label=label,
        created_at=now,
        expires_at=now + timedelta(days=ttl_days) if ttl_days else None,
    )
    session.add(row)
    session.flush()
    return row, clear


def revoke_token(session: Session, token: ApiToken) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = datetime.now(UTC)
    return True


def user_for_token(session: Session, clear: str) -> User:
    return user_for_token_hash(session, hash_token(clear))


# What every authenticated request reads: the token, its user, the user's team and both jurisdictions (for the
# scope), in two queries instead of one per relationship, without the units' geometries (a province boundary is
# megabytes).
_NO_GEOMETRY = (defer(AdminUnit.boundary), defer(AdminUnit.centroid))
_TOKEN_USER = joinedload(ApiToken.user)
TOKEN_LOAD = (
    _TOKEN_USER.joinedload(User.team).selectinload(Team.jurisdiction).options(*_NO_GEOMETRY),
    _TOKEN_USER.joinedload(User.jurisdiction).options(*_NO_GEOMETRY),
)


def user_for_token_hash(session: Session, token_hash: str) -> User:
    """The user behind a stored token, if the token is still valid (not revoked or expired, user active)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash).options(*TOKEN_LOAD))
    now = datetime.now(UTC)
    if token is None:
        raise Unauthorized(_("The bearer token is not known."))
    if token.revoked_at is not None:
        raise Unauthorized(_("The bearer token has been revoked."))
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized(_("The bearer token has expired."))
    if not token.user.active:
        raise Unauthorized(_("The account is disabled."))
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return token.user


@dataclass(frozen=True)
class Scope:
    """The admin units a user answers for: whole provinces and single communes; ``everywhere`` for admins."""

    everywhere: bool = False
    provinces: frozenset[str] = field(default_factory=frozenset)
    communes: frozenset[str] = field(default_factory=frozenset)

    def covers(self, unit: AdminUnit) -> bool:
        if self.everywhere:
            return True
        if unit.level == "province":
            return unit.code in self.provinces
        return unit.code in self.communes or unit.parent_code in self.provinces

    def covers_unit_codes(self, unit_code: str, province_code: str) -> bool:
        """Same as ``covers`` for a row that stores its unit's code and its province's code."""
        return self.everywhere or province_code in self.provinces or unit_code in self.communes

    def covers_province(self, province_code: str) -> bool:
        return self.everywhere or province_code in self.provinces

    def filter(self, unit_column, province_column) -> ColumnElement[bool]:
        """SQL condition on a row's (commune, province) columns: inside this scope."""
        if self.everywhere:
            return true()
        if not self.provinces and not self.communes:
            return false()
        return or_(province_column.in_(sorted(self.provinces)), unit_column.in_(sorted(self.communes)))

    def unit_filter(self) -> ColumnElement[bool]:
        """SQL condition on AdminUnit rows: the unit lies inside this scope."""
        if self.everywhere:
            return true()
        return or_(
            AdminUnit.code.in_(sorted(self.provinces | self.communes)),
            AdminUnit.parent_code.in_(sorted(self.provinces)),
        )


def scope_of_units(units: list[AdminUnit]) -> Scope:
    return Scope(
        provinces=frozenset(u.code for u in units if u.level == "province"),
        communes=frozenset(u.code for u in units if u.level == "commune"),
    )


def scope_for(user: User) -> Scope:
    """Admins see everything; others their own jurisdiction plus their team's."""
    if user.role == "admin":
        return Scope(everywhere=True)
    units = list(user.team.jurisdiction) if user.team else []
    if user.jurisdiction is not None:
        units.append(user.jurisdiction)
    return scope_of_units(units)


def current_user() -> User:
    return g.current_user


def current_scope() -> Scope:
    return g.current_scope


def authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _space, credentials = header.partition(" ")
    if not header:
        raise Unauthorized(_("This endpoint needs an `Authorization: Bearer <token>` header."))
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized(_("The Authorization header must be `Bearer <token>`."))
    user = user_for_token(db.session, credentials.strip())
    g.current_user = user
    g.current_scope = scope_for(user)
    return user


def login_required(roles: tuple[str, ...] | None = None):
    """Authenticate the request and, when ``roles`` is given, require one of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = authenticate()
            if roles is not None and user.role not in roles:
                raise Forbidden(_("This action needs one of the roles: %(roles)s.", roles=", ".join(roles)))
            return view(*args, **kwargs)

        wrapper._fieldops_auth = roles or "any"
        return wrapper

    return decorator


def require_role(*roles: str):
    """For views already behind ``login_required``: only these roles may go on."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_user().role not in roles:
                raise Forbidden(_("This action needs one of the roles: %(roles)s.", roles=", ".join(roles)))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def token_ttl_days() -> int:
    return current_app.config["TOKEN_TTL_DAYS"]
