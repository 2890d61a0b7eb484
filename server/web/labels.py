"""Labels people read for the codes of accounts and teams: one place, translated here."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "field_member": _l("Field member"),
    "team_lead": _l("Team lead"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}
TEAM_KIND_LABELS = {
    "working_group": _l("Working group"),
    "community_digital_team": _l("Community digital technology team"),
    "youth_volunteer_team": _l("Youth volunteer team"),
    "commune_staff": _l("Commune staff"),
    "province_department": _l("Province department"),
}
LOCALE_LABELS = {"vi": "Tiếng Việt", "en": "English"}  # each language in its own words
ACCOUNT_ACTION_LABELS = {
    "created": _l("Account created"),
    "password_set": _l("Password set"),
    "password_reset": _l("Temporary password set"),
    "changed": _l("Account changed"),
    "disabled": _l("Account disabled"),
    "enabled": _l("Account enabled"),
    "device_enrolled": _l("Device enrolled"),
    "device_revoked": _l("Device token revoked"),
}
