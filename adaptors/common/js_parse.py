"""Parse the JavaScript expressions of JSONPath filters (``[?(...)]``) and scripts (``[(...)]``).

OpenFn's jsonpath-plus reads these with ``jsep`` (plus its regex plugin, ``typeof``,
``void``, ``null`` and ``undefined``) and evaluates the tree without ``eval``. This is
the same grammar, written as a recursive-descent parser with precedence climbing:

    conditional := binary ["?" conditional ":" conditional]
    binary      := unary {OPERATOR unary}          (jsep's precedences, below)
    unary       := ("!" | "-" | "+" | "~" | "typeof" | "void") unary | postfix
    postfix     := primary {"." NAME | "[" conditional "]" | "(" arguments ")"}
    primary     := number | string | /regex/flags | "[" elements "]" | "(" conditional ")"
                 | NAME | true | false | null | undefined | @ | @.name | @property | @parent
                 | @parentProperty | @root | @path

A tree node is a tuple whose first item is its kind: ``("literal", value)``,
``("name", name)``, ``("member", object, property_node)``, ``("call", callee, args)``,
``("unary", op, argument)``, ``("binary", op, left, right)``, ``("conditional", test,
yes, no)``, ``("array", items)``, ``("regex", pattern, flags)``.

Example:
    >>> parse("@.age > 18 && @.active")[0]
    'binary'
"""

from __future__ import annotations

from ._js import UNDEFINED

__all__ = ["JSSyntaxError", "parse"]

BINARY = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6, "!==": 6,
    "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, ">>>": 8, "+": 9, "-": 9,
    "*": 10, "/": 10, "%": 10,
}
_OPERATORS = sorted(BINARY, key=len, reverse=True)
_LITERALS = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
_AT_NAMES = ("parentProperty", "parent", "property", "root", "path")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}
# Python spellings people carry over from jsonpath-ng, and how to write them for OpenFn.
_PYTHON_WORDS = {"and": "&&", "or": "||", "not": "!", "True": "true", "False": "false", "None": "null", "in": "includes()"}


class JSSyntaxError(ValueError):
    """An expression that cannot be read; ``position`` is the 0-based index in the expression."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def parse(text: str) -> tuple:
    """Return the tree of one JavaScript expression, or raise :class:`JSSyntaxError`."""
    return _Parser(text).whole()


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char in "$_" or (ord(char) >= 128 and char not in BINARY)


def _is_name_part(char: str) -> bool:
    return _is_name_start(char) or char.isdigit()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def fail(self, message: str, position: int | None = None) -> JSSyntaxError:
        return JSSyntaxError(message, self.at if position is None else position)

    def peek(self) -> str:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1
        return self.text[self.at] if self.at < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = f"{self.peek()!r}" if self.peek() else "the end"
            raise self.fail(f"expected {char!r}, found {found}")
        self.at += 1

    def whole(self) -> tuple:
        if not self.peek():
            raise self.fail("empty expression")
        node = self.conditional()
        if self.peek():
            raise self._unexpected()
        return node

    def _unexpected(self) -> JSSyntaxError:
        rest = self.text[self.at:]
        word = rest[: next((i for i, c in enumerate(rest) if not _is_name_part(c)), len(rest))]
        if word in _PYTHON_WORDS:
            return self.fail(f"{word!r} is Python; JavaScript writes {_PYTHON_WORDS[word]}")
        if rest.startswith("=~"):
            return self.fail("'=~' is not JavaScript; test a regular expression with /A.*/.test(@.name)")
        if rest.startswith("="):
            return self.fail("'=' assigns; compare with === (or ==)")
        return self.fail(f"unexpected {rest[0]!r}")

    def conditional(self) -> tuple:
        test = self.binary(0)
        if self.peek() != "?":
            return test
        self.at += 1
        yes = self.conditional()
        self.expect(":")
        return ("conditional", test, yes, self.conditional())

    def operator(self) -> str | None:
        self.peek()
        for op in _OPERATORS:
            if self.text.startswith(op, self.at) and not self.text.startswith(op + "=", self.at):
                return op
            if op in ("==", "!=") and self.text.startswith(op + "=", self.at):
                return op + "="
        return None

    def binary(self, floor: int) -> tuple:
        left = self.unary()
        while (op := self.operator()) and BINARY[op] > floor:
            self.at += len(op)
            left = ("binary", op, left, self.binary(BINARY[op]))
        return left

    def unary(self) -> tuple:
        char = self.peek()
        if char in ("!", "-", "+", "~") and not self.text.startswith("!=", self.at):
            self.at += 1
            return ("unary", char, self.unary())
        for word in ("typeof", "void"):
            end = self.at + len(word)
            if self.text.startswith(word, self.at) and not _is_name_part(self.text[end:end + 1] or " "):
                self.at = end
                return ("unary", word, self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: tuple) -> tuple:
        while True:
            char = self.peek()
            if char == ".":
                self.at += 1
                self.peek()
                node = ("member", node, ("literal", self.name("a property name after '.'")))
            elif char == "[":
                self.at += 1
                node = ("member", node, self.conditional())
                self.expect("]")
            elif char == "(":
                self.at += 1
                node = ("call", node, self.items(")"))
            else:
                return node

    def items(self, close: str) -> tuple:
        found: list = []
        while self.peek() != close:
            if found:
                self.expect(",")
            found.append(self.conditional())
        self.at += 1
        return tuple(found)

    def name(self, what: str) -> str:
        start = self.at
        if not _is_name_start(self.text[start:start + 1] or " "):
            raise self.fail(f"expected {what}")
        while self.at < len(self.text) and _is_name_part(self.text[self.at]):
            self.at += 1
        return self.text[start:self.at]

    def primary(self) -> tuple:
        char = self.peek()
        if not char:
            raise self.fail("the expression ends too early")
        if char.isdigit() or (char == "." and self.text[self.at + 1:self.at + 2].isdigit()):
            return ("literal", self.number())
        if char in "'\"":
            return ("literal", self.string(char))
        if char == "/":
            return self.regex()
        if char == "@":
            return self.at_name()
        if char in "([":
            self.at += 1
            if char == "[":
                return ("array", self.items("]"))
            node = self.conditional()
            self.expect(")")
            return node
        if _is_name_start(char):
            start, word = self.at, self.name("a name")
            if word in _PYTHON_WORDS:
                raise self.fail(f"{word!r} is Python; JavaScript writes {_PYTHON_WORDS[word]}", start)
            if word in _LITERALS:
                return ("literal", _LITERALS[word])
            return ("name", word)
        raise self._unexpected()

    def at_name(self) -> tuple:
        start = self.at
        self.at += 1
        for name in _AT_NAMES:
            if self.text.startswith(name, self.at):
                self.at += len(name)
                return ("name", "@" + name)
        following = self.text[self.at:self.at + 1]
        if following and following not in ".[)" and not following.isspace():
            raise self.fail("'@' must be followed by '.', '[', ')' or a space (OpenFn reads '@' only so)", start)
        if not following:
            raise self.fail("'@' alone is not read by OpenFn; write (@ && true) or @.name", start)
        return ("name", "@")

    def number(self) -> float | int:
        start = self.at
        while self.at < len(self.text) and (self.text[self.at].isdigit() or self.text[self.at] == "."):
            self.at += 1
        if self.text[self.at:self.at + 1] in ("e", "E"):
            self.at += 1
            if self.text[self.at:self.at + 1] in ("+", "-"):
                self.at += 1
            while self.at < len(self.text) and self.text[self.at].isdigit():
                self.at += 1
        literal = self.text[start:self.at]
        try:
            value = float(literal)
        except ValueError:
            raise self.fail(f"bad number {literal!r}", start) from None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value

    def string(self, quote: str) -> str:
        start, self.at, out = self.at, self.at + 1, []
        while self.at < len(self.text) and self.text[self.at] != quote:
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                self.at += 1
                char = _ESCAPES.get(self.text[self.at], self.text[self.at])
            out.append(char)
            self.at += 1
        if self.at >= len(self.text):
            raise self.fail(f"unclosed quote {quote}", start)
        self.at += 1
        return "".join(out)

    def regex(self) -> tuple:
        start, self.at, in_class = self.at, self.at + 1, False
        while self.at < len(self.text) and (self.text[self.at] != "/" or in_class):
            char = self.text[self.at]
            in_class = (in_class or char == "[") and char != "]"
            self.at += 2 if char == "\\" else 1
        if self.at >= len(self.text):
            raise self.fail("unclosed regular expression", start)
        pattern = self.text[start + 1:self.at]
        self.at += 1
        flags_start = self.at
        while self.at < len(self.text) and self.text[self.at].isalpha():
            self.at += 1
        return ("regex", pattern, self.text[flags_start:self.at])
