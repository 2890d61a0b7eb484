"""Labels people read for the codes of accounts and teams: one place, translated here."""

from flask_babel import lazy_gettext

ROLE_LABELS = {
    "field_member": lazy_gettext("Field member"),
    "team_lead": lazy_gettext("Team lead"),
    "coordinator": lazy_gettext("Coordinator"),
    "admin": lazy_gettext("Administrator"),
}
TEAM_KIND_LABELS = {
    "working_group": lazy_gettext("Working group"),
    "community_digital_team": lazy_gettext("Community digital technology team"),
    "youth_volunteer_team": lazy_gettext("Youth volunteer team"),
    "commune_staff": lazy_gettext("Commune staff"),
    "province_department": lazy_gettext("Province department"),
}
LOCALE_LABELS = {"vi": "Tiếng Việt", "en": "English"}  # each language in its own words
ACCOUNT_ACTION_LABELS = {
    "created": lazy_gettext("Account created"),
    "password_set": lazy_gettext("Password set"),
    "password_reset": lazy_gettext("Temporary password set"),
    "changed": lazy_gettext("Account changed"),
    "disabled": lazy_gettext("Account disabled"),
    "enabled": lazy_gettext("Account enabled"),
    "device_enrolled": lazy_gettext("Device enrolled"),
    "device_revoked": lazy_gettext("Device token revoked"),
}
TICKET_STATUS_LABELS = {
    "open": lazy_gettext("New"),
    "assigned": lazy_gettext("Assigned"),
    "in_progress": lazy_gettext("In progress"),
    "resolved": lazy_gettext("Resolved"),
    "verified": lazy_gettext("Verified"),
    "closed": lazy_gettext("Closed"),
    "escalated": lazy_gettext("Escalated to the province"),
    "reopened": lazy_gettext("Reopened"),
}
PRIORITY_LABELS = {
    "low": lazy_gettext("Low"),
    "medium": lazy_gettext("Medium"),
    "high": lazy_gettext("High"),
    "critical": lazy_gettext("Critical"),
}
CATEGORY_LABELS = {
    "equipment": lazy_gettext("Equipment"),
    "connectivity": lazy_gettext("Connectivity"),
    "power": lazy_gettext("Power"),
    "software": lazy_gettext("Software"),
    "staffing": lazy_gettext("Staffing"),
    "training": lazy_gettext("Training"),
    "procedure": lazy_gettext("Procedure"),
    "facility": lazy_gettext("Facility"),
}
LEVEL_LABELS = {"commune": lazy_gettext("Commune"), "province": lazy_gettext("Province")}
RECORD_KIND_LABELS = {
    "visit": lazy_gettext("Visit"),
    "equipment_check": lazy_gettext("Equipment check"),
    "connectivity_reading": lazy_gettext("Connectivity reading"),
    "assistance_log": lazy_gettext("Assistance given"),
    "finding": lazy_gettext("Finding"),
}
# The buttons (what a person does) and the history lines (what happened) of a ticket.
TICKET_ACTION_LABELS = {
    "assign": lazy_gettext("Assign"),
    "start": lazy_gettext("Start work"),
    "comment": lazy_gettext("Comment"),
    "resolve": lazy_gettext("Resolve"),
    "verify": lazy_gettext("Verify"),
    "close": lazy_gettext("Close"),
    "reopen": lazy_gettext("Reopen"),
    "escalate": lazy_gettext("Escalate to the province"),
}
TICKET_EVENT_LABELS = {
    "created": lazy_gettext("Opened"),
    "joined": lazy_gettext("Report joined"),
    "assign": lazy_gettext("Assigned"),
    "start": lazy_gettext("Work started"),
    "resolve": lazy_gettext("Resolved"),
    "verify": lazy_gettext("Verified"),
    "close": lazy_gettext("Closed"),
    "reopen": lazy_gettext("Reopened"),
    "reopened": lazy_gettext("Reopened"),
    "escalated": lazy_gettext("Escalated to the province"),
    "commented": lazy_gettext("Comment"),
    "updated": lazy_gettext("Edited"),
    "attachment_added": lazy_gettext("File attached"),
}
