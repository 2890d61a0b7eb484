"""Answers are validated for every feature of the form model (surveys/FORMS.md): types and their shapes,
calculations re-checked, choice filters, repeat_count, read-only, rank, range, and lists of repeat answers."""

import pytest

from surveys.answers import validate_answers
from surveys.definition import compile_definition


def check(questions: list, answers: dict) -> tuple[dict, dict]:
    return validate_answers(compile_definition({"title": "Model", "questions": questions}), answers)


def q(name: str, kind: str, **extra) -> dict:
    return {"name": name, "type": kind, "label": {"vi": f"Câu {name}", "en": f"Question {name}"}, **extra}


YES_NO = [{"name": "yes", "label": "Yes"}, {"name": "no", "label": "No"}]


@pytest.mark.parametrize(
    "question, good, bad",
    [
        (q("t", "time"), "09:30", "9h30"),
        (q("t", "time"), "09:30:15", "25:00"),
        (q("d", "datetime"), "2026-11-20T09:30:00+07:00", "2026-11-20T09:30:00"),
        (q("g", "geotrace"), {"points": [[104.1, 22.3], [104.2, 22.4]]}, {"points": [[104.1, 22.3]]}),
        (
            q("s", "geoshape"),
            {"points": [[104.1, 22.3], [104.2, 22.3], [104.2, 22.4], [104.1, 22.3]]},
            {"points": [[104.1, 22.3], [104.2, 22.3], [104.2, 22.4], [104.3, 22.5]]},
        ),
        (q("g", "geotrace"), {"points": [[104.1, 22.3], [104.2, 22.4]]}, {"points": [[104.1, 95], [104.2, 22.4]]}),
        (q("i", "image"), "1700000000000.jpg", "../etc/passwd"),
        (q("b", "barcode"), "8934567890123", 8934567890123),
        (q("a", "acknowledge"), True, False),
        (q("r", "range", parameters={"start": 0, "end": 10, "step": 2}), 4, 5),
        (q("r", "range", parameters={"start": 0, "end": 10, "step": 2}), 10, 12),
        (q("k", "rank", choices=YES_NO), ["no", "yes"], ["yes", "yes"]),
        (q("k", "rank", choices=YES_NO), ["yes", "no"], ["yes"]),
        (q("m", "select_multiple", choices=YES_NO), ["yes"], ["maybe"]),
    ],
)
def test_each_type_takes_its_shape(app, question, good, bad):
    """The contract's answer shape is accepted and a wrong one refused, naming the question."""
    assert check([question], {question["name"]: good})[1] == {}
    errors = check([question], {question["name"]: bad})[1]
    assert list(errors) == [question["name"]]


def test_a_calculation_is_rechecked_and_filled_when_missing(app):
    questions = [q("staff", "integer"), {"name": "double", "type": "calculate", "calculation": "${staff} * 2"}]
    assert check(questions, {"staff": 3, "double": 6}) == ({"staff": 3, "double": 6}, {})
    assert check(questions, {"staff": 3, "double": "6"})[1] == {}
    assert check(questions, {"staff": 3})[0] == {"staff": 3, "double": 6.0}
    errors = check(questions, {"staff": 3, "double": 7})[1]
    assert "Does not match its calculation" in errors["double"][0]


def test_a_clock_calculation_is_kept_as_the_phone_read_it(app):
    questions = [{"name": "day", "type": "calculate", "calculation": "today()"}]
    assert check(questions, {"day": "2026-01-02"}) == ({"day": "2026-01-02"}, {})


def test_a_choice_filter_limits_the_choices_by_their_columns(app):
    communes = [
        {"name": "04603", "label": "A", "columns": {"province": "15"}},
        {"name": "00070", "label": "B", "columns": {"province": "01"}},
    ]
    questions = [
        q("province", "select_one", choices=[{"name": "15", "label": "Lào Cai"}, {"name": "01", "label": "Hà Nội"}]),
        q("commune", "select_one", choices=communes, choice_filter="province = ${province}"),
    ]
    assert check(questions, {"province": "15", "commune": "04603"})[1] == {}
    errors = check(questions, {"province": "15", "commune": "00070"})[1]
    assert "Not offered by the choice filter" in errors["commune"][0]


def test_repeat_count_fixes_the_number_of_entries(app):
    questions = [
        q("people", "integer"),
        {"name": "person", "type": "repeat", "repeat_count": "${people}", "questions": [q("who", "text")]},
    ]
    assert check(questions, {"people": 2, "person": [{"who": "A"}, {"who": "B"}]})[1] == {}
    errors = check(questions, {"people": 3, "person": [{"who": "A"}]})[1]
    assert "repeat_count asks for 3" in errors["person"]["_schema"][0]
    fixed = [{"name": "r", "type": "repeat", "repeat_count": 2, "questions": [q("x", "text")]}]
    assert "repeat_count asks for 2" in check(fixed, {"r": [{"x": "a"}]})[1]["r"]["_schema"][0]


def test_repeat_answers_read_from_outside_are_a_list(app):
    """sum() of a repeat question from outside its repeat; inside, ${q} is the same entry's answer."""
    questions = [
        {
            "name": "rooms",
            "type": "repeat",
            "questions": [q("seats", "integer"), q("used", "integer", constraint=". <= ${seats}")],
        },
        q("total", "integer", constraint=". = sum(${seats})"),
        {"name": "rooms_count", "type": "calculate", "calculation": "count(${seats})"},
    ]
    answers = {"rooms": [{"seats": 3, "used": 2}, {"seats": 4, "used": 4}], "total": 7}
    clean, errors = check(questions, answers)
    assert errors == {} and clean["rooms_count"] == 2.0
    errors = check(questions, {"rooms": [{"seats": 3, "used": 5}], "total": 4})[1]
    assert set(errors) == {"rooms", "total"} and set(errors["rooms"]) == {0}


def test_read_only_keeps_its_default(app):
    questions = [q("unit", "text", read_only=True, default="commune")]
    assert check(questions, {"unit": "commune"})[1] == {}
    assert "read-only" in check(questions, {"unit": "village"})[1]["unit"][0]


def test_or_other_text_applies_only_when_other_is_chosen(app):
    choices = [*YES_NO, {"name": "other", "label": "Other"}]
    questions = [q("ok", "select_one", choices=choices), q("ok_other", "text", relevant="selected(${ok}, 'other')")]
    assert check(questions, {"ok": "other", "ok_other": "later"})[1] == {}
    assert "does not apply" in check(questions, {"ok": "yes", "ok_other": "later"})[1]["ok_other"][0]


def test_required_and_constraint_messages_in_the_language_asked(app):
    question = q(
        "n",
        "integer",
        required=True,
        required_message={"vi": "Bắt buộc", "en": "Required"},
        constraint=". > 0",
        constraint_message={"vi": "Phải lớn hơn 0", "en": "Above 0"},
    )
    compiled = compile_definition({"title": "T", "questions": [question]})
    assert validate_answers(compiled, {}, "vi")[1] == {"n": ["Bắt buộc"]}
    assert validate_answers(compiled, {"n": -1}, "en")[1] == {"n": ["Above 0"]}


def test_definitions_of_the_new_keys_are_checked(app):
    """A calculate without calculation, a range without numbers, a choice filter on a text, a repeat_count
    outside bounds: each refused where it is."""
    from surveys.definition import check_definition

    errors = check_definition(
        {
            "title": "T",
            "questions": [
                {"name": "c", "type": "calculate"},
                q("r", "range", parameters={"start": "a"}),
                q("t", "text", choice_filter="x = 1"),
                {"name": "rep", "type": "repeat", "repeat_count": 5000, "questions": [q("x", "text")]},
                q("ro", "text", read_only="yes"),
            ],
        }
    )["questions"]
    assert set(errors) == {"c", "r", "t", "rep", "ro"}
