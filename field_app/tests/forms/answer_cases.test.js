// The shared table of answers (surveys/spec/answer_cases.json): the phone finds exactly the errors the server finds
// (tests/surveys/test_answer_cases.py runs the same table on the server).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { errorPaths, validateAnswers } from "../../src/forms/answers.js";
import { compileDefinition } from "../../src/forms/definition.js";

const root = new URL("../../../", import.meta.url);
const table = JSON.parse(readFileSync(new URL("surveys/spec/answer_cases.json", root), "utf-8"));

function definitionOf(item) {
  if (item.template) {
    return JSON.parse(readFileSync(new URL(`surveys/templates/${item.template}.json`, root), "utf-8"));
  }
  return item.definition;
}

table.cases.forEach((item, index) => {
  test(`${index}:${item.about}`, () => {
    const compiled = compileDefinition(definitionOf(item));
    const [, errors] = validateAnswers(compiled, item.answers, { language: item.language ?? null });
    const found = errorPaths(errors);
    assert.deepEqual(Object.keys(found).sort(), Object.keys(item.errors).sort(), JSON.stringify(found));
    for (const [path, message] of Object.entries(item.errors)) {
      if (message !== null) assert.equal(found[path][0], message);
    }
  });
});
