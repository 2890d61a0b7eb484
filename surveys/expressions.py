"""A small, safe expression language for constraints, relevance conditions and mapping conditions.

It is the subset of XLSForm (XPath) expressions that forms use: ``.`` (this answer), ``${name}`` (another
answer), numbers, 'strings', comparisons, ``+ - * div mod``, ``and``/``or``, parentheses and the functions of
``FUNCTIONS``. Expressions are parsed into a tree and interpreted; nothing is ever passed to ``eval``. The rules
are written down in surveys/FORMS.md; surveys/spec/expression_cases.json holds the cases both evaluators (this one
and the field app's) must agree on. In a choice filter a bare name is a column of the choice being tested.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext

FUNCTIONS = {
    # name: (min args, max args)
    "selected": (2, 2),
    "not": (1, 1),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "if": (3, 3),
    "coalesce": (2, 2),
    "number": (1, 1),
    "string": (1, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "today": (0, 0),
    "now": (0, 0),
    "round": (1, 2),
    "int": (1, 1),
    "concat": (1, 100),
    "substr": (2, 3),
    "regex": (2, 2),
    "sum": (1, 1),
    "count": (1, 1),
    "min": (1, 100),
    "max": (1, 100),
    "selected-at": (2, 2),
    "boolean": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
}
CLOCK_FUNCTIONS = frozenset({"today", "now"})
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # today() and now() are read on the clock of Viet Nam
MAX_LENGTH = 2000
MAX_DEPTH = 200  # nested calls of the parser (about six per level of parentheses)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<ref>\$\{[^}]*\})
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<self>\.(?![\w.]))
  | (?P<word>[A-Za-z_][\w:-]*)
  | (?P<other>.)
    """,
    re.VERBOSE,
)
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")


class ExpressionError(ValueError):
    """The expression cannot be parsed, or uses something this language does not support."""

    def __init__(self, message: str, unsupported: bool = False):
        super().__init__(message)
        self.unsupported = unsupported


@dataclass(frozen=True)
class Expression:
    source: str
    tree: tuple
    references: frozenset[str]
    uses_self: bool
    columns: frozenset[str] = frozenset()  # bare names of a choice filter: columns of the choice
    functions: frozenset[str] = frozenset()

    @property
    def uses_clock(self) -> bool:
        return bool(self.functions & CLOCK_FUNCTIONS)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(source: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "other":
            if text == "/":
                message = gettext(
                    "Unexpected '%(text)s' at position %(position)s (paths are not supported: refer to answers as "
                    "${name}).",
                    text=text,
                    position=match.start() + 1,
                )
            else:
                message = gettext(
                    "Unexpected '%(text)s' at position %(position)s.", text=text, position=match.start() + 1
                )
            raise ExpressionError(message, unsupported=True)
        tokens.append(_Token(kind, text, match.start()))
    tokens.append(_Token("end", "", len(source)))
    return tokens


class _Parser:
    """Recursive descent in XPath precedence: or < and < equality < relational < additive < multiplicative <
    unary minus < primary."""

    def __init__(self, source: str, columns: bool = False):
        self.tokens = _tokens(source)
        self.at = 0
        self.references: set[str] = set()
        self.columns: set[str] | None = set() if columns else None
        self.functions: set[str] = set()
        self.uses_self = False
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        if self.token.text != text or self.token.kind not in ("op", "word"):
            found = self.token.text or gettext("the end")
            raise ExpressionError(
                gettext(
                    "Expected '%(text)s' at position %(position)s, found '%(found)s'.",
                    text=text,
                    position=self.token.position + 1,
                    found=found,
                )
            )
        self.take()

    def parse(self) -> tuple:
        tree = self.binary(0)
        if self.token.kind != "end":
            raise ExpressionError(
                gettext(
                    "Unexpected '%(text)s' at position %(position)s.",
                    text=self.token.text,
                    position=self.token.position + 1,
                )
            )
        return tree

    LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(gettext("Expression nested too deeply."))

    def binary(self, level: int) -> tuple:
        if level == len(self.LEVELS):
            return self.unary()
        self.deeper()
        left = self.binary(level + 1)
        while self.token.kind in ("op", "word") and self.token.text in self.LEVELS[level]:
            op = self.take().text
            left = ("bin", op, left, self.binary(level + 1))
        self.depth -= 1
        return left

    def unary(self) -> tuple:
        if self.token.kind == "op" and self.token.text == "-":
            self.take()
            self.deeper()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner)
        return self.primary()

    def primary(self) -> tuple:
        token = self.take()
        if token.kind == "number":
            return ("lit", float(token.text))
        if token.kind == "string":
            return ("lit", token.text[1:-1])
        if token.kind == "ref":
            name = token.text[2:-1].strip()
            if not NAME.match(name):
                raise ExpressionError(gettext("%(text)s is not a valid reference to a question.", text=token.text))
            self.references.add(name)
            return ("ref", name)
        if token.kind == "self":
            self.uses_self = True
            return ("self",)
        if token.kind == "op" and token.text == "(":
            inner = self.binary(0)
            self.expect(")")
            return inner
        if token.kind == "word" and self.token.text == "(":
            return self.call(token)
        if token.kind == "end":
            raise ExpressionError(gettext("The expression ends too early."))
        if token.kind == "word" and self.columns is not None and NAME.match(token.text):
            self.columns.add(token.text)
            return ("col", token.text)
        if token.kind == "word":
            raise ExpressionError(
                gettext(
                    "Unexpected name '%(text)s' at position %(position)s: refer to answers as ${name}.",
                    text=token.text,
                    position=token.position + 1,
                ),
                unsupported=True,
            )
        raise ExpressionError(
            gettext("Unexpected '%(text)s' at position %(position)s.", text=token.text, position=token.position + 1)
        )

    def call(self, name_token: _Token) -> tuple:
        name = name_token.text
        if name not in FUNCTIONS:
            raise ExpressionError(
                gettext(
                    "Function %(name)s() is not supported (supported: %(supported)s).",
                    name=name,
                    supported=", ".join(sorted(FUNCTIONS)),
                ),
                unsupported=True,
            )
        self.expect("(")
        args = []
        if not (self.token.kind == "op" and self.token.text == ")"):
            args.append(self.binary(0))
            while self.token.kind == "op" and self.token.text == ",":
                self.take()
                args.append(self.binary(0))
        self.expect(")")
        self.functions.add(name)
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            raise ExpressionError(
                gettext("%(name)s() takes %(low)s argument(s), not %(given)s.", name=name, low=low, given=len(args))
            )
        return ("call", name, tuple(args))


def parse(source: str, columns: bool = False) -> Expression:
    """Parse an expression; raises ``ExpressionError`` saying what is wrong or unsupported. With ``columns``
    (choice filters) a bare name is a column of the choice being tested."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(gettext("Must be a non-empty expression."))
    if len(source) > MAX_LENGTH:
        raise ExpressionError(gettext("Longer than %(limit)s characters.", limit=MAX_LENGTH))
    parser = _Parser(source, columns)
    tree = parser.parse()
    return Expression(
        source,
        tree,
        frozenset(parser.references),
        parser.uses_self,
        frozenset(parser.columns or ()),
        frozenset(parser.functions),
    )


# Values: None (unanswered), str, int/float, bool, list[str] (select_multiple), dict (geopoint).


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def to_number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        if isinstance(value, int | float):
            return float(value)
        return float(to_string(value).strip())
    except (ValueError, OverflowError):
        return math.nan


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return " ".join(to_string(item) for item in value)
    if isinstance(value, dict):
        return f"{value.get('lat')} {value.get('lon')}"
    return str(value)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, dict):
        return True
    return not is_empty(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("=", "!="):
        equal = _equal(left, right)
        return equal if op == "=" else not equal
    a, b = to_number(left), to_number(right)
    if math.isnan(a) or math.isnan(b):
        if isinstance(left, str) and isinstance(right, str) and left and right:
            a, b = left, right  # ISO dates compare as text
        else:
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _equal(left: Any, right: Any) -> bool:
    """Booleans equal 'true'/'false' and 1/0; a number compares numerically; everything else as text."""
    for one, other in ((left, right), (right, left)):
        if isinstance(one, bool):
            if isinstance(other, str):
                return to_string(one) == other.strip().lower()
            return one == to_bool(other)
    if isinstance(left, int | float) or isinstance(right, int | float):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)


def _arithmetic(op: str, left: Any, right: Any) -> float:
    a, b = to_number(left), to_number(right)
    try:
        return _apply(op, a, b)
    except (ArithmeticError, ValueError):  # inf mod x and the like
        return math.nan


def _apply(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return math.nan
    return a / b if op == "div" else math.fmod(a, b)


def evaluate(expression: Expression, lookup, current: Any = None, columns: dict | None = None) -> Any:
    """The value of ``expression``; ``lookup(name)`` gives another answer, ``current`` is ``.``, ``columns`` the
    columns of the choice a choice filter is testing (a missing column is empty)."""
    if columns is not None:
        inner = lookup

        def lookup(name, inner=inner):
            if isinstance(name, tuple):
                return columns.get(name[1], "")
            return inner(name)

    return _eval(expression.tree, lookup, current)


def _eval(node: tuple, lookup, current: Any) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return lookup(node[1])
    if kind == "col":
        return lookup(node)
    if kind == "self":
        return current
    if kind == "neg":
        return -to_number(_eval(node[1], lookup, current))
    if kind == "bin":
        _, op, left_node, right_node = node
        if op == "or":
            return to_bool(_eval(left_node, lookup, current)) or to_bool(_eval(right_node, lookup, current))
        if op == "and":
            return to_bool(_eval(left_node, lookup, current)) and to_bool(_eval(right_node, lookup, current))
        left, right = _eval(left_node, lookup, current), _eval(right_node, lookup, current)
        if op in COMPARISONS:
            return _compare(op, left, right)
        return _arithmetic(op, left, right)
    _, name, arg_nodes = node
    if name == "if":
        condition, then, otherwise = arg_nodes
        return _eval(then if to_bool(_eval(condition, lookup, current)) else otherwise, lookup, current)
    args = [_eval(arg, lookup, current) for arg in arg_nodes]
    return _call(name, args)


def _call(name: str, args: list) -> Any:
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "not":
        return not to_bool(args[0])
    if name == "selected":
        values = args[0] if isinstance(args[0], list) else to_string(args[0]).split()
        return to_string(args[1]).strip() in [to_string(value) for value in values]
    if name == "count-selected":
        return float(len(args[0]) if isinstance(args[0], list) else len(to_string(args[0]).split()))
    if name == "string-length":
        return float(len(to_string(args[0])))
    if name == "coalesce":
        return args[1] if is_empty(args[0]) else args[0]
    if name == "number":
        return to_number(args[0])
    if name == "string":
        return to_string(args[0])
    if name == "contains":
        return to_string(args[1]) in to_string(args[0])
    if name == "starts-with":
        return to_string(args[0]).startswith(to_string(args[1]))
    function = _MORE.get(name)
    if function is not None:
        return function(*args)
    raise ExpressionError(
        gettext("Function %(name)s() is not supported.", name=name), unsupported=True
    )  # pragma: no cover


def _numbers(values) -> list[float]:
    """The numbers of the arguments of min/max/sum: lists (repeat answers) are spread out."""
    numbers = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            numbers.append(to_number(item))
    return numbers


def _round(value: Any, digits: Any = 0.0) -> float:
    """Half away from zero, as ODK Collect does: round(2.5) = 3, round(-2.5) = -3."""
    number, places = to_number(value), to_number(digits)
    if math.isnan(places):
        return math.nan
    if math.isnan(number) or math.isinf(number):
        return number
    factor = 10.0 ** int(places)
    scaled = abs(number) * factor
    rounded = math.floor(scaled + 0.5) / factor
    return math.copysign(rounded, number) if rounded else 0.0


def _int(value: Any) -> float:
    number = to_number(value)
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


def _substr(text: Any, start: Any, end: Any = None) -> str:
    """ODK's substr: positions from 0, ``end`` excluded; a negative position counts from the end."""
    string = to_string(text)
    first = to_number(start)
    last = len(string) if end is None else to_number(end)
    if math.isnan(first) or math.isnan(last):
        return ""
    return string[_position(first, len(string)) : _position(last, len(string))]


def _position(number: float, length: int) -> int:
    if math.isinf(number):
        return length if number > 0 else 0
    return int(number)


def _regex(text: Any, pattern: Any) -> bool:
    """True when the pattern matches somewhere in the text (anchor it with ^ and $ for the whole text)."""
    try:
        return re.search(to_string(pattern), to_string(text)) is not None
    except re.error:
        return False


def _sum(value: Any) -> float:
    """The sum of a list (repeat answers); an unanswered item makes it NaN, as in ODK."""
    items = value if isinstance(value, list) else ([] if is_empty(value) else [value])
    return float(sum(to_number(item) for item in items))


def _count(value: Any) -> float:
    if isinstance(value, list):
        return float(len(value))
    return 0.0 if is_empty(value) else 1.0


def _extreme(pick):
    def extreme(*values) -> float:
        numbers = _numbers(values)
        if not numbers or any(math.isnan(number) for number in numbers):
            return math.nan
        return float(pick(numbers))

    return extreme


def _selected_at(value: Any, index: Any) -> str:
    items = [to_string(item) for item in value] if isinstance(value, list) else to_string(value).split()
    position = to_number(index)
    if math.isnan(position) or not 0 <= position < len(items):
        return ""
    return items[int(position)]


def _unary(function):
    def apply(value: Any) -> float:
        number = to_number(value)
        if math.isnan(number) or math.isinf(number):
            return number
        return float(function(number))

    return apply


def _pow(base: Any, exponent: Any) -> float:
    try:
        result = math.pow(to_number(base), to_number(exponent))
    except (OverflowError, ValueError):
        return math.nan
    return result


_MORE = {
    "today": lambda: datetime.now(TIMEZONE).date().isoformat(),
    "now": lambda: datetime.now(TIMEZONE).isoformat(timespec="seconds"),
    "round": _round,
    "int": _int,
    "concat": lambda *values: "".join(to_string(value) for value in values),
    "substr": _substr,
    "regex": _regex,
    "sum": _sum,
    "count": _count,
    "min": _extreme(min),
    "max": _extreme(max),
    "selected-at": _selected_at,
    "boolean": to_bool,
    "floor": _unary(math.floor),
    "ceiling": _unary(math.ceil),
    "abs": _unary(abs),
    "pow": _pow,
}
