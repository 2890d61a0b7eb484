// Validate answers with the field app's validator, for tests/surveys/test_answer_parity.py: reads
// {definitions: {name: definition}, cases: [{definition, answers, language}]} as JSON on stdin, writes the errors
// of each case as {path: messages} on stdout.
import { readFileSync } from "node:fs";

import { errorPaths, validateAnswers } from "../../field_app/src/forms/answers.js";
import { compileDefinition } from "../../field_app/src/forms/definition.js";

const input = JSON.parse(readFileSync(0, "utf-8"));
const compiled = Object.fromEntries(Object.entries(input.definitions).map(([name, d]) => [name, compileDefinition(d)]));
const results = input.cases.map((item) => {
  const [, errors] = validateAnswers(compiled[item.definition], item.answers, { language: item.language });
  return errorPaths(errors);
});
process.stdout.write(JSON.stringify(results));
