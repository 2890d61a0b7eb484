// The live state of one survey being filled in, kept apart from the screen: the answers typed so far, and what
// follows from them by the form's rules: which questions and parts apply (relevance), calculated values, defaults,
// the choices a choice filter leaves, how many repetitions a repeat_count asks for. What goes to the server
// (answers()) leaves out every answer to a question that does not apply, as the server requires.

import { validateAnswers, errorPaths, filteredChoices } from "./answers.js";
import { compileDefinition, labelText, pickLanguage } from "./definition.js";
import { evaluate, isEmpty, toBool, toNumber } from "./expressions.js";
import { split } from "./pyvalues.js";
import { identity } from "./messages.js";

const MAX_PASSES = 10;

/** A question's path: "name" at the top, "repeat[index].name" inside a repetition. */
export function pathOf(name, repeat = null, index = null) {
  return repeat === null ? name : `${repeat}[${index}].${name}`;
}

/** The typed value of a `default` (always written as a string literal), or null when it does not fit the type. */
export function defaultValue(question) {
  const text = question.spec.default;
  if (text === undefined || text === null || text === "") return null;
  const raw = String(text);
  switch (question.type) {
    case "integer": {
      const number = toNumber(raw);
      return Number.isInteger(number) ? number : null;
    }
    case "decimal":
    case "range": {
      const number = toNumber(raw);
      return Number.isFinite(number) ? number : null;
    }
    case "boolean":
      return raw.trim().toLowerCase() === "true" ? true : raw.trim().toLowerCase() === "false" ? false : null;
    case "select_multiple":
      return split(raw);
    case "rank":
      return split(raw);
    case "acknowledge":
      return raw.trim().toLowerCase() === "true" || raw.trim() === "OK" ? true : null;
    case "geopoint": {
      const [lat, lon, altitude, accuracy] = split(raw).map(toNumber);
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
      const point = { lat, lon };
      if (Number.isFinite(altitude)) point.altitude = altitude;
      if (Number.isFinite(accuracy)) point.accuracy = accuracy;
      return point;
    }
    default:
      return raw;
  }
}

/** A calculated value as an answer: NaN and infinities are no answer. */
function answerOf(value) {
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (value === undefined) return null;
  return value;
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class SurveyState {
  constructor(definition, { language = "vi", answers = {}, t = null, now = () => new Date() } = {}) {
    this.definition = definition;
    this.compiled = compileDefinition(definition);
    this.formLanguage = pickLanguage(definition, language);
    this.t = t || identity;
    this.now = now;
    this.values = {};
    this.given = new Set(); // paths the user (or the caller's answers) set: defaults never overwrite them
    this.load(answers || {});
    this.refresh();
  }

  text(value) {
    return labelText(value, this.formLanguage);
  }

  load(answers) {
    const compiled = this.compiled;
    for (const name of compiled.top) {
      if (compiled.repeats.has(name)) {
        const items = Array.isArray(answers[name]) ? answers[name] : [];
        this.values[name] = items.map((item) => this.newItem(name, item && typeof item === "object" ? item : {}));
      } else if (Object.hasOwn(answers, name)) {
        this.values[name] = clone(answers[name]);
        this.given.add(name);
      } else {
        this.values[name] = defaultValue(compiled.questions.get(name));
      }
    }
  }

  newItem(repeat, given = {}) {
    const item = {};
    for (const member of this.compiled.repeats.get(repeat).members) {
      item[member] = Object.hasOwn(given, member) ? clone(given[member]) : defaultValue(this.compiled.questions.get(member));
    }
    return item;
  }

  /** The value typed for a question (null if none), at the top or in repetition `index` of its repeat. */
  get(name, index = null) {
    const question = this.compiled.questions.get(name);
    if (question && question.repeat) {
      const items = this.values[question.repeat] || [];
      return items[index] ? (items[index][name] ?? null) : null;
    }
    return this.values[name] ?? null;
  }

  set(name, value, index = null) {
    const question = this.compiled.questions.get(name);
    const clean = isEmpty(value) ? null : value;
    if (question && question.repeat) {
      this.values[question.repeat][index][name] = clean;
      this.given.add(pathOf(name, question.repeat, index));
    } else {
      this.values[name] = clean;
      this.given.add(name);
    }
    this.refresh();
  }

  repeatItems(repeat) {
    return this.values[repeat] || [];
  }

  /** Whether a repetition may be added (no repeat_count, below max_repeats). */
  canAdd(repeat) {
    const spec = this.compiled.repeats.get(repeat);
    return spec.repeatCount === null && this.repeatItems(repeat).length < spec.maxRepeats;
  }

  canRemove(repeat) {
    return this.compiled.repeats.get(repeat).repeatCount === null;
  }

  addItem(repeat) {
    if (!this.canAdd(repeat)) return false;
    this.values[repeat] = [...this.repeatItems(repeat), this.newItem(repeat)];
    this.refresh();
    return true;
  }

  removeItem(repeat, index) {
    if (!this.canRemove(repeat)) return false;
    const items = [...this.repeatItems(repeat)];
    items.splice(index, 1);
    this.values[repeat] = items;
    this.given = new Set([...this.given].filter((path) => !path.startsWith(`${repeat}[`)));
    this.refresh();
    return true;
  }

  /** A lookup of answers as the server would see them, from inside repetition `index` of `repeat` or the top. */
  lookup(effective, repeat = null, index = null) {
    const compiled = this.compiled;
    return (name) => {
      const question = compiled.questions.get(name);
      if (question && question.repeat) {
        const items = Array.isArray(effective[question.repeat]) ? effective[question.repeat] : [];
        if (question.repeat === repeat) return items[index] ? (items[index][name] ?? null) : null;
        return items.map((item) => item[name] ?? null);
      }
      return effective[name] ?? null;
    };
  }

  /** Recompute what follows from the answers: calculations, relevance, choice filters and repeat counts. */
  refresh() {
    const compiled = this.compiled;
    let effective = clone(this.values);
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const before = JSON.stringify(effective);
      const next = {};
      this.relevant = new Map();
      this.choices = new Map();
      const visit = (name, repeat, index, scope) => {
        const question = compiled.questions.get(name);
        const lookup = this.lookup(effective, repeat, index);
        const path = pathOf(name, repeat, index);
        const relevant = question.conditions.every((condition) => safeBool(condition, lookup, this.now));
        this.relevant.set(path, relevant);
        let value = repeat === null ? this.values[name] : this.values[repeat][index][name];
        if (question.calculation && (question.type === "calculate" || !this.given.has(path))) {
          value = answerOf(safeEvaluate(question.calculation, lookup, this.now));
          if (repeat === null) this.values[name] = value;
          else this.values[repeat][index][name] = value;
        }
        if (question.choiceFilter) {
          const kept = filteredChoices(question, lookup);
          this.choices.set(path, kept);
          const names = kept.map((choice) => choice.name);
          if (question.type === "select_one" && value !== null && !names.includes(value)) value = null;
          if (question.type === "select_multiple" && Array.isArray(value)) {
            const left = value.filter((choice) => names.includes(choice));
            value = left.length ? left : null;
          }
        }
        scope[name] = relevant ? (value ?? null) : null;
      };
      for (const name of compiled.top) {
        if (compiled.repeats.has(name)) {
          const spec = compiled.repeats.get(name);
          const lookup = this.lookup(effective);
          const relevant = spec.conditions.every((condition) => safeBool(condition, lookup, this.now));
          this.relevant.set(name, relevant);
          if (spec.repeatCount !== null) this.applyCount(name, spec, lookup);
          next[name] = relevant ? this.values[name].map(() => ({})) : null;
          this.values[name].forEach((_, index) => {
            for (const member of spec.members) visit(member, name, index, relevant ? next[name][index] : {});
          });
        } else {
          visit(name, null, null, next);
        }
      }
      for (const [name, group] of compiled.groups) {
        const repeat = this.repeatOfGroup(name);
        if (repeat === null) {
          this.relevant.set(name, group.conditions.every((c) => safeBool(c, this.lookup(next), this.now)));
        } else {
          this.values[repeat].forEach((_, index) => {
            const lookup = this.lookup(next, repeat, index);
            this.relevant.set(pathOf(name, repeat, index), group.conditions.every((c) => safeBool(c, lookup, this.now)));
          });
        }
      }
      effective = next;
      if (JSON.stringify(effective) === before) break;
    }
    this.effective = effective;
  }

  repeatOfGroup(group) {
    if (!this.groupRepeats) {
      this.groupRepeats = new Map();
      const walk = (entries, repeat) => {
        for (const entry of entries || []) {
          if (entry.type === "group") {
            this.groupRepeats.set(entry.name, repeat);
            walk(entry.questions, repeat);
          } else if (entry.type === "repeat") walk(entry.questions, entry.name);
        }
      };
      walk(this.definition.questions, null);
    }
    return this.groupRepeats.get(group) ?? null;
  }

  applyCount(name, spec, lookup) {
    let count = spec.repeatCount;
    if (typeof count !== "number") count = toNumber(safeEvaluate(count, lookup, this.now));
    count = Number.isFinite(count) ? Math.max(0, Math.min(spec.maxRepeats, Math.trunc(count))) : 0;
    const items = this.values[name];
    while (items.length < count) items.push(this.newItem(name));
    if (items.length > count) items.length = count;
  }

  /** Whether the question, group or repeat at `path` applies now. */
  isRelevant(path) {
    return this.relevant.get(path) !== false;
  }

  /** The choices to offer at `path` (a choice filter may leave fewer than the question lists). */
  choicesAt(name, path) {
    return this.choices.get(path) ?? (this.compiled.questions.get(name).spec.choices || []);
  }

  /** The answers to send: only those that apply and are given, as the server expects them. */
  answers() {
    const result = {};
    for (const [name, value] of Object.entries(this.effective)) {
      if (Array.isArray(value) && this.compiled.repeats.has(name)) {
        if (!value.length) continue;
        result[name] = value.map((item) =>
          Object.fromEntries(Object.entries(item).filter(([, v]) => !isEmpty(v)).map(([k, v]) => [k, clone(v)])),
        );
      } else if (!isEmpty(value)) {
        result[name] = clone(value);
      }
    }
    return result;
  }

  /** The errors the server would find, as {path: message} in the user's language. */
  validate() {
    const [, errors] = validateAnswers(this.compiled, this.answers(), { language: this.formLanguage, t: this.t });
    return Object.fromEntries(Object.entries(errorPaths(errors)).map(([path, messages]) => [path, messages[0]]));
  }
}

function safeEvaluate(expression, lookup, now) {
  try {
    return evaluate(expression, lookup, null, now);
  } catch {
    return null;
  }
}

function safeBool(expression, lookup, now) {
  return toBool(safeEvaluate(expression, lookup, now));
}
