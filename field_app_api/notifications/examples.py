"""Examples of the notification settings and webhook endpoints for the OpenAPI document (a test validates each
against its schema)."""

MY_SETTINGS_PUT = {
    "email": "minh.nv@laocai.gov.vn",
    "events": ["ticket_assigned", "ticket_due_soon", "review_has_issues"],
}
MY_SETTINGS = {**MY_SETTINGS_PUT, "team_email_mode": "each", "locale": "vi"}
TEAM_SETTINGS_PUT = {
    "email": "tocongngheso.taxilang@laocai.gov.vn", "events": ["ticket_assigned", "visit_plan_missed"],
    "team_email_mode": "digest", "locale": "vi",
}  # fmt: skip
TEAM_SETTINGS = TEAM_SETTINGS_PUT
WEBHOOK_CREATE = {
    "url": "https://hethong.sotttt.laocai.gov.vn/fieldops/hook", "events": ["ticket_escalated", "ticket_overdue"],
    "area_code": "15", "description": "Hệ thống điều hành của Sở Khoa học và Công nghệ Lào Cai",
}  # fmt: skip
WEBHOOK = {
    "id": 3, **WEBHOOK_CREATE, "owner_id": 9, "created_at": "2026-11-01T02:00:00+00:00", "paused_at": None,
    "failure_streak": 0, "secret": "whsec_4f9c2a7e1b6d8305a2c47e91f0b3d6a8",
}  # fmt: skip
WEBHOOKS = {"items": [WEBHOOK], "next_cursor": None}
ATTEMPTS = {
    "items": [
        {"id": 812, "delivery_id": 640, "at": "2026-11-28T07:31:05+00:00", "status_code": 200, "error": "",
         "duration_ms": 184},
        {"id": 811, "delivery_id": 639, "at": "2026-11-28T07:30:02+00:00", "status_code": None,
         "error": "connection timed out", "duration_ms": 10000},
    ],
    "next_cursor": "WzgxMV0",
}  # fmt: skip
