// Python's text and number rules, as the server's evaluator (surveys/expressions.py) relies on them:
// str.strip() and str.split() whitespace, float() parsing, str()/repr() of numbers, code point lengths and
// comparisons. JavaScript's own rules differ at the edges (Number("") is 0, Number("0x10") is 16, trim() strips
// U+FEFF), and the phone must reach the same verdicts as the server.

// Characters for which Python's str.isspace() is true.
const SPACE_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" +
  "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
export const SPACE_CLASS = `[${SPACE_CHARS.replace(/[\x0b\x0c]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}]`;
const LEADING = new RegExp(`^${SPACE_CLASS}+`, "u");
const TRAILING = new RegExp(`${SPACE_CLASS}+$`, "u");
const RUNS = new RegExp(`${SPACE_CLASS}+`, "u");
const DIGIT = /\p{Nd}/u;

/** Python's str.strip(). */
export function strip(text) {
  return text.replace(LEADING, "").replace(TRAILING, "");
}

/** Python's str.split() with no separator: runs of whitespace, no empty parts. */
export function split(text) {
  const stripped = strip(text);
  return stripped ? stripped.split(RUNS) : [];
}

/** Python's len() of a str: code points, not UTF-16 units. */
export function length(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Python's comparison of two str: by code point. */
export function compareText(a, b) {
  const left = [...a];
  const right = [...b];
  const shorter = Math.min(left.length, right.length);
  for (let i = 0; i < shorter; i += 1) {
    const x = left[i].codePointAt(0);
    const y = right[i].codePointAt(0);
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
}

/** The ASCII digit of any Unicode decimal digit (Nd runs are 0..9 in a row, per Unicode's stability policy). */
function asciiDigit(char) {
  let code = char.codePointAt(0);
  let start = code;
  while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  code = (code - start) % 10;
  return String(code);
}

/** Replace every Unicode decimal digit by its ASCII digit, as Python's float() reads them. */
export function asciiDigits(text) {
  return text.replace(/\p{Nd}/gu, (char) => (char >= "0" && char <= "9" ? char : asciiDigit(char)));
}

const DIGITS = "[0-9](?:_?[0-9])*";
const FLOAT_TEXT = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  "i",
);

/** Python's float(text): NaN where Python raises ValueError. */
export function parseFloatText(text) {
  const number = pythonFloat(text);
  return number === null ? NaN : number;
}

/** Python's float(text), null where Python raises ValueError. */
export function pythonFloat(text) {
  const clean = asciiDigits(strip(text));
  if (!FLOAT_TEXT.test(clean)) return null;
  const lower = clean.toLowerCase().replace(/_/g, "");
  const sign = lower.startsWith("-") ? -1 : 1;
  const body = lower.replace(/^[+-]/, "");
  if (body === "nan") return NaN;
  if (body === "inf" || body === "infinity") return sign * Infinity;
  return Number(lower);
}

/** Python's repr() of a float (shortest round trip, exponent when < 1e-4 or >= 1e16). */
export function floatRepr(value) {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text;
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const sign = exponent < 0 ? "-" : "+";
    text = `${digits[0]}${rest ? `.${rest}` : ""}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else if (exponent < 0) {
    text = `0.${"0".repeat(-exponent - 1)}${digits}`;
  } else if (digits.length <= exponent + 1) {
    text = `${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
  } else {
    text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  return negative ? `-${text}` : text;
}

/** Python's str(int(value)) for a whole float: every digit, never an exponent. */
export function wholeText(value) {
  return BigInt(value).toString();
}

/** Python's str() of a JSON value as it would print inside an f-string (used for geopoint parts). */
export function pyStr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isInteger(value) ? wholeText(value) : floatRepr(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
