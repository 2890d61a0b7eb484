"""The shared table of expressions (surveys/spec/expression_cases.json): the server's evaluator gives every value.

The field app's evaluator runs the same table in its own tests, so a form behaves the same on the phone and here.
"""

import json
import math
from pathlib import Path

import pytest

from surveys.expressions import ExpressionError, evaluate, parse

CASES = json.loads((Path(__file__).parents[2] / "surveys" / "spec" / "expression_cases.json").read_text("utf-8"))[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{case['expression']}" for i, case in enumerate(CASES)])
def test_expression_case(case):
    if case.get("error"):
        with pytest.raises(ExpressionError):
            parse(case["expression"])
        return
    answers = case.get("answers", {})
    value = evaluate(parse(case["expression"]), answers.get, case.get("current"))
    if case["expected"] == "NaN":
        assert isinstance(value, float) and math.isnan(value)
    else:
        assert value == case["expected"]
