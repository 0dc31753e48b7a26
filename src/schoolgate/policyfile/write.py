"""Writing policy files: the TOML writer, beside the reader (load.py), so that what one writes the other
reads back exactly.

The web editor's renderer (web/policy/render.py) walks the school's records and says, through
`TomlWriter`, which tables and keys to write; this module decides how each is spelled, and
`write_policy` puts the text in place atomically (`schoolgate.files.write_atomically`).

Why a small writer of our own rather than tomli-w or tomlkit: the policy file is read by people (the
network manager, an inspector), so it carries comments (where it came from, how the lists are
compiled, that the first matching rule wins), which tomli-w cannot write; tomlkit can, but it builds a
document model whose layout (array wrapping, spacing, escapes) is its own and may change between
releases, while a published policy's bytes are hashed (the SHA-256 a publish is confirmed with, and
the version history) and must stay the same for the same rows. What the writer needs is small and
fixed: basic strings (every string escaped as TOML requires, so that `tomllib` reads back exactly what
was stored: a property test checks every string), bare or quoted keys, booleans, integers, offset
date-times, arrays of strings (one per line when long), `[table]` and `[[array]]` headers, comments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from schoolgate.files import write_atomically

__all__ = ["TomlValue", "TomlWriter", "toml_comment", "toml_key", "toml_string", "toml_value", "write_policy"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_ONE_LINE = 100  # arrays longer than this are written one item a line

TomlValue = str | bool | int | datetime | Sequence[str]


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped. A lone
    surrogate (which no UTF-8 file can hold) becomes U+FFFD."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def toml_key(key: str) -> str:
    """A key bare when TOML allows it, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: TomlValue) -> str:
    """A value as TOML writes it; a date-time keeps its offset, to the second."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    items = [toml_string(item) for item in value]
    one_line = "[" + ", ".join(items) + "]"
    if len(one_line) <= _ONE_LINE:
        return one_line
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def toml_comment(text: str) -> str:
    """A comment line: control characters (which would end the comment) become spaces."""
    return "# " + "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


class TomlWriter:
    """A TOML document written line by line: headers, key = value pairs, comments, blank lines (never
    two in a row, never at the end)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def comment(self, text: str) -> None:
        self.lines.append(toml_comment(text))

    def header(self, *names: str, array: bool = False) -> None:
        self.blank()
        dotted = ".".join(toml_key(n) for n in names)
        self.lines.append(f"[[{dotted}]]" if array else f"[{dotted}]")

    def pair(self, key: str, value: TomlValue) -> None:
        self.lines.append(f"{toml_key(key)} = {toml_value(value)}")

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def write_policy(path: Path, text: str) -> None:
    """Put a policy file's text at `path` atomically (a gateway reads the old file or the new, never
    part of one), readable by all: the gateways run as other users (proxy, unbound)."""
    write_atomically(path, text, mode=0o644)
