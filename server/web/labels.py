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
