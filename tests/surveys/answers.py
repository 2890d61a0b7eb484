"""Complete valid answer sets of the built-in templates, and broken variants with the questions they break."""

import uuid

from tests.records_factory import observed

CHECKLIST = {
    "staff_assigned": 8,
    "staff_present": 6,
    "staff_trained_portal": 4,
    "computers_total": 4,
    "computer": "working",
    "printer": "broken",
    "printer_notes": "paper feed jammed since October",
    "scanner": "working",
    "queue_display": "not_applicable",
    "power_supply": "stable",
    "power_backup": "working",
    "internet_connection": "fiber",
    "internet_provider": "vnpt",
    "download_mbps": 45.5,
    "portal_reachable": True,
    "digital_signatures_issued": 12,
    "online_applications": 140,
    "problem": "Only one officer can sign documents",
    "problem_category": "staffing",
    "problem_severity": "medium",
    "problem_beyond_local": False,
}
CHECKLIST_BAD = {
    **CHECKLIST,
    "staff_present": 10,  # more than assigned: constraint
    "printer": "smashed",  # not a choice
    "digital_signatures_issued": "twelve",  # type
    "internet_connection": "none",  # so provider and speed must be empty: relevance
    "power_supply": None,  # required
    "problem_category": None,  # required because a problem is described
}
CHECKLIST_BAD_QUESTIONS = {
    "staff_present",
    "printer",
    "digital_signatures_issued",
    "internet_provider",
    "download_mbps",
    "power_supply",
    "problem_category",
}

VILLAGE = {
    "village_name": "Thôn 3",
    "households": 120,
    "households_with_smartphone": 80,
    "grid_power": "most",
    "fixed_broadband": "no",
    "readings": [
        {"spot": {"lat": 21.721, "lon": 104.921}, "operator": "viettel", "network": "none"},
        {
            "spot": {"lat": 21.722, "lon": 104.919},
            "operator": "mobifone",
            "network": "4g",
            "signal_dbm": -95,
            "download_mbps": 12.5,
        },
    ],
    "coverage_problem": "No signal near the school",
    "coverage_problem_severity": "high",
}
VILLAGE_BAD = {
    **VILLAGE,
    "households_with_smartphone": 200,  # more than the households
    "colour": "green",  # not a question
    "readings": [
        {"spot": {"lat": 21.721, "lon": 104.921}, "operator": "viettel", "network": "none", "signal_dbm": -100},
        {"operator": "mobifone", "network": "4g", "signal_dbm": -10},
    ],
}
VILLAGE_BAD_QUESTIONS = {"households_with_smartphone", "colour", "readings"}

ASSISTANCE = {
    "service": "digital_id",
    "citizens_helped": 14,
    "language_support": 6,
    "languages": ["hmong", "dao"],
    "outcome": "partly",
    "blocker": "SMS codes did not arrive",
    "blocker_category": "connectivity",
}
ASSISTANCE_BAD = {
    "service": "digital_id",
    "citizens_helped": 14,
    "language_support": 20,  # more than helped
    "languages": ["klingon"],  # not a choice
    "blocker": "SMS codes did not arrive",  # outcome missing: required, and so blocker does not apply
}
ASSISTANCE_BAD_QUESTIONS = {"language_support", "languages", "outcome", "blocker"}

FOLLOW_UP = {
    "ticket_id": 12,
    "resolved": "partly",
    "asset_kind": "printer",
    "asset_label": "Canon LBP2900 #2",
    "asset_condition": "degraded",
    "remaining_problem": "prints faint pages",
    "remaining_category": "equipment",
    "citizen_feedback": "neutral",
    "verified_on": "2026-11-20",
}
FOLLOW_UP_BAD = {
    "ticket_id": 0,  # constraint
    "resolved": "yes",
    "asset_kind": "printer",  # so a condition is required
    "remaining_problem": "prints faint pages",  # resolved: does not apply
    "verified_on": "20/11/2026",  # type
}
FOLLOW_UP_BAD_QUESTIONS = {"ticket_id", "asset_condition", "remaining_problem", "verified_on"}

TEMPLATES = {
    "commune_service_centre_checklist": (CHECKLIST, CHECKLIST_BAD, CHECKLIST_BAD_QUESTIONS),
    "village_connectivity_survey": (VILLAGE, VILLAGE_BAD, VILLAGE_BAD_QUESTIONS),
    "citizen_assistance_log": (ASSISTANCE, ASSISTANCE_BAD, ASSISTANCE_BAD_QUESTIONS),
    "follow_up_verification_visit": (FOLLOW_UP, FOLLOW_UP_BAD, FOLLOW_UP_BAD_QUESTIONS),
}
# The field records each valid answer set makes, by kind.
EXPECTED_RECORDS = {
    "commune_service_centre_checklist": {"equipment_check": 4, "connectivity_reading": 1, "finding": 1},
    "village_connectivity_survey": {"connectivity_reading": 2, "finding": 1},
    "citizen_assistance_log": {"assistance_log": 1, "finding": 1},
    "follow_up_verification_visit": {"equipment_check": 1, "finding": 1},
}


def response(answers: dict, site_id: int | None = None, **fields) -> dict:
    """A response as a phone sends it (lat/lon inside commune 04603)."""
    body = {"id": str(uuid.uuid4()), "observed_at": observed(), "lat": 21.72, "lon": 104.92, "answers": answers}
    if site_id is not None:
        body["site_id"] = site_id
    return {**body, **fields}
