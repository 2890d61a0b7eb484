"""Notifications: events recorded in the caller's transaction (``events.record_event``), fanned out to the people,
teams and webhooks that asked for them (``dispatch``), and sent by e-mail or signed webhook with retries
(``delivery``). Settings and webhook registration in ``settings`` and ``webhooks``."""

from server.models.notifications import EVENT_KINDS, SUBSCRIBABLE_KINDS
from server.services.notifications.events import record_event, record_ticket_event

__all__ = ["EVENT_KINDS", "SUBSCRIBABLE_KINDS", "record_event", "record_ticket_event"]
