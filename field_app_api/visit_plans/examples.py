"""Examples of the visit plan endpoints for the OpenAPI document (a test validates each against its schema)."""

CREATE = {
    "team_id": 3,
    "title": "Hỗ trợ dịch vụ công trực tuyến hằng tháng",
    "every": 1,
    "unit": "month",
    "starts_on": "2026-12-01",
    "communes": ["04603"],
    "site_ids": [12],
}
PATCH = {"version": 1, "every": 2, "unit": "week"}
PAUSE = {"version": 2}
RESUME = {"version": 3}
TARGETS = [
    {"key": "commune:04603", "admin_unit_code": "04603", "province_code": "15", "site_id": None},
    {"key": "site:12", "admin_unit_code": "04603", "province_code": "15", "site_id": 12},
]
PLAN = {
    "id": 4, "team_id": 3, "title": CREATE["title"], "every": 1, "unit": "month", "starts_on": "2026-12-01",
    "ends_on": None, "status": "active", "targets": TARGETS, "version": 1,
    "created_at": "2026-11-25T02:00:00+00:00", "updated_at": "2026-11-25T02:00:00+00:00",
}  # fmt: skip
EVENTS = [
    {"at": "2026-11-25T02:00:00+00:00", "actor_id": 9, "action": "created",
     "changes": {"team_id": 3, "title": CREATE["title"], "every": 1, "unit": "month", "starts_on": "2026-12-01",
                 "ends_on": None, "targets": ["commune:04603", "site:12"]}},
]  # fmt: skip
DETAIL = {**PLAN, "events": EVENTS}
PATCHED = {
    **DETAIL, "every": 2, "unit": "week", "version": 2, "updated_at": "2026-11-26T01:00:00+00:00",
    "events": [{"at": "2026-11-26T01:00:00+00:00", "actor_id": 9, "action": "changed",
                "changes": {"every": [1, 2], "unit": ["month", "week"]}}, *EVENTS],
}  # fmt: skip
PAUSED = {**PLAN, "status": "paused", "version": 3, "updated_at": "2026-11-27T01:00:00+00:00"}
RESUMED = {**PLAN, "version": 4, "updated_at": "2026-11-28T01:00:00+00:00"}
PLANS = {"items": [PLAN], "next_cursor": None}
PLANNED_VISIT = {
    "id": 57, "plan_id": 4, "team_id": 3, "title": CREATE["title"], "target_key": "commune:04603",
    "admin_unit_code": "04603", "province_code": "15", "site_id": None, "window_start": "2026-12-01",
    "due_on": "2026-12-31", "starts_at": "2026-11-30T17:00:00+00:00", "ends_at": "2026-12-31T17:00:00+00:00",
    "status": "due", "overdue": False, "visit_id": None, "fulfilled_at": None, "missed_at": None,
    "updated_at": "2026-11-25T02:00:00+00:00",
}  # fmt: skip
PLANNED_VISITS = {"items": [PLANNED_VISIT], "total": 1, "overdue": 0, "next_cursor": None}
# The visits of one plan: every window so far, newest first, a page at a time.
PLAN_VISITS = {"items": [PLANNED_VISIT], "total": 1, "overdue": 0, "next_cursor": None}
