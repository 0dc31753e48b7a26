"""Line numbers for the keys of a TOML document.

`tomllib` gives values but no positions, and every error about a policy file must name its line. `Locator`
re-reads the raw text with a small one-pass scanner that knows just enough TOML to follow key paths:
comments, table and array-of-tables headers, dotted and quoted keys, strings of all four kinds, arrays and
inline tables.
It never validates and never raises: on text that is not valid TOML it simply knows fewer lines.
"""

from __future__ import annotations

import bisect
import contextlib
import string

KeyPath = tuple[str | int, ...]
"""A key path: ("rules", 2, "categories", 1) = 3rd [[rules]] table, key categories, 2nd array item."""

_BARE_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}
_HEX_ESCAPE_WIDTHS = {"x": 2, "u": 4, "U": 8}
_BARE_VALUE_END = frozenset(",]}#\n")
_MAX_DEPTH = 64  # deeper arrays / inline tables are skipped over, not followed (keeps recursion bounded)


class Locator:
    """Maps key paths of a TOML document to 1-based line numbers, from the raw text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        # The scanner is written not to raise on any text; should it ever, the error being reported matters
        # more than its line number, so keep whatever was found and fall back to line 1 for the rest.
        with contextlib.suppress(Exception):
            _Scanner(text, self._lines).scan()

    def line(self, path: KeyPath) -> int:
        """The line of the deepest known prefix of `path`.

        That is the array item's line (the same as the key's when the items share its line), else the key's
        line, else the line of the table header, else 1. Never raises.
        """
        for length in range(len(path), 0, -1):
            found = self._lines.get(path[:length])
            if found is not None:
                return found
        return 1


def _scan(text: str) -> dict[KeyPath, int]:
    """The scanner's raw result, without the safety net of `Locator` (for tests)."""
    lines: dict[KeyPath, int] = {}
    _Scanner(text, lines).scan()
    return lines


class _Scanner:
    """Walks the text once, recording the line of every key path it sees into `lines`.

    Key/value pairs and headers record their full path (overwriting) and every shorter prefix (only if not yet
    known, so an implicitly created table points at its first mention). Array items record their own line.
    """

    def __init__(self, text: str, lines: dict[KeyPath, int]) -> None:
        self.text = text
        self.pos = 1 if text.startswith("\ufeff") else 0
        self.lines = lines
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.table: KeyPath = ()  # the path of the current [table] / [[array.of.tables]] entry
        self.aot_counts: dict[KeyPath, int] = {}  # entries seen so far of each array of tables

    # -- document structure ---------------------------------------------------------------------------------

    def scan(self) -> None:
        while self.pos < len(self.text):
            self.skip_blanks()
            char = self.peek()
            if char == "[":
                self.header()
            elif char not in ("", "\n", "#"):
                self.key_value(self.table, depth=0)
            self.skip_rest_of_line()  # the comment after a statement, or whatever could not be understood

    def header(self) -> None:
        """`[a.b]` or `[[a.b]]`: makes it the current table; counts array-of-tables entries."""
        line = self.line_at(self.pos)
        self.pos += 1
        is_array = self.peek() == "["
        if is_array:
            self.pos += 1
        keys = self.key()
        self.skip_blanks()
        closing = "]]" if is_array else "]"
        if not keys or not self.text.startswith(closing, self.pos):
            return
        self.pos += len(closing)
        path: KeyPath = ()
        for i, key in enumerate(keys):
            path = (*path, key)
            self.lines.setdefault(path, line)
            if is_array and i == len(keys) - 1:  # a new entry of this array of tables
                self.aot_counts[path] = self.aot_counts.get(path, 0) + 1
            if path in self.aot_counts:  # [[rules]] then [rules.when]: "rules" means its latest entry
                path = (*path, self.aot_counts[path] - 1)
                self.lines.setdefault(path, line)
        self.lines[path] = line
        self.table = path

    def key_value(self, table: KeyPath, depth: int) -> None:
        """`a.b = value`, relative to `table`."""
        line = self.line_at(self.pos)
        keys = self.key()
        self.skip_blanks()
        if not keys or self.peek() != "=":
            return
        self.pos += 1
        path = table
        for key in keys[:-1]:
            path = (*path, key)
            self.lines.setdefault(path, line)
        path = (*path, keys[-1])
        self.lines[path] = line
        self.skip_blanks()
        self.value(path, depth)

    def key(self) -> list[str]:
        """A dotted key (`a."b.c".'d'`) as its parts; empty if there is none here."""
        parts: list[str] = []
        while True:
            self.skip_blanks()
            char = self.peek()
            if char == '"':
                parts.append(_unescape(self.single_line_string()))
            elif char == "'":
                parts.append(self.single_line_string())
            elif char in _BARE_KEY_CHARS:
                start = self.pos
                while self.peek() in _BARE_KEY_CHARS:
                    self.pos += 1
                parts.append(self.text[start : self.pos])
            else:
                return []
            self.skip_blanks()
            if self.peek() != ".":
                return parts
            self.pos += 1

    # -- values ---------------------------------------------------------------------------------------------

    def value(self, path: KeyPath, depth: int) -> None:
        char = self.peek()
        if self.text.startswith(('"""', "'''"), self.pos):
            self.multi_line_string()
        elif char in ('"', "'"):
            self.single_line_string()
        elif char == "[" and depth < _MAX_DEPTH:
            self.array(path, depth + 1)
        elif char == "{" and depth < _MAX_DEPTH:
            self.inline_table(path, depth + 1)
        else:  # number, boolean, date (which may contain a space) or something invalid
            while self.pos < len(self.text) and self.text[self.pos] not in _BARE_VALUE_END:
                self.pos += 1

    def array(self, path: KeyPath, depth: int) -> None:
        """`[ item, item, ]`, possibly over several lines with comments: records each item's line."""
        self.pos += 1
        index = 0
        while True:
            self.skip_blanks_comments_and_newlines()
            char = self.peek()
            if char == "]":
                self.pos += 1
                return
            if char == "":  # unclosed: not valid TOML
                return
            if char == ",":  # a stray comma (not valid TOML): not an item
                self.pos += 1
                continue
            start = self.pos
            item = (*path, index)
            self.lines[item] = self.line_at(start)
            self.value(item, depth)
            index += 1
            self.skip_blanks_comments_and_newlines()
            if self.peek() == "," or self.pos == start:  # the comma, or what is not a value (like "}")
                self.pos += 1

    def inline_table(self, path: KeyPath, depth: int) -> None:
        """`{ a = 1, b.c = 2 }`: records each key's line (newlines are allowed, as TOML 1.1 does)."""
        self.pos += 1
        while True:
            self.skip_blanks_comments_and_newlines()
            char = self.peek()
            if char == "}":
                self.pos += 1
                return
            if char == "":  # unclosed: not valid TOML
                return
            if char == ",":
                self.pos += 1
                continue
            start = self.pos
            self.key_value(path, depth)
            if self.pos == start:  # not a key: step over it
                self.pos += 1

    def single_line_string(self) -> str:
        """A `"basic"` or `'literal'` string on one line; returns its raw (still escaped) content."""
        quote = self.text[self.pos]
        self.pos += 1
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return self.text[start : self.pos - 1]
            if char == "\n":  # unterminated: not valid TOML
                break
            if char == "\\" and quote == '"' and self.peek(1) not in ("", "\n"):
                self.pos += 1
            self.pos += 1
        return self.text[start : self.pos]

    def multi_line_string(self) -> None:
        """A multi-line basic or literal string, which may hold newlines, quotes, escapes, # [ = and so on."""
        quote = self.text[self.pos]
        self.pos += 3
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and quote == '"':
                self.pos += 2  # the escaped character, even a quote or a newline, is content
            elif self.text.startswith(quote * 3, self.pos):
                while self.peek() == quote:  # up to two quotes before the closing three are content
                    self.pos += 1
                return
            else:
                self.pos += 1
        self.pos = min(self.pos, len(self.text))

    # -- low level ------------------------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        """The character at the position (plus `offset`), or "" past the end."""
        return self.text[self.pos + offset : self.pos + offset + 1]

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def skip_blanks(self) -> None:
        while self.peek() in (" ", "\t", "\r"):
            self.pos += 1

    def skip_blanks_comments_and_newlines(self) -> None:
        while True:
            self.skip_blanks()
            char = self.peek()
            if char == "#":
                self.skip_rest_of_line()
            elif char == "\n":
                self.pos += 1
            else:
                return

    def skip_rest_of_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end == -1 else end + 1


def _unescape(raw: str) -> str:
    """The value of a basic string's content, so that quoted keys match the keys tomllib gives."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char, escape = raw[i], raw[i + 1 : i + 2]
        if char != "\\" or not escape:
            out.append(char)
            i += 1
        elif escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            i += 2
        elif escape in _HEX_ESCAPE_WIDTHS:
            digits = raw[i + 2 : i + 2 + _HEX_ESCAPE_WIDTHS[escape]]
            if len(digits) == _HEX_ESCAPE_WIDTHS[escape] and all(d in string.hexdigits for d in digits):
                out.append(chr(min(int(digits, 16), 0x10FFFF)))
                i += 2 + len(digits)
            else:
                out.append(char)
                i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)
