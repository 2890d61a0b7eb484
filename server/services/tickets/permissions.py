"""Who may do what to a ticket: one table of action x relation x role, checked by the workflow and read by
pages (``allowed_actions``) to show only the buttons a person may press.

A person's relations to a ticket: a member of its owner team, its assignee, a member of the team that
reported it, a coordinator (or admin) of its area; anyone who can read it (the ticket lies in their
jurisdiction) is a reader. A person may take an action when one of their relations allows their role.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext

from server.auth import MANAGER_ROLES, scope_for
from server.errors import Forbidden
from server.models import Ticket, User

ROLES = ("field_member", "team_lead", "coordinator", "admin")
RELATIONS = ("owner_team", "assignee", "reporting_team", "area_coordinator", "reader")
TEAM = frozenset({"field_member", "team_lead"})
LEADS = frozenset({"team_lead"})
ANYONE = frozenset(ROLES)
COORDINATORS = frozenset(MANAGER_ROLES)


@dataclass(frozen=True)
class Permission:
    """The roles allowed per relation, and the rule in words: ``says`` is stable English for programs and the
    README (``rule_says`` in refusals); people read ``RULE_READS``, translated."""

    roles: dict[str, frozenset[str]]
    says: str


# fmt: off
PERMISSIONS: dict[str, Permission] = {
    "assign":   Permission({"owner_team": LEADS, "area_coordinator": COORDINATORS},
                           "the owner team's lead or a coordinator of the area assigns"),
    "start":    Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           "only the owner team, the assignee or a coordinator of the area starts work"),
    "resolve":  Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           "only the owner team, the assignee or a coordinator of the area resolves"),
    "verify":   Permission({"owner_team": LEADS, "reporting_team": TEAM, "area_coordinator": COORDINATORS},
                           "the reporting team, the owner team's lead or a coordinator of the area verifies, "
                           "never the resolver's team"),
    "close":    Permission({"owner_team": LEADS, "reporting_team": LEADS, "area_coordinator": COORDINATORS},
                           "the lead of the owner or reporting team, or a coordinator of the area closes"),
    "reopen":   Permission({"reporting_team": TEAM, "area_coordinator": COORDINATORS},
                           "the reporting team or a coordinator of the area reopens"),
    "escalate": Permission({"owner_team": TEAM, "assignee": ANYONE, "area_coordinator": COORDINATORS},
                           "the owner team, the assignee or a coordinator of the area escalates"),
    "edit":     Permission({"owner_team": LEADS, "area_coordinator": COORDINATORS},
                           "the owner team's lead or a coordinator of the area edits"),
    "comment":  Permission({relation: ANYONE for relation in RELATIONS},
                           "anyone who can read the ticket or has a part in it comments"),
}
# fmt: on


# The rules in people's words, one sentence each (whole sentences: word order differs in Vietnamese).
RULE_READS = {
    "assign": lazy_gettext("The owner team's lead or a coordinator of the area assigns this ticket."),
    "start": lazy_gettext("Only the owner team, the assignee or a coordinator of the area starts work on this ticket."),
    "resolve": lazy_gettext("Only the owner team, the assignee or a coordinator of the area resolves this ticket."),
    "verify": lazy_gettext(
        "The reporting team, the owner team's lead or a coordinator of the area verifies this ticket, "
        "never the resolver's team."
    ),
    "close": lazy_gettext("The lead of the owner or reporting team, or a coordinator of the area closes this ticket."),
    "reopen": lazy_gettext("The reporting team or a coordinator of the area reopens this ticket."),
    "escalate": lazy_gettext("The owner team, the assignee or a coordinator of the area escalates this ticket."),
    "edit": lazy_gettext("The owner team's lead or a coordinator of the area edits this ticket."),
    "comment": lazy_gettext("Anyone who can read the ticket or has a part in it comments on it."),
}


class NotPermitted(Forbidden):
    """A refusal naming the rule (``rule``: the action) and what it says: ``rule_says`` in stable English for
    programs, ``detail`` in the reader's language."""

    def __init__(self, action: str, detail: str | None = None):
        rule = PERMISSIONS[action].says
        super().__init__(detail or _("You may not do this: %(rule)s", rule=RULE_READS[action]))
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
