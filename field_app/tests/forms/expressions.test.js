// The evaluator's pieces the shared table may not reach: Python's number and text rules, the contract's new
// functions, choice-filter columns and repeat lists.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pickLanguage, languagesOf } from "../../src/forms/definition.js";
import { ExpressionError, evaluate, parse, toString } from "../../src/forms/expressions.js";
import { floatRepr, parseFloatText, split, strip } from "../../src/forms/pyvalues.js";

const run = (source, answers = {}, options = {}) =>
  evaluate(
    parse(source, undefined, { columns: Boolean(options.column) }),
    (name) => answers[name] ?? null,
    options.current ?? null,
    options.now,
    options.column,
  );

test("numbers print as Python prints them", () => {
  const cases = [
    [0.1, "0.1"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1.5e16, "1.5e+16"],
    [123456789.125, "123456789.125"],
    [1 / 3, "0.3333333333333333"],
    [-2.5e-7, "-2.5e-07"],
    [NaN, "nan"],
    [-Infinity, "-inf"],
  ];
  for (const [value, text] of cases) assert.equal(floatRepr(value), text);
  assert.equal(toString(1e22), "10000000000000000000000");
  assert.equal(toString(-0), "0");
  assert.equal(toString({ lat: 21.5, lon: 105 }), "21.5 105");
});

test("text becomes a number as Python's float() reads it", () => {
  const cases = [
    [" 7 ", 7],
    ["1_000", 1000],
    ["1e5", 100000],
    ["+.5", 0.5],
    ["5.", 5],
    ["١٢", 12],
    ["\u00a05", 5],
    ["-Infinity", -Infinity],
  ];
  for (const [text, number] of cases) assert.equal(parseFloatText(text), number, text);
  for (const text of ["", "0x10", "1__0", "_1", "\ufeff5", "1e", "abc", "1,5"]) {
    assert.ok(Number.isNaN(parseFloatText(text)), text);
  }
  assert.equal(strip("\x1c a \u3000"), "a");
  assert.deepEqual(split(" a\u2003b\n c "), ["a", "b", "c"]);
});

test("the contract's functions", () => {
  const now = () => new Date("2025-03-01T20:30:05Z"); // 03:30 on 2 March in Viet Nam
  assert.equal(run("today()", {}, { now }), "2025-03-02");
  assert.equal(run("now()", {}, { now }), "2025-03-02T03:30:05+07:00");
  assert.equal(run("today() > '2025-03-01'", {}, { now }), true);
  assert.equal(run("round(2.675, 2)"), 2.68);
  assert.equal(run("round(-2.5)"), -3);
  assert.equal(run("round(1234.5, -2)"), 1200);
  assert.equal(run("int(-3.7)"), -3);
  assert.equal(run("concat('a', 1, true())"), "a1true");
  assert.equal(run("substr('Lào Cai', 0, 3)"), "Lào");
  assert.equal(run("substr('Lào Cai', 4)"), "Cai");
  assert.equal(run("regex(${p}, '^0[0-9]{9}$')", { p: "0912345678" }), true);
  assert.equal(run("regex(${p}, '^0[0-9]{9}$')", { p: "912345678" }), false);
  assert.equal(run("sum(${ages})", { ages: [30, 7, "2"] }), 39);
  assert.ok(Number.isNaN(run("sum(${ages})", { ages: [30, null] })));
  assert.equal(run("count(${ages})", { ages: [30, 7, null] }), 3);
  assert.equal(run("min(${ages})", { ages: [30, 7, 2] }), 2);
  assert.equal(run("max(3, 9, ${x})", { x: "4" }), 9);
  assert.ok(Number.isNaN(run("max(${ages})", { ages: [] })));
  assert.equal(run("selected-at(${s}, 1)", { s: "a b c" }), "b");
  assert.equal(run("selected-at(${s}, 5)", { s: ["a"] }), "");
  assert.equal(run("boolean('false')"), true);
  assert.equal(run("boolean(0)"), false);
  assert.equal(run("floor(-1.5) + ceiling(1.2) + abs(-4)"), -2 + 2 + 4);
  assert.equal(run("pow(2, 10)"), 1024);
  assert.throws(() => parse("concat()"), ExpressionError);
  assert.throws(() => parse("round(1, 2, 3)"), ExpressionError);
});

test("a choice filter reads the columns of the choice being tested; elsewhere a bare name is refused", () => {
  const column = (name) => ({ province: "15", name: "a" })[name] ?? null;
  assert.equal(run("province = ${p}", { p: "15" }, { column }), true);
  assert.equal(run("province = ${p} and name != 'b'", { p: "08" }, { column }), false);
  assert.throws(() => parse("province = ${p}"), ExpressionError);
});

test("the form's language: the user's own by code or as 'Name (code)', else the first", () => {
  const definition = {
    questions: [{ name: "q", type: "text", label: { "Tiếng Việt (vi)": "Câu hỏi", "English (en)": "Question" } }],
  };
  assert.deepEqual(languagesOf(definition), ["Tiếng Việt (vi)", "English (en)"]);
  assert.equal(pickLanguage(definition, "en-GB"), "English (en)");
  assert.equal(pickLanguage(definition, "fr"), "Tiếng Việt (vi)");
  assert.equal(pickLanguage({ questions: [{ name: "q", label: { en: "Q", vi: "C" } }] }, "vi"), "vi");
});
