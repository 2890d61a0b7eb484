// The stored survey definition (surveys/definition.py, extended by the form model contract in surveys/FORMS.md),
// indexed for rendering and validating on the phone. Definitions reach the phone already checked by the server,
// so this only indexes them; an expression the phone cannot parse is still an error, raised here.

import { parse } from "./expressions.js";

export const QUESTION_TYPES = [
  "text",
  "integer",
  "decimal",
  "select_one",
  "select_multiple",
  "boolean",
  "date",
  "time",
  "datetime",
  "geopoint",
  "geotrace",
  "geoshape",
  "image",
  "barcode",
  "note",
  "acknowledge",
  "range",
  "rank",
  "calculate",
];
export const SELECT_TYPES = ["select_one", "select_multiple", "rank"];
export const DEFAULT_MAX_REPEATS = 100;

/** The text in `language`, else the first one given (the server's label_text). */
export function labelText(text, language = null) {
  if (text !== null && typeof text === "object") {
    if (language && Object.hasOwn(text, language)) return text[language];
    const first = Object.values(text)[0];
    return first ?? "";
  }
  return text || "";
}

/** The languages a definition's texts are written in, in order of first use. */
export function languagesOf(definition) {
  const found = [];
  const visit = (text) => {
    if (text !== null && typeof text === "object" && !Array.isArray(text)) {
      for (const language of Object.keys(text)) if (!found.includes(language)) found.push(language);
    }
  };
  const walk = (entries) => {
    for (const entry of entries || []) {
      for (const key of ["label", "hint", "constraint_message", "required_message"]) visit(entry[key]);
      for (const choice of entry.choices || []) visit(choice.label);
      walk(entry.questions);
    }
  };
  walk(definition.questions);
  return found;
}

/** The language to show: the user's own if the form has it, by code or as "Name (code)", else the first. */
export function pickLanguage(definition, wanted) {
  const languages = languagesOf(definition);
  if (!wanted) return languages[0] ?? null;
  const code = wanted.toLowerCase().split("-")[0];
  return (
    languages.find((language) => language.toLowerCase() === code) ??
    languages.find((language) => language.toLowerCase().endsWith(`(${code})`)) ??
    languages[0] ??
    null
  );
}

function parsed(source, options) {
  return source === undefined || source === null || source === "" ? null : parse(source, undefined, options);
}

/**
 * Index a definition: questions by name (with the relevance of their containers and their own), repeats with their
 * members, and the top-level names in order, as surveys.definition.CompiledDefinition does.
 */
export function compileDefinition(definition) {
  const compiled = { definition, questions: new Map(), repeats: new Map(), groups: new Map(), top: [] };
  const walk = (entries, repeat, conditions) => {
    for (const entry of entries) {
      const own = [...conditions];
      const relevant = parsed(entry.relevant);
      if (relevant) own.push(relevant);
      if (entry.type === "group") {
        compiled.groups.set(entry.name, { name: entry.name, spec: entry, conditions: own });
        walk(entry.questions, repeat, own);
      } else if (entry.type === "repeat") {
        const count = entry.repeat_count;
        compiled.repeats.set(entry.name, {
          name: entry.name,
          spec: entry,
          conditions: own,
          maxRepeats: entry.max_repeats ?? DEFAULT_MAX_REPEATS,
          repeatCount: typeof count === "string" ? parse(count) : typeof count === "number" ? count : null,
          members: [],
        });
        compiled.top.push(entry.name);
        walk(entry.questions, entry.name, own);
      } else {
        const question = {
          name: entry.name,
          type: entry.type,
          spec: entry,
          repeat,
          conditions: own,
          required: entry.required === true,
          constraint: parsed(entry.constraint),
          calculation: parsed(entry.calculation),
          choiceFilter: parsed(entry.choice_filter, { columns: true }),
          choices: (entry.choices || []).map((choice) => choice.name),
        };
        compiled.questions.set(entry.name, question);
        if (repeat === null) compiled.top.push(entry.name);
        else compiled.repeats.get(repeat).members.push(entry.name);
      }
    }
  };
  walk(definition.questions || [], null, []);
  return compiled;
}
