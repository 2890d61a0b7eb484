// Evaluate expressions with the field app's evaluator, for tests/surveys/test_expression_parity.py:
// reads [{expression, answers, current}] as JSON on stdin, writes [["ok", value] | ["error"]] on stdout.
import { readFileSync } from "node:fs";

import { ExpressionError, evaluate, parse } from "../../field_app/src/forms/expressions.js";

const cases = JSON.parse(readFileSync(0, "utf-8"));
const results = cases.map((item) => {
  try {
    const lookup = (name) => (Object.hasOwn(item.answers, name) ? item.answers[name] : null);
    const value = evaluate(parse(item.expression), lookup, item.current);
    if (typeof value === "number" && !Number.isFinite(value)) return ["ok", { number: String(value) }];
    return ["ok", value];
  } catch (error) {
    if (error instanceof ExpressionError) return ["error"];
    return ["crash", String(error)];
  }
});
process.stdout.write(JSON.stringify(results));
