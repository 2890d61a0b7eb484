"""Who may do what to a ticket: one table of action x relation x role, checked by the workflow and read by
pages (``allowed_actions``) to show only the buttons a person may press.

A person's relations to a ticket: a member of its owner team, its assignee, a member of the team that
reported it, a coordinator (or admin) of its area; anyone who can read it (the ticket lies in their
jurisdiction) is a reader. A person may take an action when one of their relations allows their role.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.auth import scope_for
from server.errors import Forbidden
from server.labels import label
from server.models import Ticket, User

ROLES = ("field_member", "team_lead", "coordinator", "admin")
RELATIONS = ("owner_team", "assignee", "reporting_team", "area_coordinator", "reader")
TEAM = frozenset({"field_member", "team_lead"})
LEADS = frozenset({"team_lead"})
ANYONE = frozenset(ROLES)
COORDINATORS = frozenset({"coordinator", "admin"})


@dataclass(frozen=True)
class Permission:
    """The roles allowed per relation, and the rule in words for refusals and the README."""

    roles: dict[str, frozenset[str]]
    says: object  # a lazy translation: the reader's language when shown


# fmt: off
PERMISSIONS: dict[str, Permission] = {
    "assign":   Permission({"owner_team": LEADS, "area_coordinator": COORDINATORS},
                           _l("the owner team's lead or a coordinator of the area assigns")),
    "start":    Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           _l("only the owner team, the assignee or a coordinator of the area starts work")),
    "resolve":  Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           _l("only the owner team, the assignee or a coordinator of the area resolves")),
    "verify":   Permission({"owner_team": LEADS, "reporting_team": TEAM, "area_coordinator": COORDINATORS},
                           _l("the reporting team, the owner team's lead or a coordinator of the area verifies, "
                           "never the resolver's team")),
    "close":    Permission({"owner_team": LEADS, "reporting_team": LEADS, "area_coordinator": COORDINATORS},
                           _l("the lead of the owner or reporting team, or a coordinator of the area closes")),
    "reopen":   Permission({"reporting_team": TEAM, "area_coordinator": COORDINATORS},
                           _l("the reporting team or a coordinator of the area reopens")),
    "escalate": Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           _l("the owner team, the assignee or a coordinator of the area escalates")),
    "edit":     Permission({"owner_team": LEADS, "area_coordinator": COORDINATORS},
                           _l("the owner team's lead or a coordinator of the area edits")),
    "comment":  Permission({relation: ANYONE for relation in RELATIONS},
                           _l("anyone who can read the ticket or has a part in it comments")),
}
# fmt: on


class NotPermitted(Forbidden):
    """A refusal naming the rule (``rule``: the action) and what it says."""

    def __init__(self, action: str, detail: str | None = None):
        rule = str(PERMISSIONS[action].says)
        super().__init__(
            detail
            or _(
                "You may not do this to the ticket (%(action)s): %(rule)s.",
                action=label(action, "ticket_action"),
                rule=rule,
            )
        )
        self.extra = {"rule": f"ticket.{action}", "rule_says": rule}


def relations(user: User, ticket: Ticket) -> set[str]:
    """How ``user`` stands to ``ticket``."""
    found = set()
    scope = scope_for(user)
    if scope.covers_unit_codes(ticket.admin_unit_code, ticket.province_code):
        found.add("reader")
        if user.role in COORDINATORS:
            found.add("area_coordinator")
    if user.team_id is not None and user.team_id == ticket.team_id:
        found.add("owner_team")
    if ticket.assignee_id is not None and ticket.assignee_id == user.id:
        found.add("assignee")
    if user.team_id is not None and user.team_id == ticket.reported_by_team_id:
        found.add("reporting_team")
    return found


def permits(user: User, ticket: Ticket, action: str, related: set[str] | None = None) -> bool:
    """The table alone: may ``user`` take ``action`` on ``ticket`` given how they stand to it?"""
    related = relations(user, ticket) if related is None else related
    allowed = PERMISSIONS[action].roles
    return any(user.role in allowed.get(relation, ()) for relation in related)


def require(user: User, ticket: Ticket, action: str) -> None:
    if not permits(user, ticket, action):
        raise NotPermitted(action)
