"""Examples of the survey and review endpoints for the OpenAPI document (a test validates each against its
schema)."""

from field_app_api.records.examples import PLACE, SERVER_FIELDS

DEFINITION = {
    "title": {"vi": "Kiểm tra điểm phục vụ hành chính công xã", "en": "Commune service centre checklist"},
    "questions": [
        {
            "name": "counters_open",
            "type": "integer",
            "label": {"vi": "Số quầy đang mở", "en": "Counters open"},
            "required": True,
        },
        {
            "name": "internet",
            "type": "select_one",
            "label": {"vi": "Kết nối Internet", "en": "Internet connection"},
            "choices": [
                {"name": "good", "label": {"vi": "Tốt", "en": "Good"}},
                {"name": "slow", "label": {"vi": "Chậm", "en": "Slow"}},
                {"name": "none", "label": {"vi": "Không có", "en": "None"}},
            ],
        },
    ],
}
CREATE = {"code": "commune_service_centre_checklist", "definition": DEFINITION}
VERSION_SUMMARY = {
    "id": 9, "number": 2, "title": DEFINITION["title"]["vi"], "source": "api", "source_name": "",
    "content_hash": "41df540bd01dbcd18935dafb9279ddf07a1e2da65025ddb15045a276b319b1e9",
    "created_at": "2026-11-02T03:00:00+00:00", "created_by_id": 9,
}  # fmt: skip
VERSION = {
    **VERSION_SUMMARY, "survey_id": 2, "code": CREATE["code"], "definition": DEFINITION, "import_report": [],
    "updated_at": "2026-11-02T03:00:00+00:00",
}  # fmt: skip
VERSIONS = {"items": [VERSION_SUMMARY], "next_cursor": None}
SURVEY = {
    "id": 2, "code": CREATE["code"], "title": DEFINITION["title"]["vi"], "description": "",
    "created_at": "2026-10-01T02:00:00+00:00", "latest_version": 2, "versions": [VERSION_SUMMARY],
}  # fmt: skip
SURVEYS = {"items": [SURVEY], "next_cursor": None}
IMPORTED = {
    "created": True,
    "version": {**VERSION, "source": "xlsform", "source_name": "kiem-tra-diem-phuc-vu.xlsx"},
    "warnings": [{"sheet": "survey", "row": 7, "column": "appearance", "message": "appearance 'likert' is ignored"}],
}
RESPONSE_SENT = {
    "id": "7d2a9c4e-3b1f-4e6a-8c5d-2f0b9e7a1c34", "observed_at": "2026-11-20T09:00:00+07:00", **PLACE,
    "answers": {"counters_open": 4, "internet": "slow"},
}  # fmt: skip
RESPONSE = {
    **RESPONSE_SENT, **SERVER_FIELDS, "site_id": 12, "visit_id": "3c1f6a2e-7b4d-4f0a-9e21-5d8c7b6a4e10",
    "survey_id": 2, "version": 2, "corrects": None, "records": [],
}  # fmt: skip
RESPONSES = {"items": [RESPONSE], "next_cursor": None}

REVIEW = {"state": "has_issues", "version": 1, "comment": "Thiếu ảnh quầy số 3, đề nghị bổ sung"}


def review_state(kind: str) -> dict:
    """A record of ``kind`` sent back to its team with issues."""
    return {
        "record_kind": kind,
        "record_id": "5f1d7c3a-8e2b-4b6f-a0c4-2d9e7b1a3c55",
        "state": REVIEW["state"],
        "version": 2,
        "comment": REVIEW["comment"],
        "reviewer_id": 9,
        "reviewed_at": "2026-11-21T02:40:00+00:00",
        "superseded_by": None,
    }
