"""Examples of the team, user, token and "me" endpoints for the OpenAPI document (a test validates each against
its schema)."""

TEAM_CREATE = {
    "name": "Tổ công nghệ số cộng đồng xã Tà Xi Láng",
    "kind": "community_digital_team",
    "jurisdiction": ["04603"],
}
TEAM = {"id": 5, **TEAM_CREATE, "created_at": "2026-10-01T02:00:00+00:00"}
TEAM_PATCH = {"name": "Tổ công nghệ số cộng đồng xã Tà Xi Láng và Trạm Tấu", "jurisdiction": ["04603", "04606"]}
TEAMS = {"items": [TEAM], "next_cursor": None}

USER_CREATE = {
    "username": "nguyen.van.minh", "display_name": "Nguyễn Văn Minh", "role": "field_member", "team_id": 5,
    "jurisdiction_code": None,
}  # fmt: skip
USER = {"id": 7, **USER_CREATE, "active": True, "created_at": "2026-10-01T02:05:00+00:00"}
USER_PATCH = {"role": "team_lead", "display_name": "Nguyễn Văn Minh (tổ trưởng)"}
USERS = {"items": [USER], "next_cursor": None}

ME = {
    **USER, "team": TEAM,
    "scope": {"everywhere": False, "provinces": [], "communes": ["04603"]},
}  # fmt: skip

TOKEN = {
    "id": 23, "user_id": 7, "prefix": "fo_7OQNyg", "label": "Samsung Galaxy A15",
    "created_at": "2026-11-20T01:30:00+00:00", "expires_at": "2027-02-18T01:30:00+00:00",
    "revoked_at": None, "last_used_at": "2026-11-29T09:12:44+00:00",
}  # fmt: skip
TOKENS = {"items": [TOKEN], "next_cursor": None}
TOKEN_CREATE = {"label": "Máy tính bảng tổ công nghệ số", "ttl_days": 90}
ISSUED = {
    **TOKEN, "label": TOKEN_CREATE["label"], "last_used_at": None,
    "token": "fo_7OQNyg8v2BmZ45L-M_510wrUk61Owjc9bcjpYC9ER8Y",
}  # fmt: skip
SIGN_IN = {"username": "nguyen.van.minh", "password": "mật-khẩu-của-bạn", "label": "Samsung Galaxy A15"}
SIGNED_IN = {**TOKEN, "last_used_at": None, "token": ISSUED["token"]}
