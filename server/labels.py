"""What people read instead of codes: one label table per vocabulary, keyed by the codes the models define.

Every page, map, export and message asks here (``label(code, "ticket_status")``, or the Jinja filter
``{{ ticket.status|label("ticket_status") }}``); the API keeps the codes. The Vietnamese words are those used in
the field (see ``translations/GLOSSARY.md``)."""

from flask_babel import lazy_gettext as _l

VOCABULARIES: dict[str, dict[str, object]] = {
    "asset_kind": {
        "computer": _l("Desktop computer"),
        "laptop": _l("Laptop"),
        "printer": _l("Printer"),
        "scanner": _l("Scanner"),
        "queue_display": _l("Queue number display"),
        "network_device": _l("Network device"),
        "power_backup": _l("Backup power (UPS)"),
        "id_card_reader": _l("ID card reader"),
        "other": _l("Other equipment"),
    },
    "site_kind": {
        "commune_service_centre": _l("Commune public service centre"),
        "village": _l("Village"),
        "school": _l("School"),
        "health_station": _l("Health station"),
        "cell_tower": _l("Cell tower"),
        "other": _l("Other place"),
    },
    "network": {
        "none": _l("No signal"),
        "2g": "2G",
        "3g": "3G",
        "4g": "4G",
        "5g": "5G",
        "fixed_broadband": _l("Fixed broadband"),
        "fiber": _l("Fibre"),
        "satellite": _l("Satellite"),
    },
    "ticket_status": {
        "open": _l("New"),
        "assigned": _l("Assigned"),
        "in_progress": _l("In progress"),
        "resolved": _l("Resolved"),
        "verified": _l("Verified"),
        "closed": _l("Closed"),
        "escalated": _l("Escalated to the province"),
        "reopened": _l("Reopened"),
    },
    "ticket_status_group": {
        "active": _l("Waiting for action"),
        "done": _l("Done (resolved, verified or closed)"),
    },
    "ticket_action": {
        "assign": _l("Assign"),
        "start": _l("Start work"),
        "resolve": _l("Mark resolved"),
        "verify": _l("Verify the fix"),
        "close": _l("Close"),
        "reopen": _l("Reopen"),
        "escalate": _l("Escalate to the province"),
        "edit": _l("Edit"),
        "comment": _l("Comment"),
    },
    "category": {
        "equipment": _l("Equipment"),
        "connectivity": _l("Connectivity"),
        "power": _l("Power"),
        "software": _l("Software"),
        "staffing": _l("Staffing"),
        "training": _l("Training"),
        "procedure": _l("Procedure"),
        "facility": _l("Facility"),
    },
    "team_kind": {
        "working_group": _l("Go-see-fix working group"),
        "community_digital_team": _l("Community digital technology team"),
        "youth_volunteer_team": _l("Youth volunteer team"),
        "commune_staff": _l("Commune officers"),
        "province_department": _l("Provincial department"),
    },
    "role": {
        "field_member": _l("Team member"),
        "team_lead": _l("Team leader"),
        "coordinator": _l("Coordinator"),
        "admin": _l("Administrator"),
    },
    "service": {
        "digital_id": _l("Electronic identification (VNeID)"),
        "online_public_service": _l("Online public services"),
        "e_payment": _l("Electronic payment"),
        "other": _l("Other service"),
    },
    "record_kind": {
        "visit": _l("Visit"),
        "equipment_check": _l("Equipment check"),
        "connectivity_reading": _l("Connectivity reading"),
        "assistance_log": _l("Help given to citizens"),
        "finding": _l("Finding"),
        "ticket": _l("Ticket"),
        "survey_response": _l("Survey response"),
    },
    "review_state": {
        "received": _l("Received"),
        "approved": _l("Approved"),
        "has_issues": _l("Has issues"),
        "rejected": _l("Rejected"),
    },
    "condition": {
        "working": _l("Working"),
        "degraded": _l("Degraded"),
        "broken": _l("Broken"),
        "missing": _l("Missing"),
    },
    "severity": {
        "low": _l("Low"),
        "medium": _l("Medium"),
        "high": _l("High"),
        "critical": _l("Critical"),
    },
    "level": {
        "province": _l("Province"),
        "commune": _l("Commune"),
    },
    "account_action": {
        "created": _l("Account created"),
        "password_set": _l("Password set"),
        "password_reset": _l("Temporary password set"),
        "changed": _l("Account changed"),
        "disabled": _l("Account disabled"),
        "enabled": _l("Account enabled"),
        "device_enrolled": _l("Device enrolled"),
        "device_revoked": _l("Device token revoked"),
    },
    # Each language named in its own words, the same whatever the page's language.
    "locale": {"vi": "Tiếng Việt", "en": "English"},
    # What a ticket's history says happened (``TicketEvent.action``).
    "ticket_event": {
        "created": _l("Opened"),
        "joined": _l("Report joined"),
        "assign": _l("Assigned"),
        "start": _l("Work started"),
        "resolve": _l("Resolved"),
        "verify": _l("Verified"),
        "close": _l("Closed"),
        "reopen": _l("Reopened"),
        "reopened": _l("Reopened"),
        "escalated": _l("Escalated to the province"),
        "commented": _l("Comment"),
        "updated": _l("Edited"),
        "attachment_added": _l("File attached"),
    },
    "plan_status": {
        "active": _l("Active"),
        "paused": _l("Paused"),
    },
    "interval_unit": {
        "day": _l("day(s)"),
        "week": _l("week(s)"),
        "month": _l("month(s)"),
    },
    "planned_visit_status": {
        "due": _l("To visit"),
        "fulfilled": _l("Visited"),
        "missed": _l("Missed (overdue)"),
        "cancelled": _l("Withdrawn"),
    },
    # What a visit plan's history says happened (``VisitPlanEvent.action``).
    "visit_plan_event": {
        "created": _l("Plan created"),
        "changed": _l("Plan changed"),
        "paused": _l("Plan paused"),
        "resumed": _l("Plan resumed"),
    },
    # What notifications tell about (``NotificationEvent.kind``).
    "notification_event": {
        "ticket_assigned": _l("Ticket assigned"),
        "ticket_due_soon": _l("Ticket due soon"),
        "ticket_overdue": _l("Ticket overdue"),
        "ticket_escalated": _l("Ticket escalated to the province"),
        "ticket_resolved": _l("Ticket resolved: please verify"),
        "ticket_verified": _l("Ticket verified"),
        "ticket_reopened": _l("Ticket reopened"),
        "review_has_issues": _l("Review found issues"),
        "visit_plan_missed": _l("Planned visit missed"),
        "webhook_paused": _l("Webhook paused"),
    },
    "delivery_status": {
        "pending": _l("Waiting"),
        "sent": _l("Sent"),
        "failed": _l("Failed"),
        "skipped": _l("Not sent"),
    },
    "channel": {
        "email": _l("E-mail"),
        "digest": _l("Daily digest e-mail"),
        "webhook": _l("Webhook"),
    },
    "team_email_mode": {
        "each": _l("One e-mail per event"),
        "digest": _l("One digest e-mail a day"),
        "off": _l("No e-mail"),
    },
    "notification_setting_action": {
        "changed": _l("Notification settings changed"),
        "webhook_created": _l("Webhook registered"),
        "webhook_changed": _l("Webhook changed"),
        "webhook_deleted": _l("Webhook deleted"),
        "webhook_paused": _l("Webhook paused"),
        "webhook_resumed": _l("Webhook resumed"),
    },
}
# Ticket priorities use the same words as finding severities.
VOCABULARIES["priority"] = VOCABULARIES["severity"]


def label(code, vocabulary: str) -> str:
    """The label of ``code`` in the current language; an unknown code is shown as it is (never an error)."""
    if code is None:
        return "–"
    found = VOCABULARIES[vocabulary].get(code)
    return str(found) if found is not None else str(code)


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """(code, label) pairs in the vocabulary's order, for select boxes."""
    return [(code, str(text)) for code, text in VOCABULARIES[vocabulary].items()]
