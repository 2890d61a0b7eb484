"""How a person and a team want to hear: read and change the settings, each change leaving an audit event.
A person changes their own; a team's are changed by its lead or by a coordinator (admin) of its area."""

import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import MANAGER_ROLES, scope_for
from server.errors import Forbidden, InvalidInput, NotFound
from server.models import NotificationSetting, NotificationSettingEvent, Team, User
from server.models.notifications import SUBSCRIBABLE_KINDS, TEAM_EMAIL_MODES
from server.models.users import LOCALES
from server.services.access import team_touches_area

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def setting_for(session: Session, *, user: User | None = None, team: Team | None = None) -> NotificationSetting:
    """The stored setting, or the default (unsaved): no e-mail address yet, every event, one e-mail per event."""
    if user is not None:
        condition = NotificationSetting.user_id == user.id
    else:
        condition = NotificationSetting.team_id == team.id
    found = session.scalar(select(NotificationSetting).where(condition))
    if found is not None:
        return found
    return NotificationSetting(
        user_id=user.id if user else None,
        team_id=team.id if team else None,
        email=None,
        events=list(SUBSCRIBABLE_KINDS),
        team_email_mode="each",
        locale="vi",
    )


def snapshot(setting: NotificationSetting) -> dict:
    return {
        "email": setting.email,
        "events": list(setting.events or []),
        "team_email_mode": setting.team_email_mode,
        "locale": setting.locale,
    }


def may_manage_team(user: User, team: Team) -> bool:
    if user.role == "team_lead" and user.team_id == team.id:
        return True
    return user.role in MANAGER_ROLES and team_touches_area(scope_for(user), team)


def team_for_settings(session: Session, user: User, team_id: int) -> Team:
    """The team whose settings ``user`` may read and change (404 for a team they cannot see, 403 otherwise)."""
    team = session.get(Team, team_id)
    if team is None or not (user.team_id == team_id or team_touches_area(scope_for(user), team)):
        raise NotFound(_("No team %(id)s.", id=team_id))
    if not may_manage_team(user, team):
        raise Forbidden(_("The team's lead or a coordinator of its area sets how the team is notified."))
    return team


def update_setting(session: Session, actor: User, setting: NotificationSetting, changes: dict) -> NotificationSetting:
    """Apply ``changes`` (email, events, team_email_mode, locale); refuses bad values with 422 per field."""
    errors: dict[str, list[str]] = {}
    if "email" in changes:
        email = (changes["email"] or "").strip() or None
        if email is not None and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
            errors["email"] = [_("Give an e-mail address such as name@example.org, or leave it empty.")]
        changes["email"] = email
    if "events" in changes:
        events = changes["events"] or []
        if any(kind not in SUBSCRIBABLE_KINDS for kind in events):
            errors["events"] = [_("Choose events from the list.")]
        changes["events"] = [kind for kind in SUBSCRIBABLE_KINDS if kind in events]
    if "team_email_mode" in changes and changes["team_email_mode"] not in TEAM_EMAIL_MODES:
        errors["team_email_mode"] = [_("Choose one of the listed ways.")]
    if "locale" in changes and changes["locale"] not in LOCALES:
        errors["locale"] = [_("Choose one of the listed languages.")]
    if errors:
        raise InvalidInput(errors)
    before = snapshot(setting)
    for name in ("email", "events", "team_email_mode", "locale"):
        if name in changes:
            setattr(setting, name, changes[name])
    after = snapshot(setting)
    if before != after or setting.id is None:
        session.add(setting)
        session.add(
            NotificationSettingEvent(
                actor_id=actor.id,
                action="changed",
                user_id=setting.user_id,
                team_id=setting.team_id,
                changes={
                    "before": {k: v for k, v in before.items() if before[k] != after[k]},
                    "after": {k: v for k, v in after.items() if before[k] != after[k]},
                },
            )
        )
        session.flush()
    return setting
