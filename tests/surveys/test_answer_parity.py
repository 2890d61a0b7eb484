"""The phone's answer checks (field_app/src/forms/answers.js) find the server's errors, with the same messages, for
thousands of generated answer sets to the built-in templates: right and wrong types, empty answers, answers to
questions that do not apply, constraints met and broken, repetitions good and bad."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from surveys.answers import validate_answers
from surveys.definition import compile_definition
from tests.surveys.answers import TEMPLATES as VALID
from tests.surveys.test_answer_cases import error_paths

ROOT = Path(__file__).parents[2]
SCRIPT = Path(__file__).with_name("validate_in_field_app.mjs")
TEMPLATES = {path.stem: json.loads(path.read_text("utf-8")) for path in (ROOT / "surveys" / "templates").glob("*.json")}
ODD = [None, "", [], True, False, 0, -1, 3, 2.5, 1e13, "text", "2025-02-30", "2025-03-01", ["a"], {"lat": 1}]


def candidates(question, rng: random.Random) -> list:
    """Answers worth trying for one question: good ones of its type and odd ones of other types."""
    kind = question.type
    good: list = {
        "text": ["Bản Phùng", "x" * 5001],
        "integer": [0, 1, 5, 12, 120, 5001, -120, 4.0],
        "decimal": [0, 1.5, 80.5, 10001, 1e16],
        "boolean": [True, False],
        "date": ["2025-03-01", "1899-12-31", "2025-13-01"],
        "geopoint": [{"lat": 22.3, "lon": 104.1, "accuracy": 8}, "22.3 104.1", {"lat": 0, "lon": 0}, "north"],
        "note": ["seen"],
    }.get(kind, [])
    if kind == "select_one":
        good = list(question.choices) + ["unknown"]
    if kind == "select_multiple":
        good = [[rng.choice(question.choices)], list(question.choices[:2]), " ".join(question.choices[:2]), ["zz"]]
    return good * 3 + ODD


def answer_set(compiled, rng: random.Random) -> dict:
    answers = {}
    for name in compiled.top:
        if rng.random() < 0.25:
            continue
        if name in compiled.repeats:
            repeat = compiled.repeats[name]
            answers[name] = [
                {m: rng.choice(candidates(compiled.questions[m], rng)) for m in repeat.members if rng.random() < 0.8}
                for _ in range(rng.choice([0, 1, 2, 3]))
            ]
            if rng.random() < 0.05:
                answers[name] = rng.choice(["x", [1], {"a": 1}])
        else:
            answers[name] = rng.choice(candidates(compiled.questions[name], rng))
    if rng.random() < 0.05:
        answers[rng.choice(["colour", "spot", "operator"])] = "x"
    return answers


def mutated(name: str, compiled, rng: random.Random) -> dict:
    """A complete valid answer set of the template with none, one or two answers changed."""
    answers = json.loads(json.dumps(VALID[name][0]))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        target = rng.choice(sorted(compiled.questions))
        question = compiled.questions[target]
        value = rng.choice(candidates(question, rng))
        if question.repeat and answers.get(question.repeat):
            rng.choice(answers[question.repeat])[target] = value
        elif not question.repeat:
            answers[target] = value
    return answers


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the field app's validator")
def test_the_phone_and_the_server_find_the_same_errors():
    """2,000 generated answer sets over the four templates: the same errors, question by question, word for word."""
    rng = random.Random(20250301)
    compiled = {name: compile_definition(definition) for name, definition in TEMPLATES.items()}
    cases = []
    for _ in range(2000):
        name = rng.choice(sorted(compiled))
        answers = answer_set(compiled[name], rng) if rng.random() < 0.4 else mutated(name, compiled[name], rng)
        cases.append({"definition": name, "answers": answers, "language": rng.choice([None, "vi", "en"])})
    run = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps({"definitions": TEMPLATES, "cases": cases}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    phone = json.loads(run.stdout)
    differ = []
    for case, found in zip(cases, phone, strict=True):
        _, errors = validate_answers(compiled[case["definition"]], case["answers"], case["language"])
        if error_paths(errors) != found:
            differ.append((case, error_paths(errors), found))
    assert differ == [], json.dumps(differ[:3], ensure_ascii=False, default=str)[:3000]
    assert sum(1 for found in phone if found) > 1000 and sum(1 for found in phone if not found) > 100
