"""Checks of survey definitions: structure, names, references, expressions and mapping rules."""

from surveys.definition import check_definition

CONDITIONS = [
    {"name": "working", "label": "Working"},
    {"name": "broken", "label": "Broken"},
    {"name": "gone", "label": "Not there"},
]


def definition(*questions) -> dict:
    return {"title": "T", "questions": list(questions)}


def test_a_minimal_definition_is_valid():
    assert check_definition(definition({"name": "q", "type": "text", "label": "Q"})) == {}


def test_names_are_unique_in_the_whole_survey():
    errors = check_definition(
        definition(
            {"name": "q", "type": "text", "label": "Q"},
            {"name": "g", "type": "group", "questions": [{"name": "q", "type": "integer", "label": "Q2"}]},
        )
    )
    assert "Is used twice" in errors["questions"]["q"]["name"][0]


def test_unknown_types_fields_and_missing_choices_are_reported():
    errors = check_definition(
        definition(
            {"name": "a", "type": "photo", "label": "A"},
            {"name": "b", "type": "text", "label": "B", "colour": "red"},
            {"name": "c", "type": "select_one", "label": "C"},
        )
    )["questions"]
    assert "type" in errors["a"] and "colour" in errors["b"] and "choices" in errors["c"]


def test_references_must_name_questions_in_reach():
    errors = check_definition(
        definition(
            {"name": "a", "type": "integer", "label": "A", "relevant": "${nope} > 1"},
            {"name": "r", "type": "repeat", "questions": [{"name": "x", "type": "integer", "label": "X"}]},
            {"name": "b", "type": "integer", "label": "B", "constraint": ". < sum(${x})"},
            {"name": "c", "type": "integer", "label": "C", "relevant": ". > 1"},
            {"name": "d", "type": "calculate", "calculation": "${d} + 1"},
        )
    )["questions"]
    assert errors["a"]["relevant"] == ["${nope} is not a question of this survey."]
    assert "b" not in errors  # from outside its repeat, ${x} is the list of its answers
    assert errors["d"]["calculation"] == ["${d} refers to the question itself."]
    assert "only in a constraint" in errors["c"]["relevant"][0]


def test_repeats_do_not_nest():
    inner = {"name": "inner", "type": "repeat", "questions": [{"name": "x", "type": "text", "label": "X"}]}
    errors = check_definition(definition({"name": "outer", "type": "repeat", "questions": [inner]}))
    assert "Repeats inside repeats" in errors["questions"]["inner"]["type"][0]


def test_mapping_rules_are_checked_against_the_record_vocabularies():
    """A select feeding an enumerated field must map every choice to a valid value (or to null: no record)."""
    question = {
        "name": "printer",
        "type": "select_one",
        "label": "Printer",
        "choices": CONDITIONS,
        "maps_to": [{"record": "equipment_check", "asset_kind": "printer", "condition_from": "answer"}],
    }
    errors = check_definition(definition(question))["questions"]["printer"]["maps_to"]
    assert "choices gone of printer are not valid for condition" in errors[0]
    question["maps_to"][0]["condition_map"] = {"gone": "missing"}
    assert check_definition(definition(question)) == {}


def test_mapping_rule_mistakes_are_named():
    question = {
        "name": "q",
        "type": "text",
        "label": "Q",
        "maps_to": [
            {"record": "ticket"},
            {"record": "finding", "category": "weather", "description_from": "${missing}"},
            {"record": "equipment_check", "condition": "broken", "colour": "red"},
        ],
    }
    errors = check_definition(definition(question))["questions"]["q"]["maps_to"]
    text = " | ".join(errors)
    assert "needs record" in text
    assert "category must be one of" in text
    assert "${missing} is not a question" in text
    assert "'colour' is not a field" in text
    assert "needs asset_kind or asset_kind_from" in text


def test_not_an_object_is_an_error_not_a_crash():
    assert check_definition(["not", "a", "definition"]) == {
        "_schema": ["A definition is a JSON object with title and questions."]
    }
    assert "questions" in check_definition({"title": "T", "questions": "q"})
