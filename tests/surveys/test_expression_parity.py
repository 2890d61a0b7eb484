"""The phone's evaluator (field_app/src/forms/expressions.js) gives the server's value for thousands of generated
expressions: every operator, function and coercion over numbers, texts that look like numbers or dates, booleans,
lists, points and empty answers. Where they differ, a form would accept on the phone what the server refuses."""

import json
import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from surveys.expressions import ExpressionError, evaluate, parse

SCRIPT = Path(__file__).with_name("evaluate_in_field_app.mjs")
ATOMS = [
    "1", "0", "2.5", ".5", "3.", "1e3", "'abc'", "''", "'10'", "'2'", "' 7 '", "'true'", "'FALSE'", "'1_000'",
    "'0x10'", "'inf'", "'-Infinity'", "'nan'", "'1e5'", "'2024-01-02'", "'2023-12-31'", "'١٢'", "'\u00a05'",
    "'\ufeff5'", "'\x1c5'", "'é'", "'z'", "${a}", "${b}", "${s}", "${g}", "${n}", "${t}", "${f}", ".", "true()",
    "false()",
]  # fmt: skip
OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "and", "or"]
ONE = ["not", "count-selected", "string-length", "number", "string"]
TWO = ["selected", "coalesce", "contains", "starts-with"]
ANSWERS = [
    {"a": 2, "b": "10", "s": ["x", "y"], "g": {"lat": 21.5, "lon": 105.25}, "n": None, "t": True, "f": 1.5e-7},
    {"a": "", "b": 0, "s": "x y", "g": {"lat": 21.5, "lon": 105.5}, "n": 1e20, "t": False, "f": -0.0},
    {"a": "abc", "b": 3.0001, "s": [], "g": None, "n": 1e16, "t": "true", "f": 123456789.125},
]
CURRENT = [None, 5, "x", "", 2.5, True]


def expression(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.3:
        return rng.choice(ATOMS)
    if roll < 0.65:
        return f"{expression(rng, depth - 1)} {rng.choice(OPERATORS)} {expression(rng, depth - 1)}"
    if roll < 0.75:
        return f"-{expression(rng, depth - 1)}"
    if roll < 0.82:
        return f"({expression(rng, depth - 1)})"
    if roll < 0.9:
        return f"{rng.choice(ONE)}({expression(rng, depth - 1)})"
    if roll < 0.97:
        return f"{rng.choice(TWO)}({expression(rng, depth - 1)}, {expression(rng, depth - 1)})"
    return f"if({expression(rng, depth - 1)}, {expression(rng, depth - 1)}, {expression(rng, depth - 1)})"


def server_value(case: dict):
    try:
        value = evaluate(parse(case["expression"]), case["answers"].get, case["current"])
    except ExpressionError:
        return ["error"]
    if isinstance(value, float) and not math.isfinite(value):
        return ["ok", {"number": {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]}]
    return ["ok", value]


def same(server, phone) -> bool:
    if server[0] != phone[0] or server[0] == "error":
        return server == phone
    a, b = server[1], phone[1]
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the field app's evaluator")
def test_the_phone_and_the_server_evaluate_alike():
    """3,000 generated expressions (plus parse errors) give the same value, or the same refusal, on both sides."""
    rng = random.Random(20250301)
    cases = [
        {"expression": expression(rng, 3), "answers": rng.choice(ANSWERS), "current": rng.choice(CURRENT)}
        for _ in range(3000)
    ]
    cases += [
        {"expression": text, "answers": answers, "current": None}
        for text in ["1 / 2", "1..2", "..", "a", "${a b}", "${ a }", "div(1)", "${a}div 2", "1 mod-1", "--1",
                     "(1", "1)", "if(1,2)", "'x", "string(1 div 3)", "string(0.00001)", "string(2 div 3 * 1e20)",
                     "string(1e22)", "string(${g})", "' True ' = true()", "'yes' = true()", "١ + ٢"]
        for answers in ANSWERS
    ]  # fmt: skip
    run = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps(cases), capture_output=True, text=True, timeout=120, check=True
    )
    phone = json.loads(run.stdout)
    differ = [
        (case, server, answer)
        for case, answer in zip(cases, phone, strict=True)
        if not same(server := server_value(case), answer)
    ]
    assert differ == [], differ[:10]
    outcomes = {server_value(case)[0] for case in cases}
    assert outcomes == {"ok", "error"}
