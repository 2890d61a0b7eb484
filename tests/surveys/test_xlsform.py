"""XLSForm import with pyxform as the judge: what pyxform converts comes over as a survey version, with what
fieldops cannot act on kept as warnings (sheet, row, column); what pyxform rejects is refused with its message."""

import uuid
from io import BytesIO

import pytest

from surveys.xlsform import XLSFormError, read_xlsform
from tests.helpers import assert_problem
from tests.records_factory import observed
from tests.surveys.xlsforms import UNSUPPORTED_HEADER, UNSUPPORTED_ROWS, survey_only, workbook


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
    assert result.warnings == []
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


def test_what_fieldops_cannot_act_on_becomes_warnings_with_row_and_column(app):
    """A function fieldops does not evaluate, an audio question, metadata, and a condition on a question that was
    not imported: each a warning naming its row and column; the rest is imported."""
    result = read_xlsform(workbook(UNSUPPORTED_ROWS, UNSUPPORTED_HEADER), "form.xlsx")
    where = {(issue.sheet, issue.row, issue.column) for issue in result.warnings}
    assert {
        ("survey", 3, "constraint"),
        ("survey", 5, "type"),
        ("survey", 6, "relevant"),
        ("survey", 7, "type"),
    } <= where
    messages = " | ".join(issue.message for issue in result.warnings)
    assert "jr:choice-name() is not supported" in messages
    assert "media question 'audio'" in messages and "metadata 'start'" in messages
    assert [q["name"] for q in result.definition["questions"]] == ["village", "households", "comment"]
    assert "relevant" not in result.definition["questions"][2]


@pytest.mark.parametrize(
    "header, rows, expected",
    [
        (("type", "name", "label"), [("gps", "where", "Where")], {"type": "geopoint"}),
        (("type", "name", "label"), [("int", "n", "N")], {"type": "integer"}),
        (("type", "name", "label"), [("string", "s", "S")], {"type": "text"}),
        (("type", "name", "label"), [("dateTime", "at", "When")], {"type": "datetime"}),
        (("type", "name", "label"), [("photo", "p", "Photo")], {"type": "image"}),
        (("type", "name", "label"), [("trigger", "ok", "OK")], {"type": "acknowledge"}),
        (("type", "name", "label:English"), [("text", "t", "Text")], {"label": "Text"}),
        (("type", "name", "caption"), [("text", "t", "Text")], {"label": "Text"}),
        (
            ("type", "name", "label", "bind:relevant"),
            [("integer", "n", "N", ""), ("text", "t", "T", "${n} > 1")],
            {"relevant": "${n} > 1"},
        ),
        (("type", "name", "label", "readonly"), [("text", "t", "T", "yes")], {"read_only": True}),
    ],
)
def test_pyxforms_aliases_are_understood(app, header, rows, expected):
    """Other spellings pyxform accepts for types and columns are imported as what they stand for."""
    result = read_xlsform(survey_only([header, *rows]))
    question = result.definition["questions"][-1]
    assert {key: question.get(key) for key in expected} == expected
    assert result.warnings == []


@pytest.mark.parametrize(
    "rows, fragment, row",
    [
        ([("type", "name", "label"), ("text", "a", "")], "has no label or hint", None),
        ([("type", "name", "label"), ("text", "a", "A"), ("colour", "b", "B")], "Unknown question type 'colour'", None),
        ([("type", "name", "label"), ("text", "a", "A"), ("calculate", "c", "")], "Missing calculation", 3),
        ([("type", "name", "label"), ("text", "", "A")], "Question or group with no name", 2),
    ],
)
def test_forms_pyxform_rejects_are_refused_with_its_message(app, rows, fragment, row):
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(survey_only(rows))
    issue = caught.value.issues[0]
    assert fragment in issue.message and issue.sheet == "survey" and issue.row == row


def test_a_repeat_holding_a_question_of_its_own_name_is_kept(app):
    """pyxform allows it; fieldops keeps the repeat and renames the question, saying so."""
    rows = [
        ("type", "name", "label"),
        ("begin_repeat", "visits", "Visits"),
        ("text", "visits", "Visit"),
        ("end_repeat", "", ""),
    ]
    result = read_xlsform(survey_only(rows))
    repeat = result.definition["questions"][0]
    assert repeat["type"] == "repeat" and [q["name"] for q in repeat["questions"]] == ["visits_visits"]
    assert any("answered as visits_visits" in issue.message for issue in result.warnings)


def test_a_required_question_fieldops_cannot_take_refuses_the_form(app):
    """Nobody could send the form: refused, naming the question and its row."""
    rows = [("type", "name", "label", "required"), ("text", "a", "A", ""), ("audio", "voice", "Voice", "yes")]
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(survey_only(rows))
    assert caught.value.issues[0].row == 3 and "voice is required" in caught.value.issues[0].message


MODEL_HEADER = (
    "type",
    "name",
    "label::English (en)",
    "label::Tiếng Việt (vi)",
    "hint::English (en)",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Tiếng Việt (vi)",
    "required",
    "relevant",
    "calculation",
    "default",
    "choice_filter",
    "repeat_count",
    "parameters",
)
MODEL_ROWS = [
    ("select_one province", "province", "Province", "Tỉnh", "", "", "", "", "yes", "", "", "", "", "", ""),
    ("select_one commune", "commune", "Commune", "Xã", "", "", "", "", "", "", "", "", "province=${province}", "", ""),
    (
        "integer",
        "staff",
        "Staff",
        "Cán bộ",
        "People",
        ". >= 0",
        "Not negative",
        "Không âm",
        "",
        "",
        "",
        "2",
        "",
        "",
        "",
    ),
    ("calculate", "double", "", "", "", "", "", "", "", "", "${staff} * 2", "", "", "", ""),
    ("begin_repeat", "people", "People", "Người", "", "", "", "", "", "", "", "", "", "${staff}", ""),
    ("text", "who", "Who", "Ai", "", "", "", "", "", "", "", "", "", "", ""),
    ("end_repeat", "", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("range", "score", "Score", "Điểm", "", "", "", "", "", "", "", "", "", "", "start=0 end=10 step=2"),
    ("select_one yes_no or_other", "ok", "OK?", "Được?", "", "", "", "", "", "", "", "", "", "", ""),
    ("rank yes_no", "order", "Order", "Thứ tự", "", "", "", "", "", "", "", "", "", "", ""),
]
MODEL_CHOICES = [
    ("list_name", "name", "label::English (en)", "label::Tiếng Việt (vi)", "province"),
    ("province", "15", "Lao Cai", "Lào Cai", ""),
    ("province", "01", "Ha Noi", "Hà Nội", ""),
    ("commune", "04603", "Commune A", "Xã A", "15"),
    ("commune", "00070", "Commune B", "Xã B", "01"),
    ("yes_no", "yes", "Yes", "Có", ""),
    ("yes_no", "no", "No", "Không", ""),
]


def test_the_contracts_model_comes_over(app):
    """Languages, choice filters with choice columns, calculations, defaults, repeat_count, range parameters,
    or_other and rank, as surveys/FORMS.md describes them."""
    result = read_xlsform(workbook(MODEL_ROWS, MODEL_HEADER, choices=MODEL_CHOICES, settings=None))
    questions = {q["name"]: q for q in result.definition["questions"]}
    assert questions["province"]["label"] == {"English (en)": "Province", "Tiếng Việt (vi)": "Tỉnh"}
    assert questions["commune"]["choice_filter"] == "province=${province}"
    assert questions["commune"]["choices"][0] == {
        "name": "04603",
        "label": {"English (en)": "Commune A", "Tiếng Việt (vi)": "Xã A"},
        "columns": {"province": "15"},
    }
    staff = questions["staff"]
    assert staff["constraint_message"] == {"English (en)": "Not negative", "Tiếng Việt (vi)": "Không âm"}
    assert staff["default"] == "2" and staff["hint"] == "People"
    assert questions["double"] == {"name": "double", "type": "calculate", "calculation": "${staff} * 2"}
    assert questions["people"]["repeat_count"] == "${staff}"
    assert questions["score"]["parameters"] == {"start": 0, "end": 10, "step": 2}
    assert [c["name"] for c in questions["ok"]["choices"]][-1] == "other"
    assert questions["ok_other"]["relevant"] == "selected(${ok}, 'other')"
    assert questions["order"]["type"] == "rank"


def test_import_endpoint_creates_a_survey_and_its_version(client, make_user):
    """Coordinators import a clean form: 201 with the version; the same file again adds nothing (200)."""
    _, headers = make_user("coordinator")
    reply = upload(client, headers, workbook())
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert body["created"] and body["warnings"] == []
    assert body["version"]["code"] == "village_check" and body["version"]["number"] == 1
    assert body["version"]["source"] == "xlsform"
    again = upload(client, headers, workbook())
    assert again.status_code == 200 and not again.get_json()["created"]


def test_warnings_are_kept_on_the_version(client, make_user):
    """What was not imported is answered with the import and kept with the version (import_report)."""
    _, headers = make_user("admin")
    reply = upload(client, headers, workbook(UNSUPPORTED_ROWS, UNSUPPORTED_HEADER), "centre.xlsx", code="centre_check")
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert body["version"]["code"] == "centre_check" and body["warnings"]
    assert body["version"]["import_report"] == body["warnings"]
    assert any((w["row"], w["column"]) == (5, "type") for w in body["warnings"])


def test_a_form_pyxform_rejects_is_a_422_with_its_position(client, make_user):
    _, headers = make_user("coordinator")
    rows = [("type", "name", "label"), ("text", "a", "A"), ("calculate", "c", "")]
    problem = assert_problem(upload(client, headers, survey_only(rows)), 422)
    assert problem["errors"]["file"][0]["row"] == 3 and "Missing calculation" in problem["detail"]


def test_select_one_from_file_without_its_file_is_a_422_naming_it(client, make_user):
    _, headers = make_user("coordinator")
    rows = [("type", "name", "label"), ("select_one_from_file villages.csv", "village", "Village")]
    problem = assert_problem(upload(client, headers, survey_only(rows)), 422)
    assert "villages.csv" in problem["errors"]["file"][0]["message"]
    reply = client.post(
        "/api/v1/surveys/import",
        data={
            "file": (BytesIO(survey_only(rows)), "form.xlsx"),
            "files": [(BytesIO("name,label::vi,label::en\nt1,Thôn 1,Village 1\n".encode()), "villages.csv")],
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert reply.status_code == 201, reply.get_json()
    question = reply.get_json()["version"]["definition"]["questions"][0]
    assert question["choices"] == [{"name": "t1", "label": {"vi": "Thôn 1", "en": "Village 1"}}]


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
    assert errors["file"][0]["message"]


def test_field_members_cannot_import(client, make_user):
    _, headers = make_user("field_member")
    assert_problem(upload(client, headers, workbook()), 403)
