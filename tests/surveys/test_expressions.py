"""The expression language of constraints and relevance conditions: XLSForm's subset, parsed, never eval'd."""

import math

import pytest

from surveys.expressions import ExpressionError, evaluate, parse


def value(source: str, answers: dict | None = None, current=None):
    answers = answers or {}
    return evaluate(parse(source), answers.get, current)


@pytest.mark.parametrize(
    "source, answers, current, expected",
    [
        (". >= 0 and . <= 100", {}, 42, True),
        (". >= 0 and . <= 100", {}, 101, False),
        ("${q} = 'yes'", {"q": "yes"}, None, True),
        ("${q} = 'yes'", {}, None, False),
        ("${q} != 'yes'", {}, None, True),
        ("selected(${langs}, 'dao')", {"langs": ["hmong", "dao"]}, None, True),
        ("selected(${langs}, 'tay')", {"langs": "hmong dao"}, None, False),
        ("not(selected(${langs}, 'tay'))", {"langs": ["hmong"]}, None, True),
        ("count-selected(${langs}) >= 2", {"langs": ["hmong", "dao"]}, None, True),
        ("string-length(${p}) > 0", {"p": "text"}, None, True),
        ("string-length(${p}) > 0", {}, None, False),
        (". <= ${total}", {"total": 4}, 3, True),
        ("${a} * 2 < ${b}", {"a": 2, "b": 5}, None, True),
        ("(${a} + 1) div 2 = 1.5", {"a": 2}, None, True),
        ("${a} mod 3", {"a": 7}, None, 1.0),
        ("-${a} < 0", {"a": 1}, None, True),
        ("${ok} = true()", {"ok": True}, None, True),
        ("${ok} = 'false'", {"ok": False}, None, True),
        ("not(.)", {}, False, True),
        ("if(${a} > 1, 'big', 'small')", {"a": 2}, None, "big"),
        ("coalesce(${a}, 'none')", {}, None, "none"),
        (". >= '2025-07-01'", {}, "2025-08-01", True),
        ("${a} > 3 or ${b} = 'x'", {"a": 1, "b": "x"}, None, True),
        ('contains(., "fi")', {}, "fibre", True),
    ],
)
def test_evaluates_like_xlsform(source, answers, current, expected):
    assert value(source, answers, current) == expected


def test_unanswered_numbers_compare_false():
    """An empty answer is not a number: every ordering comparison with it is false."""
    assert value("${n} > 0") is False and value("${n} <= 0") is False
    assert math.isnan(value("${n} + 1"))


def test_division_by_zero_is_not_an_error():
    assert math.isnan(value("1 div 0"))


def test_references_and_self_are_known_after_parsing():
    expression = parse(". <= ${total} and ${other} = 'x'")
    assert expression.references == {"total", "other"} and expression.uses_self


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("jr:choice-name(., '${a}')", "jr:choice-name() is not supported"),
        ("/data/q = 1", "paths are not supported"),
        ("q = 1", "refer to answers as ${name}"),
        ("__import__('os')", "__import__() is not supported"),
        ("round()", "takes 1 argument(s), not 0"),
        (". >= ", "ends too early"),
        ("(1 + 2", "Expected ')'"),
        ("selected(${a})", "takes 2 argument(s)"),
        ("${not valid}", "not a valid reference"),
        ("1 2", "Unexpected '2'"),
    ],
)
def test_bad_or_unsupported_expressions_are_refused(source, fragment):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert fragment in str(caught.value)


def test_unsupported_is_told_apart_from_malformed():
    """The importer reports unsupported functions as such (not as typos)."""
    with pytest.raises(ExpressionError) as caught:
        parse("indexed-repeat(${d}, ${r}, 1) > 1")
    assert caught.value.unsupported


def test_deep_nesting_is_refused_not_a_crash():
    for source in ("(" * 300 + "1" + ")" * 300, "-" * 1500 + "1"):
        with pytest.raises(ExpressionError):
            parse(source)
    assert value("((((((((1 + 2))))))))") == 3
