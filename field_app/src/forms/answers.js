// Validating answers on the phone by the rules the server applies (surveys/answers.py): each answer is checked for
// its type and choices, then, with all answers known, for relevance (an answer to a question that does not apply
// is an error), required questions, and constraints (only on answers given, as in XLSForm). Errors have the
// server's shape: {name: [messages]}, and for a repeat {repeat: {_schema: [...], index: {name: [messages]}}}.
// The shared table surveys/spec/answer_cases.json is run by both sides.

import { labelText } from "./definition.js";
import { evaluate, isEmpty, toBool, toNumber, toString } from "./expressions.js";
import { identity } from "./messages.js";
import { pythonFloat, split } from "./pyvalues.js";

export const MAX_TEXT = 5000;

class AnswerError extends Error {}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function isNumber(value) {
  return typeof value === "number";
}

function validDay(text) {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const moment = new Date(Date.UTC(year, month - 1, day));
  return (
    moment.getUTCFullYear() === year && moment.getUTCMonth() === month - 1 && moment.getUTCDate() === day
  );
}

function inRange(lat, lon) {
  return [lat, lon].every((n) => isNumber(n) && Math.abs(n) <= 1e7) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

/** The answer in its stored form, or AnswerError saying what is wrong with its type (surveys.answers._coerce). */
export function coerce(question, value, t = identity, choices = question.choices) {
  const kind = question.type;
  if (kind === "note") throw new AnswerError(t("A note takes no answer."));
  if (kind === "text" || kind === "barcode") {
    if (typeof value !== "string") throw new AnswerError(t("Must be text."));
    if ([...value].length > MAX_TEXT) throw new AnswerError(t("At most %(limit)s characters.", { limit: MAX_TEXT }));
    return value;
  }
  if (kind === "integer") {
    if (!isNumber(value) || !Number.isInteger(value)) throw new AnswerError(t("Must be a whole number."));
    if (Math.abs(value) > 1e12) throw new AnswerError(t("Is too large."));
    return value;
  }
  if (kind === "decimal") {
    if (!isNumber(value)) throw new AnswerError(t("Must be a number."));
    if (!(Math.abs(value) <= 1e15)) throw new AnswerError(t("Must be a finite number of at most 10^15."));
    return value;
  }
  if (kind === "boolean") {
    if (typeof value !== "boolean") throw new AnswerError(t("Must be true or false."));
    return value;
  }
  if (kind === "select_one") {
    if (typeof value !== "string" || !choices.includes(value)) {
      throw new AnswerError(t("Must be one of: %(choices)s.", { choices: choices.join(", ") }));
    }
    return value;
  }
  if (kind === "select_multiple") return coerceMultiple(value, t, choices);
  if (kind === "date") {
    if (typeof value !== "string" || value.length !== 10 || !validDay(value)) {
      throw new AnswerError(t("Must be a date as YYYY-MM-DD."));
    }
    const year = Number(value.slice(0, 4));
    if (year < 1900 || year > 2100) throw new AnswerError(t("Must be a date as YYYY-MM-DD."));
    return value;
  }
  if (kind === "time") {
    if (typeof value !== "string" || !TIME.test(value)) throw new AnswerError(t("Must be a time as HH:MM or HH:MM:SS."));
    return value;
  }
  if (kind === "datetime") {
    const match = typeof value === "string" ? DATETIME.exec(value) : null;
    const year = match ? Number(match[1].slice(0, 4)) : 0;
    if (!match || !validDay(match[1]) || year < 1900 || year > 2100) {
      throw new AnswerError(t("Must be a date and time in ISO 8601 with its offset (e.g. 2025-03-01T08:30:00+07:00)."));
    }
    return value;
  }
  if (kind === "geopoint") return coerceGeopoint(value, t);
  if (kind === "geotrace" || kind === "geoshape") return coerceLine(kind, value, t);
  if (kind === "image") {
    if (typeof value !== "string" || !value.trim() || value.length > 255 || /[/\\]/.test(value)) {
      throw new AnswerError(t("Must be the file name of the photo."));
    }
    return value;
  }
  if (kind === "acknowledge") {
    if (value !== true) throw new AnswerError(t("Must be true (acknowledged)."));
    return value;
  }
  if (kind === "range") return coerceRange(question, value, t);
  if (kind === "rank") {
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      throw new AnswerError(t("Must be a list of choice names."));
    }
    const sorted = [...value].sort();
    const all = [...choices].sort();
    if (sorted.length !== all.length || sorted.some((item, i) => item !== all[i])) {
      throw new AnswerError(t("Must list every choice once, in order: %(choices)s.", { choices: choices.join(", ") }));
    }
    return value;
  }
  if (kind === "calculate") {
    if (!["string", "number", "boolean"].includes(typeof value) || (isNumber(value) && !Number.isFinite(value))) {
      throw new AnswerError(t("Must be text, a number, or true or false."));
    }
    return value;
  }
  throw new AnswerError(t("Unknown question type."));
}

function coerceMultiple(value, t, choices) {
  let list = value;
  if (typeof list === "string") list = split(list); // XLSForm's space-separated form
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
    throw new AnswerError(t("Must be a list of choice names."));
  }
  const unknown = list.filter((item) => !choices.includes(item));
  if (unknown.length) {
    throw new AnswerError(
      t("Not choices of this question: %(unknown)s (choices: %(choices)s).", {
        unknown: unknown.join(", "),
        choices: choices.join(", "),
      }),
    );
  }
  if (new Set(list).size !== list.length) throw new AnswerError(t("Lists a choice twice."));
  return list;
}

function coerceGeopoint(value, t) {
  let point = value;
  if (typeof point === "string") {
    const parts = split(point); // XLSForm's "lat lon [altitude accuracy]"
    const numbers = parts.slice(0, 2).map(pythonFloat);
    point = parts.length >= 2 && !numbers.includes(null) ? { lat: numbers[0], lon: numbers[1] } : null;
  }
  const keys = ["lat", "lon", "altitude", "accuracy"];
  if (point === null || typeof point !== "object" || Array.isArray(point) || Object.keys(point).some((k) => !keys.includes(k))) {
    throw new AnswerError(t('Must be {"lat": .., "lon": ..} (altitude and accuracy optional).'));
  }
  const { lat, lon } = point;
  for (const number of [lat, lon, point.altitude ?? 0, point.accuracy ?? 0]) {
    if (!isNumber(number) || !(Math.abs(number) <= 1e7)) {
      throw new AnswerError(t("lat, lon, altitude and accuracy must be numbers."));
    }
  }
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) || (lat === 0 && lon === 0)) {
    throw new AnswerError(t("Not a real position: lat from -90 to 90, lon from -180 to 180, not (0, 0)."));
  }
  if ((point.accuracy ?? 0) < 0) throw new AnswerError(t("accuracy cannot be negative."));
  return point;
}

function coerceLine(kind, value, t) {
  const points = value !== null && typeof value === "object" && !Array.isArray(value) ? value.points : null;
  const shape = kind === "geoshape";
  if (
    !Array.isArray(points) ||
    Object.keys(value).some((key) => key !== "points") ||
    !points.every((point) => Array.isArray(point) && point.length >= 2 && point.length <= 4 && inRange(point[1], point[0]))
  ) {
    throw new AnswerError(t('Must be {"points": [[lon, lat], ...]} with real positions.'));
  }
  if (points.length < (shape ? 4 : 2)) {
    throw new AnswerError(shape ? t("A shape needs at least 4 points.") : t("A line needs at least 2 points."));
  }
  if (shape) {
    const first = points[0];
    const last = points[points.length - 1];
    if (first[0] !== last[0] || first[1] !== last[1]) {
      throw new AnswerError(t("A shape must end at its first point."));
    }
  }
  return value;
}

/** The range parameters of a question: {start, end, step}, defaults 0, 10, 1 as in XLSForm. */
export function rangeParameters(question) {
  const parameters = question.spec.parameters || {};
  const number = (value, fallback) => (value === undefined || value === null ? fallback : toNumber(value));
  return { start: number(parameters.start, 0), end: number(parameters.end, 10), step: number(parameters.step, 1) };
}

function coerceRange(question, value, t) {
  if (!isNumber(value) || !Number.isFinite(value)) throw new AnswerError(t("Must be a number."));
  const { start, end, step } = rangeParameters(question);
  const low = Math.min(start, end);
  const high = Math.max(start, end);
  const steps = (value - start) / step;
  if (value < low || value > high || Math.abs(steps - Math.round(steps)) > 1e-9) {
    throw new AnswerError(
      t("Must be from %(start)s to %(end)s in steps of %(step)s.", {
        start: toString(start),
        end: toString(end),
        step: toString(step),
      }),
    );
  }
  return value;
}

/** The choices of a select question that pass its choice filter (all of them without one). */
export function filteredChoices(question, lookup) {
  const choices = question.spec.choices || [];
  if (!question.choiceFilter) return choices;
  return choices.filter((choice) => {
    const column = (name) => {
      if (choice.columns && Object.hasOwn(choice.columns, name)) return choice.columns[name];
      return name === "name" ? choice.name : null;
    };
    try {
      return toBool(evaluate(question.choiceFilter, lookup, null, undefined, column));
    } catch {
      return false;
    }
  });
}

class Validation {
  constructor(compiled, language, t) {
    this.compiled = compiled;
    this.language = language;
    this.t = t;
    this.invalid = new Set(); // answers with a type error: not checked further, nor used by others
  }

  /** Type-check the answers of one scope (top level or one repetition) and drop unknown names. */
  scope(names, given, errors) {
    const clean = {};
    const known = new Set(names);
    for (const [name, value] of Object.entries(given)) {
      if (!known.has(name)) {
        const inside = this.compiled.questions.get(name);
        const where = inside && inside.repeat ? this.t(" (it is inside repeat %(repeat)s)", { repeat: inside.repeat }) : "";
        add(errors, name, this.t("Not a question here%(where)s.", { where }));
        continue;
      }
      if (this.compiled.repeats.has(name)) {
        clean[name] = value;
        continue;
      }
      if (isEmpty(value)) {
        clean[name] = null;
        continue;
      }
      try {
        clean[name] = coerce(this.compiled.questions.get(name), value, this.t);
      } catch (error) {
        if (!(error instanceof AnswerError)) throw error;
        add(errors, name, error.message);
        this.invalid.add(name);
        clean[name] = null;
      }
    }
    return clean;
  }

  /** Relevance, required and constraint; skipped where they would only echo a type error already reported. */
  rules(question, value, lookup, errors, invalid) {
    const depends = question.conditions.flatMap((condition) => [...condition.references]);
    if (invalid.has(question.name) || depends.some((name) => invalid.has(name))) return;
    const relevant = question.conditions.every((condition) => toBool(evaluate(condition, lookup)));
    const name = question.name;
    const t = this.t;
    if (!relevant) {
      if (!isEmpty(value)) {
        const condition = question.conditions.map((c) => c.source).join(" and ");
        add(errors, name, t("Must be left empty: this question does not apply (%(condition)s).", { condition }));
      }
      return;
    }
    if (isEmpty(value)) {
      if (question.required) {
        add(errors, name, labelText(question.spec.required_message, this.language) || t("An answer is required."));
      }
      return;
    }
    if (question.choiceFilter && ["select_one", "select_multiple"].includes(question.type)) {
      const allowed = filteredChoices(question, lookup).map((choice) => choice.name);
      try {
        coerce(question, value, t, allowed);
      } catch (error) {
        add(errors, name, error.message);
        return;
      }
    }
    if (question.constraint && [...question.constraint.references].some((ref) => invalid.has(ref))) return;
    if (question.constraint && !toBool(evaluate(question.constraint, lookup, value))) {
      const message = labelText(question.spec.constraint_message, this.language);
      add(errors, name, message || t("Does not meet the condition: %(condition)s", { condition: question.constraint.source }));
    }
  }
}

function add(errors, name, message) {
  (errors[name] ??= []).push(message);
}

function schemaError(errors, name, message) {
  ((errors[name] ??= {})._schema ??= []).push(message);
}

function withoutEmpty(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => !isEmpty(value)));
}

/**
 * [clean answers, errors per question name]; a repeat's errors are keyed by repetition index
 * (surveys.answers.validate_answers). `language` picks the form's own required and constraint messages.
 */
export function validateAnswers(compiled, answers, { language = null, t = identity } = {}) {
  if (answers === null || typeof answers !== "object" || Array.isArray(answers)) {
    return [{}, { _schema: [t("Answers are an object keyed by question name.")] }];
  }
  const validation = new Validation(compiled, language, t);
  const errors = {};
  const clean = validation.scope(compiled.top, answers, errors);
  const lookup = outerLookup(compiled, clean);
  for (const name of compiled.top) {
    if (compiled.repeats.has(name)) {
      clean[name] = repeat(validation, compiled.repeats.get(name), clean[name] ?? null, clean, errors);
    } else {
      validation.rules(compiled.questions.get(name), clean[name] ?? null, lookup, errors, validation.invalid);
    }
  }
  return [withoutEmpty(clean), errors];
}

/** Outside a repeat, a question of a repeat stands for the list of its answers (for sum, count, min, max). */
export function outerLookup(compiled, values) {
  return (name) => {
    const question = compiled.questions.get(name);
    if (question && question.repeat) {
      const items = values[question.repeat];
      return Array.isArray(items) ? items.map((item) => (item && typeof item === "object" ? (item[name] ?? null) : null)) : [];
    }
    return values[name] ?? null;
  };
}

function repeat(validation, spec, items, clean, errors) {
  const t = validation.t;
  const lookup = outerLookup(validation.compiled, clean);
  const relevant = spec.conditions.every((condition) => toBool(evaluate(condition, lookup)));
  if (isEmpty(items)) return null;
  if (!Array.isArray(items) || !items.every((item) => item !== null && typeof item === "object" && !Array.isArray(item))) {
    schemaError(errors, spec.name, t("Must be a list of objects."));
    return null;
  }
  if (!relevant) {
    const condition = spec.conditions.map((c) => c.source).join(" and ");
    schemaError(errors, spec.name, t("Must be left empty: this part does not apply (%(condition)s).", { condition }));
    return null;
  }
  if (items.length > spec.maxRepeats) {
    schemaError(errors, spec.name, t("At most %(limit)s entries.", { limit: spec.maxRepeats }));
    return null;
  }
  const result = [];
  items.forEach((item, index) => {
    const itemErrors = {};
    const topInvalid = new Set(validation.invalid);
    const itemClean = validation.scope(spec.members, item, itemErrors);
    const invalid = validation.invalid;
    validation.invalid = topInvalid;
    const itemLookup = (name) => {
      const question = validation.compiled.questions.get(name);
      if (question && question.repeat === spec.name) return itemClean[name] ?? null;
      return lookup(name);
    };
    for (const name of spec.members) {
      validation.rules(validation.compiled.questions.get(name), itemClean[name] ?? null, itemLookup, itemErrors, invalid);
    }
    if (Object.keys(itemErrors).length) (errors[spec.name] ??= {})[index] = itemErrors;
    result.push(withoutEmpty(itemClean));
  });
  return result;
}

/** Errors of the server's shape as a flat {path: [messages]}: "name", "repeat" and "repeat[0].name". */
export function errorPaths(errors) {
  const flat = {};
  for (const [name, value] of Object.entries(errors || {})) {
    if (Array.isArray(value)) {
      flat[name] = value.map(String);
    } else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "_schema") flat[name] = inner.map(String);
        else for (const [member, messages] of Object.entries(inner)) flat[`${name}[${key}].${member}`] = messages.map(String);
      }
    } else {
      flat[name] = [String(value)];
    }
  }
  return flat;
}
