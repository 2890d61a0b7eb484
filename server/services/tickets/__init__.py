"""Tickets: opening and joining them by rules (``opening``), people acting on them (``workflow``, checked
against the table in ``permissions``), and the queues that list them (``queues``). Who owns a ticket and its
title come from ``routing``; what the modules share is in ``common``."""

from server.services.tickets.common import add_event, all_rules, escalate_to_province, higher_priority, rule_for
from server.services.tickets.opening import Signal, create_ticket, open_or_join_many
from server.services.tickets.permissions import PERMISSIONS, NotPermitted, permits, relations
from server.services.tickets.queues import (
    REPORTER_HEARS_CLOSE_FOR,
    TICKET_STATUS_ORDER,
    get_ticket,
    overdue_condition,
    queue_cursor,
    queue_query,
    status_counts,
    visible_tickets,
)
from server.services.tickets.workflow import (
    TRANSITIONS,
    StaleVersion,
    VersionRequired,
    allowed_actions,
    attach_file,
    check_version,
    comment_on,
    escalate_overdue,
    may_verify,
    transition,
    update_ticket,
)

__all__ = [
    "PERMISSIONS",
    "REPORTER_HEARS_CLOSE_FOR",
    "TICKET_STATUS_ORDER",
    "TRANSITIONS",
    "NotPermitted",
    "Signal",
    "StaleVersion",
    "VersionRequired",
    "add_event",
    "all_rules",
    "allowed_actions",
    "attach_file",
    "check_version",
    "comment_on",
    "create_ticket",
    "escalate_overdue",
    "escalate_to_province",
    "get_ticket",
    "higher_priority",
    "may_verify",
    "open_or_join_many",
    "overdue_condition",
    "permits",
    "queue_cursor",
    "queue_query",
    "relations",
    "rule_for",
    "status_counts",
    "transition",
    "update_ticket",
    "visible_tickets",
]
