"""XLSForm import: what it supports comes over as a survey version; what it does not is reported by sheet, row
and column, and stops the import unless the caller accepts to skip it."""

import uuid
from io import BytesIO

from surveys.xlsform import XLSFormError, read_xlsform
from tests.helpers import assert_problem
from tests.records_factory import observed
from tests.surveys.xlsforms import UNSUPPORTED_HEADER, UNSUPPORTED_ROWS, workbook


def upload(client, headers, data: bytes, filename="village_check.xlsx", **args):
    query = {key: str(value).lower() for key, value in args.items()}
    return client.post(
        "/api/v1/surveys/import",
        query_string=query,
        data={"file": (BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_select_one_constraints_relevance_and_repeat_import():
    """The form's structure, choices, constraint and relevance come over unchanged."""
    result = read_xlsform(workbook(), "village_check.xlsx")
    assert result.unsupported == []
    assert (result.code, result.title, result.form_version) == ("village_check", "Village check", "2025-11")
    questions = {q["name"]: q for q in result.definition["questions"]}
    assert list(questions) == ["village", "households", "has_signal", "why_no_signal", "equipment", "spots"]
    assert questions["households"]["constraint"] == ". >= 1 and . <= 5000"
    assert questions["households"]["constraint_message"] == "1 to 5000"
    assert questions["has_signal"]["type"] == "select_one" and questions["has_signal"]["required"] is True
    assert [c["name"] for c in questions["has_signal"]["choices"]] == ["yes", "no"]
    assert questions["why_no_signal"]["relevant"] == "${has_signal} = 'no'"
    assert questions["equipment"]["type"] == "group"
    spots = questions["spots"]
    assert spots["type"] == "repeat" and [q["name"] for q in spots["questions"]] == ["spot", "bars", "operators"]
    assert spots["questions"][2]["type"] == "select_multiple"


def test_unsupported_items_are_reported_with_sheet_row_and_column():
    """A function we do not evaluate, a calculate and an image question, an unknown column, and a condition on a
    question that was not imported: each named where it is."""
    result = read_xlsform(workbook(UNSUPPORTED_ROWS, UNSUPPORTED_HEADER), "form.xlsx")
    where = {(issue.sheet, issue.row, issue.column) for issue in result.unsupported}
    assert {("survey", 3, "E"), ("survey", 4, "A"), ("survey", 4, "H"), ("survey", 5, "A"), ("survey", 6, "G")} <= where
    messages = " | ".join(issue.message for issue in result.unsupported)
    assert "regex() is not supported" in messages
    assert "Question type 'calculate' is not supported" in messages
    assert "Question type 'image' is not supported" in messages
    assert "${double} is not a question" in messages
    names = [q["name"] for q in result.definition["questions"]]
    assert names == ["village", "households", "comment"]
    assert "relevant" not in result.definition["questions"][2]


def test_extra_sheets_and_choice_columns_are_reported():
    choices = [("list_name", "name", "label", "region"), ("yes_no", "yes", "Yes", "north"), ("yes_no", "no", "No", "")]
    rows = [("select_one yes_no", "ok", "OK?", "", "", "", "")]
    result = read_xlsform(workbook(rows, choices=choices, extra={"external_choices": [("list_name", "name")]}))
    where = {(issue.sheet, issue.row, issue.column) for issue in result.unsupported}
    assert ("choices", 2, "D") in where and ("external_choices", None, None) in where


def test_a_workbook_pyxform_rejects_names_the_row():
    """pyxform's own checks (here a choice list that does not exist) stop the import with its message."""
    rows = [("text", "a", "A", "", "", "", ""), ("select_one nowhere", "b", "B", "", "", "", "")]
    try:
        read_xlsform(workbook(rows))
    except XLSFormError as error:
        assert error.issues[0].row == 3 and "nowhere" in error.issues[0].message
    else:
        raise AssertionError("expected an XLSFormError")


def test_import_endpoint_creates_a_survey_and_its_version(client, make_user):
    """Coordinators import a clean form: 201 with the version; the same file again adds nothing (200)."""
    _, headers = make_user("coordinator")
    reply = upload(client, headers, workbook())
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert body["created"] and body["unsupported"] == []
    assert body["version"]["code"] == "village_check" and body["version"]["number"] == 1
    assert body["version"]["source"] == "xlsform"
    again = upload(client, headers, workbook())
    assert again.status_code == 200 and not again.get_json()["created"]


def test_import_refuses_unsupported_items_unless_told_to_skip_them(client, make_user):
    """By default the list of unsupported items comes back as a 422; with skip_unsupported the rest is imported
    and the list is kept with the version."""
    _, headers = make_user("admin")
    data = workbook(UNSUPPORTED_ROWS, UNSUPPORTED_HEADER)
    refused = assert_problem(upload(client, headers, data, "centre.xlsx"), 422)
    issues = refused["errors"]["file"]
    assert any((i["sheet"], i["row"], i["column"]) == ("survey", 5, "A") for i in issues)
    accepted = upload(client, headers, data, "centre.xlsx", skip_unsupported=True, code="centre_check")
    assert accepted.status_code == 201, accepted.get_json()
    version = accepted.get_json()["version"]
    assert version["code"] == "centre_check" and len(version["import_report"]) == len(issues)


def test_answers_to_an_imported_form_are_validated(client, make_user, make_site):
    """The imported repeat, constraint, choices and relevance apply to answers."""
    make_site(commune="04603", lat=21.72, lon=104.92)
    _, coordinator = make_user("coordinator")
    version = upload(client, coordinator, workbook()).get_json()["version"]
    _, headers = make_user("field_member", province="15")
    url = f"/api/v1/surveys/{version['survey_id']}/versions/1/responses"
    answers = {
        "village": "Thôn 2",
        "households": 80,
        "has_signal": "yes",
        "printer": "working",
        "spots": [{"spot": {"lat": 21.72, "lon": 104.92}, "bars": 2, "operators": ["viettel"]}],
    }
    body = {"id": str(uuid.uuid4()), "observed_at": observed(), "lat": 21.72, "lon": 104.92, "answers": answers}
    assert client.post(url, json=body, headers=headers).status_code == 201
    bad = {**answers, "households": 0, "has_signal": "maybe", "spots": [{"bars": 0, "operators": ["viettel"]}]}
    body = {**body, "id": str(uuid.uuid4()), "answers": bad}
    errors = assert_problem(client.post(url, json=body, headers=headers), 422)["errors"]["answers"]
    assert set(errors) == {"households", "has_signal", "spots"}
    assert errors["households"] == ["1 to 5000"]
    assert set(errors["spots"]["0"]) == {"spot", "operators"}


def test_not_a_workbook_is_a_clear_422(client, make_user):
    _, headers = make_user("admin")
    errors = assert_problem(upload(client, headers, b"not a spreadsheet", "form.xlsx"), 422)["errors"]
    assert "Not an .xlsx workbook" in errors["file"][0]["message"]


def test_field_members_cannot_import(client, make_user):
    _, headers = make_user("field_member")
    assert_problem(upload(client, headers, workbook()), 403)
