// The survey expression language, evaluated on the phone exactly as the server evaluates it
// (surveys/expressions.py): the same tokens, precedence, coercions and comparisons, and the functions of the form
// model contract (surveys/FORMS.md). Expressions are parsed into a tree and interpreted; nothing reaches eval.
// Both sides run the shared table surveys/spec/expression_cases.json.

import {
  SPACE_CLASS,
  asciiDigits,
  compareText,
  floatRepr,
  length,
  parseFloatText,
  pyStr,
  split,
  strip,
  wholeText,
} from "./pyvalues.js";
import { identity } from "./messages.js";

// name: [min args, max args (null: any number)]
export const FUNCTIONS = {
  selected: [2, 2],
  not: [1, 1],
  "count-selected": [1, 1],
  "string-length": [1, 1],
  true: [0, 0],
  false: [0, 0],
  if: [3, 3],
  coalesce: [2, 2],
  number: [1, 1],
  string: [1, 1],
  contains: [2, 2],
  "starts-with": [2, 2],
  today: [0, 0],
  now: [0, 0],
  round: [1, 2],
  int: [1, 1],
  concat: [1, null],
  substr: [2, 3],
  regex: [2, 2],
  sum: [1, 1],
  count: [1, 1],
  min: [1, null],
  max: [1, null],
  "selected-at": [2, 2],
  boolean: [1, 1],
  floor: [1, 1],
  ceiling: [1, 1],
  abs: [1, 1],
  pow: [2, 2],
};
export const MAX_LENGTH = 2000;
export const MAX_DEPTH = 200;
export const TIME_ZONE = "Asia/Ho_Chi_Minh";

const WORD_CHAR = "[\\p{L}\\p{N}_]"; // Python's \w on text
const TOKEN = new RegExp(
  [
    `(?<space>${SPACE_CLASS}+)`,
    "(?<number>\\p{Nd}+(?:\\.\\p{Nd}*)?|\\.\\p{Nd}+)",
    "(?<string>'[^']*'|\"[^\"]*\")",
    "(?<ref>\\$\\{[^}]*\\})",
    "(?<op><=|>=|!=|=|<|>|\\+|-|\\*|\\(|\\)|,)",
    `(?<self>\\.(?!${WORD_CHAR}|\\.))`,
    `(?<word>[A-Za-z_](?:${WORD_CHAR}|[:-])*)`,
    "(?<other>[^\\n])",
  ].join("|"),
  "uy",
);
const KINDS = ["space", "number", "string", "ref", "op", "self", "word", "other"];
export const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const COMPARISONS = new Set(["=", "!=", "<", "<=", ">", ">="]);
const LEVELS = [["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "div", "mod"]];


/** The expression cannot be parsed, or uses something this language does not support. */
export class ExpressionError extends Error {
  constructor(message, unsupported = false) {
    super(message);
    this.name = "ExpressionError";
    this.unsupported = unsupported;
  }
}

function tokens(source, t) {
  const found = [];
  TOKEN.lastIndex = 0;
  const position = (index) => length(source.slice(0, index)) + 1; // Python counts code points
  while (TOKEN.lastIndex < source.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) {
      // only a line break can be left unmatched, and it is whitespace
      TOKEN.lastIndex = start + 1;
      continue;
    }
    const kind = KINDS.find((name) => match.groups[name] !== undefined);
    const text = match[0];
    if (kind === "space") continue;
    if (kind === "other") {
      const message =
        text === "/"
          ? t(
              "Unexpected '%(text)s' at position %(position)s (paths are not supported: refer to answers as ${name}).",
              { text, position: position(start) },
            )
          : t("Unexpected '%(text)s' at position %(position)s.", { text, position: position(start) });
      throw new ExpressionError(message, true);
    }
    found.push({ kind, text, position: position(start) - 1 });
  }
  found.push({ kind: "end", text: "", position: length(source) });
  return found;
}

class Parser {
  constructor(source, t, columns) {
    this.t = t;
    this.columns = columns;
    this.tokens = tokens(source, t);
    this.at = 0;
    this.references = new Set();
    this.usesSelf = false;
    this.depth = 0;
  }

  get token() {
    return this.tokens[this.at];
  }

  take() {
    const token = this.tokens[this.at];
    this.at += 1;
    return token;
  }

  expect(text) {
    if (this.token.text !== text || !["op", "word"].includes(this.token.kind)) {
      const found = this.token.text || this.t("the end");
      throw new ExpressionError(
        this.t("Expected '%(text)s' at position %(position)s, found '%(found)s'.", {
          text,
          position: this.token.position + 1,
          found,
        }),
      );
    }
    this.take();
  }

  parse() {
    const tree = this.binary(0);
    if (this.token.kind !== "end") {
      throw new ExpressionError(
        this.t("Unexpected '%(text)s' at position %(position)s.", {
          text: this.token.text,
          position: this.token.position + 1,
        }),
      );
    }
    return tree;
  }

  deeper() {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw new ExpressionError(this.t("Expression nested too deeply."));
  }

  binary(level) {
    if (level === LEVELS.length) return this.unary();
    this.deeper();
    let left = this.binary(level + 1);
    while (["op", "word"].includes(this.token.kind) && LEVELS[level].includes(this.token.text)) {
      const op = this.take().text;
      left = ["bin", op, left, this.binary(level + 1)];
    }
    this.depth -= 1;
    return left;
  }

  unary() {
    if (this.token.kind === "op" && this.token.text === "-") {
      this.take();
      this.deeper();
      const inner = this.unary();
      this.depth -= 1;
      return ["neg", inner];
    }
    return this.primary();
  }

  primary() {
    const token = this.take();
    const t = this.t;
    if (token.kind === "number") return ["lit", parseFloatText(asciiDigits(token.text))];
    if (token.kind === "string") return ["lit", token.text.slice(1, -1)];
    if (token.kind === "ref") {
      const name = strip(token.text.slice(2, -1));
      if (!NAME.test(name)) {
        throw new ExpressionError(t("%(text)s is not a valid reference to a question.", { text: token.text }));
      }
      this.references.add(name);
      return ["ref", name];
    }
    if (token.kind === "self") {
      this.usesSelf = true;
      return ["self"];
    }
    if (token.kind === "op" && token.text === "(") {
      const inner = this.binary(0);
      this.expect(")");
      return inner;
    }
    if (token.kind === "word" && this.token.text === "(") return this.call(token);
    if (token.kind === "end") throw new ExpressionError(t("The expression ends too early."));
    if (token.kind === "word" && this.columns) return ["col", token.text];
    if (token.kind === "word") {
      throw new ExpressionError(
        t("Unexpected name '%(text)s' at position %(position)s: refer to answers as ${name}.", {
          text: token.text,
          position: token.position + 1,
        }),
        true,
      );
    }
    throw new ExpressionError(
      t("Unexpected '%(text)s' at position %(position)s.", { text: token.text, position: token.position + 1 }),
    );
  }

  call(nameToken) {
    const name = nameToken.text;
    const t = this.t;
    if (!Object.hasOwn(FUNCTIONS, name)) {
      throw new ExpressionError(
        t("Function %(name)s() is not supported (supported: %(supported)s).", {
          name,
          supported: Object.keys(FUNCTIONS).sort().join(", "),
        }),
        true,
      );
    }
    this.expect("(");
    const args = [];
    if (!(this.token.kind === "op" && this.token.text === ")")) {
      args.push(this.binary(0));
      while (this.token.kind === "op" && this.token.text === ",") {
        this.take();
        args.push(this.binary(0));
      }
    }
    this.expect(")");
    const [low, high] = FUNCTIONS[name];
    if (args.length < low || (high !== null && args.length > high)) {
      throw new ExpressionError(
        t("%(name)s() takes %(low)s argument(s), not %(given)s.", { name, low, given: args.length }),
      );
    }
    return ["call", name, args];
  }
}

/**
 * Parse an expression; throws ExpressionError saying what is wrong or unsupported. With `columns` (choice filters),
 * a bare name stands for that column of the choice being tested.
 */
export function parse(source, t = identity, { columns = false } = {}) {
  if (typeof source !== "string" || !strip(source)) throw new ExpressionError(t("Must be a non-empty expression."));
  if (length(source) > MAX_LENGTH) {
    throw new ExpressionError(t("Longer than %(limit)s characters.", { limit: MAX_LENGTH }));
  }
  const parser = new Parser(source, t, columns);
  const tree = parser.parse();
  return { source, tree, references: parser.references, usesSelf: parser.usesSelf };
}

// Values: null (unanswered), string, number, boolean, string[] (select_multiple; a repeat question's answers
// seen from outside its repeat), object (geopoint, geotrace).

export function isEmpty(value) {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

export function toNumber(value) {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  return parseFloatText(toString(value));
}

export function toString(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isInteger(value) ? wholeText(value) : floatRepr(value);
  if (Array.isArray(value)) return value.map(toString).join(" ");
  if (typeof value === "object") return `${pyStr(value.lat)} ${pyStr(value.lon)}`;
  return String(value);
}

export function toBool(value) {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return !(value === 0 || Number.isNaN(value));
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return true;
  return !isEmpty(value);
}

function equal(left, right) {
  for (const [one, other] of [
    [left, right],
    [right, left],
  ]) {
    if (typeof one === "boolean") {
      if (typeof other === "string") return toString(one) === strip(other).toLowerCase();
      return one === toBool(other);
    }
  }
  if (typeof left === "number" || typeof right === "number") return toNumber(left) === toNumber(right);
  return toString(left) === toString(right);
}

function compare(op, left, right) {
  if (op === "=" || op === "!=") {
    const same = equal(left, right);
    return op === "=" ? same : !same;
  }
  let a = toNumber(left);
  let b = toNumber(right);
  if (Number.isNaN(a) || Number.isNaN(b)) {
    if (typeof left === "string" && typeof right === "string" && left && right) {
      const order = compareText(left, right); // ISO dates compare as text
      a = order;
      b = 0;
    } else {
      return false;
    }
  }
  if (op === "<") return a < b;
  if (op === "<=") return a <= b;
  if (op === ">") return a > b;
  return a >= b;
}

function arithmetic(op, left, right) {
  const a = toNumber(left);
  const b = toNumber(right);
  if (op === "+") return a + b;
  if (op === "-") return a - b;
  if (op === "*") return a * b;
  if (b === 0) return NaN;
  return op === "div" ? a / b : a % b; // % is C's fmod, as Python's math.fmod
}

/**
 * The value of a parsed expression; lookup(name) gives another answer, current is ".", now() the clock of today()
 * and now(), column(name) a column of the choice being tested by a choice filter.
 */
export function evaluate(expression, lookup, current = null, now = () => new Date(), column = () => null) {
  return evalNode(expression.tree, { lookup, current, now, column });
}

function evalNode(node, context) {
  const kind = node[0];
  if (kind === "lit") return node[1];
  if (kind === "ref") {
    const value = context.lookup(node[1]);
    return value === undefined ? null : value;
  }
  if (kind === "col") return context.column(node[1]) ?? null;
  if (kind === "self") return context.current === undefined ? null : context.current;
  if (kind === "neg") return -toNumber(evalNode(node[1], context));
  if (kind === "bin") {
    const [, op, leftNode, rightNode] = node;
    if (op === "or") return toBool(evalNode(leftNode, context)) || toBool(evalNode(rightNode, context));
    if (op === "and") return toBool(evalNode(leftNode, context)) && toBool(evalNode(rightNode, context));
    const left = evalNode(leftNode, context);
    const right = evalNode(rightNode, context);
    if (COMPARISONS.has(op)) return compare(op, left, right);
    return arithmetic(op, left, right);
  }
  const [, name, argNodes] = node;
  if (name === "if") {
    const [condition, then, otherwise] = argNodes;
    return evalNode(toBool(evalNode(condition, context)) ? then : otherwise, context);
  }
  const args = argNodes.map((arg) => evalNode(arg, context));
  return call(name, args, context);
}

function items(value) {
  return Array.isArray(value) ? value : split(toString(value));
}

function integer(value) {
  const number = toNumber(value);
  return Number.isFinite(number) ? Math.trunc(number) : NaN;
}

function numbersOf(args) {
  return args.flatMap((arg) => (Array.isArray(arg) ? arg : [arg])).map(toNumber);
}

/** Half away from zero, on the decimal digits as written (repr), not on the binary fraction. */
function roundHalfAway(value, digits) {
  if (!Number.isFinite(value) || !Number.isFinite(digits)) return NaN;
  const places = Math.trunc(digits);
  const shifted = Number(`${Math.abs(value).toExponential()}`.replace(/e([+-]\d+)$/, (_, e) => `e${Number(e) + places}`));
  const rounded = Math.floor(shifted + 0.5);
  const back = Number(`${rounded}e${-places}`);
  const result = value < 0 ? -back : back;
  return result === 0 ? 0 : result;
}

function parts(moment) {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  return Object.fromEntries(format.formatToParts(moment).map((part) => [part.type, part.value]));
}

function call(name, args, context) {
  switch (name) {
    case "true":
      return true;
    case "false":
      return false;
    case "not":
      return !toBool(args[0]);
    case "selected":
      return items(args[0])
        .map(toString)
        .includes(strip(toString(args[1])));
    case "count-selected":
      return items(args[0]).length;
    case "string-length":
      return length(toString(args[0]));
    case "coalesce":
      return isEmpty(args[0]) ? args[1] : args[0];
    case "number":
      return toNumber(args[0]);
    case "string":
      return toString(args[0]);
    case "contains":
      return toString(args[0]).includes(toString(args[1]));
    case "starts-with":
      return toString(args[0]).startsWith(toString(args[1]));
    case "today": {
      const p = parts(context.now());
      return `${p.year}-${p.month}-${p.day}`;
    }
    case "now": {
      const p = parts(context.now());
      return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}+07:00`;
    }
    case "round":
      return roundHalfAway(toNumber(args[0]), args.length > 1 ? toNumber(args[1]) : 0);
    case "int":
      return integer(args[0]);
    case "concat":
      return args.map(toString).join("");
    case "substr": {
      const text = [...toString(args[0])];
      const start = integer(args[1]);
      const end = args.length > 2 ? integer(args[2]) : text.length;
      return text.slice(Number.isNaN(start) ? 0 : start, Number.isNaN(end) ? text.length : end).join("");
    }
    case "regex":
      try {
        return new RegExp(toString(args[1]), "u").test(toString(args[0]));
      } catch {
        return false;
      }
    case "sum":
      return numbersOf([args[0]]).reduce((total, number) => total + number, 0);
    case "count":
      return Array.isArray(args[0]) ? args[0].length : isEmpty(args[0]) ? 0 : 1;
    case "min":
    case "max": {
      const numbers = numbersOf(args);
      if (numbers.length === 0 || numbers.some(Number.isNaN)) return NaN;
      return name === "min" ? Math.min(...numbers) : Math.max(...numbers);
    }
    case "selected-at": {
      const list = items(args[0]);
      const index = integer(args[1]);
      return index >= 0 && index < list.length ? toString(list[index]) : "";
    }
    case "boolean":
      return toBool(args[0]);
    case "floor":
      return Math.floor(toNumber(args[0]));
    case "ceiling":
      return Math.ceil(toNumber(args[0]));
    case "abs":
      return Math.abs(toNumber(args[0]));
    case "pow": {
      const result = toNumber(args[0]) ** toNumber(args[1]);
      return Number.isFinite(result) || Number.isNaN(result) ? result : NaN;
    }
    default:
      throw new ExpressionError(`Function ${name}() is not supported.`, true);
  }
}
