"""The shared table of answers (surveys/spec/answer_cases.json): the server finds exactly the errors listed.

The field app's validator runs the same table (field_app/tests/forms/answer_cases.test.js), so the phone refuses
what the server refuses, question by question, before anything is sent.
"""

import json
from pathlib import Path

import pytest

from surveys.answers import validate_answers
from surveys.definition import DefinitionError, compile_definition

ROOT = Path(__file__).parents[2]
TABLE = json.loads((ROOT / "surveys" / "spec" / "answer_cases.json").read_text("utf-8"))
CASES = TABLE["cases"]


def definition_of(case: dict) -> dict:
    if "template" in case:
        return json.loads((ROOT / "surveys" / "templates" / f"{case['template']}.json").read_text("utf-8"))
    return case["definition"]


def error_paths(errors: dict) -> dict:
    """The server's errors as {path: messages}: "name", "repeat" and "repeat[index].name"."""
    flat = {}
    for name, value in errors.items():
        if isinstance(value, list):
            flat[name] = [str(message) for message in value]
            continue
        for key, inner in value.items():
            if key == "_schema":
                flat[name] = [str(message) for message in inner]
            else:
                for member, messages in inner.items():
                    flat[f"{name}[{key}].{member}"] = [str(message) for message in messages]
    return flat


def test_the_table_covers_every_template():
    """Each built-in template has valid and invalid answer sets in the table."""
    templates = {path.stem for path in (ROOT / "surveys" / "templates").glob("*.json")}
    for template in templates:
        expected = [case["errors"] for case in CASES if case.get("template") == template]
        assert {} in expected and any(expected), template


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{case['about']}" for i, case in enumerate(CASES)])
def test_answer_case(case):
    try:
        compiled = compile_definition(definition_of(case))
    except DefinitionError:
        if case.get("contract"):
            pytest.skip("a feature of the extended form model this server does not have yet")
        raise
    _, errors = validate_answers(compiled, case["answers"], case.get("language"))
    found = error_paths(errors)
    assert sorted(found) == sorted(case["errors"]), found
    for path, message in case["errors"].items():
        if message is not None:
            assert found[path][0] == message, found[path]
