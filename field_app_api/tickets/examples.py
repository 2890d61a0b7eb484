"""Examples of the ticket endpoints' requests and answers for the OpenAPI document (tests load the requests
through their schemas)."""

CREATE = {
    "title": "Máy in hỏng tại Trung tâm phục vụ hành chính công xã",
    "category": "equipment",
    "admin_unit_code": "04603",
    "description": "Canon LBP2900 #2: paper feed jammed since October",
    "priority": "high",
    "lat": 22.3364,
    "lon": 104.1472,
}
TICKET = {
    "id": 41, "title": CREATE["title"], "description": CREATE["description"], "category": "equipment",
    "priority": "high", "status": "assigned", "overdue": False, "admin_unit_code": "04603", "province_code": "15",
    "site_id": 12, "owner_level": "commune", "owning_level": "commune", "owner_unit_code": "04603", "team_id": 3,
    "assignee_id": 7, "reported_by_team_id": 5, "lat": 22.3364, "lon": 104.1472, "h3_cell": "8841596a9bfffff",
    "signal_count": 1, "due_at": "2026-11-27T10:00:00+00:00", "created_at": "2026-11-20T02:20:11+00:00",
    "updated_at": "2026-11-20T03:02:45+00:00", "escalated_at": None, "resolved_at": None, "resolved_by_id": None,
    "resolution": "", "verified_at": None, "verified_by_id": None, "verification_evidence": None,
    "closed_at": None, "version": 2,
}  # fmt: skip
EVENTS = [
    {"id": 301, "at": "2026-11-20T02:20:11+00:00", "actor_id": None, "action": "opened", "from_status": None,
     "to_status": "open", "changes": {}, "comment": "", "source_kind": "equipment_check",
     "source_id": "5f1d7c3a-8e2b-4b6f-a0c4-2d9e7b1a3c55"},
    {"id": 305, "at": "2026-11-20T03:02:45+00:00", "actor_id": 9, "action": "assign", "from_status": "open",
     "to_status": "assigned", "changes": {"assignee_id": [None, 7]}, "comment": "Anh Minh xử lý trong tuần",
     "source_kind": None, "source_id": None},
]  # fmt: skip
DETAIL = {**TICKET, "events": EVENTS}
QUEUE = {
    "items": [TICKET],
    "counts": {"open": 2, "assigned": 1, "in_progress": 0, "escalated": 1, "reopened": 0, "resolved": 3,
               "verified": 1, "closed": 12, "overdue": 1},
    "next_cursor": "WzEsMSwiMjAyNi0xMS0yMFQwMjoyMDoxMSswMDowMCIsNDFd",
    "total": 21,
}  # fmt: skip
PATCH = {"version": 2, "priority": "critical", "due_at": "2026-11-25T17:00:00+07:00"}
TRANSITION = {"action": "start", "version": 2, "comment": "Đã liên hệ nhà cung cấp"}
STARTED = {**TICKET, "status": "in_progress", "version": 3, "updated_at": "2026-11-21T01:10:00+00:00"}
COMMENT = {"comment": "Linh kiện thay thế sẽ đến vào thứ Hai"}
COMMENT_EVENT = {
    "id": 312, "at": "2026-11-21T01:30:00+00:00", "actor_id": 7, "action": "comment", "from_status": None,
    "to_status": None, "changes": {}, "comment": COMMENT["comment"], "source_kind": None, "source_id": None,
}  # fmt: skip
RULE = {
    "category": "connectivity", "sla_working_days": 30, "priority": "high", "owning_level": "province",
    "updated_at": "2026-10-01T02:00:00+00:00",
}  # fmt: skip
RULES = {"items": [RULE], "next_cursor": None}
RULE_PATCH = {"sla_working_days": 20, "priority": "critical"}
DAY_OFF = {"day": "2027-02-17", "reason": "Tết Nguyên Đán (nghỉ bù)"}
DAYS_OFF = {"items": [{"day": "2027-02-16", "reason": "Tết Nguyên Đán"}, DAY_OFF], "next_cursor": None}
