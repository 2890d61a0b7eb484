// The shared table of expressions (surveys/spec/expression_cases.json): the phone's evaluator gives every value
// the server's gives (tests/surveys/test_expression_cases.py runs the same table on the server).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { ExpressionError, evaluate, parse } from "../../src/forms/expressions.js";

const table = JSON.parse(
  readFileSync(new URL("../../../surveys/spec/expression_cases.json", import.meta.url), "utf-8"),
);

test("the table has cases", () => {
  assert.ok(table.cases.length > 0);
});

/** Python's == between the evaluator's value and the expected JSON value (True == 1.0 included). */
function same(value, expected) {
  if (Array.isArray(expected)) {
    return Array.isArray(value) && value.length === expected.length && value.every((item, i) => same(item, expected[i]));
  }
  const asNumber = (x) => (typeof x === "boolean" ? Number(x) : x);
  if (["number", "boolean"].includes(typeof value) && ["number", "boolean"].includes(typeof expected)) {
    return asNumber(value) === asNumber(expected);
  }
  if (expected !== null && typeof expected === "object") {
    return JSON.stringify(value) === JSON.stringify(expected);
  }
  return value === expected;
}

table.cases.forEach((item, index) => {
  test(`${index}:${item.expression}`, () => {
    if (item.error) {
      assert.throws(() => parse(item.expression), ExpressionError);
      return;
    }
    const answers = item.answers ?? {};
    const lookup = (name) => (Object.hasOwn(answers, name) ? answers[name] : null);
    const value = evaluate(parse(item.expression), lookup, item.current ?? null);
    if (item.expected === "NaN") {
      assert.ok(typeof value === "number" && Number.isNaN(value), `expected NaN, got ${JSON.stringify(value)}`);
    } else {
      assert.ok(same(value, item.expected), `expected ${JSON.stringify(item.expected)}, got ${JSON.stringify(value)}`);
    }
  });
});
