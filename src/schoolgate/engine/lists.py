"""Readers for category lists: squidGuard/UT1 files, plain domain lists and hosts files.

The readers are pure: they take the lines of one file (and its name, for messages) and return the
canonical entries and the problems found. Walking directories and opening files is the caller's job
(`schoolgate.lists.files`). A bad line never stops a list: it is reported with its file and line
number and skipped.

>>> parse_domains(["# comment", "Example.COM", "+bücher.example", "bad!host"], "t/domains").entries
['example.com', 'xn--bcher-kva.example']
>>> parse_urls(["www.example.com:8080/Path//x/", "site.org"], "t/urls").entries
['www.example.com/path/x/', 'site.org/']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import re2

from schoolgate.engine.urls import canonical_host, parse_url

Regex = Any  # google-re2 ships no type information; a compiled pattern has .search(text)

__all__ = [
    "ListProblem",
    "Parsed",
    "compile_expression",
    "parse_domains",
    "parse_expressions",
    "parse_hosts",
    "parse_urls",
    "regex_error_text",
    "regex_options",
    "translate_posix_ere",
    "url_key",
]

# Names that hosts files map to a loopback or null address without meaning "block this".
_HOSTS_FILE_NOISE = frozenset(
    {"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback"}
)
_MAX_REPORTED_TEXT = 120


@dataclass(frozen=True, slots=True)
class ListProblem:
    """A line of a list file that was skipped, and why."""

    file: str
    line: int
    text: str
    message: str

    def __str__(self) -> str:
        text = self.text if len(self.text) <= _MAX_REPORTED_TEXT else self.text[:_MAX_REPORTED_TEXT] + "…"
        return f"{self.file}:{self.line}: {self.message}: {text!r}"


@dataclass(slots=True)
class Parsed:
    """Entries of one list file, in file order, and the problems found while reading it."""

    entries: list[str] = field(default_factory=list)
    problems: list[ListProblem] = field(default_factory=list)


def _content_lines(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    """Yield (line number, stripped text) for lines that are neither blank nor comments."""
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if text and not text.startswith("#"):
            yield number, text


def parse_domains(lines: Iterable[str], file: str) -> Parsed:
    """Read a squidGuard `domains` file or a plain list of domain names (one per line).

    The first word of a line is the domain; squidGuard's `+`/`-` diff markers and a leading `*.` or
    `.` are dropped (a listed domain always covers its subdomains); anything after the first word
    (squidGuard's per-entry redirect) is ignored.
    """
    parsed = Parsed()
    for number, text in _content_lines(lines):
        word = text.split(None, 1)[0]
        if word[0] in "+-":
            word = word[1:]
        if word.startswith("*."):
            word = word[2:]
        elif word.startswith("."):
            word = word[1:]
        host = canonical_host(word) if word else None
        if host is None:
            parsed.problems.append(ListProblem(file, number, text, "not a valid domain name or address"))
        else:
            parsed.entries.append(host)
    return parsed


def parse_hosts(lines: Iterable[str], file: str) -> Parsed:
    """Read a hosts file (`0.0.0.0 ads.example.com other.example`): every name after the address."""
    parsed = Parsed()
    for number, text in _content_lines(lines):
        words = text.split("#", 1)[0].split()
        if len(words) < 2:
            parsed.problems.append(ListProblem(file, number, text, "expected an address followed by names"))
            continue
        for word in words[1:]:
            if word.lower() in _HOSTS_FILE_NOISE:
                continue
            host = canonical_host(word)
            if host is None:
                parsed.problems.append(ListProblem(file, number, text, f"not a valid domain name: {word!r}"))
            else:
                parsed.entries.append(host)
    return parsed


def url_key(text: str) -> str | None:
    """The canonical form of a URL-list entry: `host/path?query`, lowercased, without port or userinfo.

    An entry without a path stands for the whole site (`example.com` -> `example.com/`), so it
    matches that host only, never `example.community`.
    """
    candidate = text if "://" in text else "http://" + text
    url = parse_url(candidate)
    if url is None or not url.scheme:
        return None
    return (url.host + url.target).lower()


def parse_urls(lines: Iterable[str], file: str) -> Parsed:
    """Read a squidGuard `urls` file: `host[:port]/path` entries, matched as prefixes of requests."""
    parsed = Parsed()
    for number, text in _content_lines(lines):
        key = url_key(text.split(None, 1)[0])
        if key is None:
            parsed.problems.append(ListProblem(file, number, text, "not a valid URL entry"))
        else:
            parsed.entries.append(key)
    return parsed


_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\r\f\v",
    "blank": r" \t",
    "punct": r"!-/:-@\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}


def translate_posix_ere(pattern: str) -> str:
    """Translate a POSIX extended regular expression (squidGuard's `expressions`) to Python syntax.

    The differences that matter: inside brackets a backslash is an ordinary character and
    `[:alpha:]`-style classes exist; a `]` right after `[` or `[^` is a literal.

    >>> translate_posix_ere(r"[\\.[:digit:]]+x")
    '[\\\\\\\\.0-9]+x'
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch != "[":
            out.append(ch)
            i += 1
            continue
        # A bracket expression: copy it item by item, escaping what Python would read differently.
        j = i + 1
        body = ["["]
        if j < n and pattern[j] == "^":
            body.append("^")
            j += 1
        if j < n and pattern[j] == "]":
            body.append(r"\]")
            j += 1
        closed = False
        while j < n:
            c = pattern[j]
            if c == "]":
                closed = True
                j += 1
                break
            if c == "[" and pattern.startswith("[:", j):
                end = pattern.find(":]", j + 2)
                name = pattern[j + 2 : end] if end != -1 else ""
                if name in _POSIX_CLASSES:
                    body.append(_POSIX_CLASSES[name])
                    j = end + 2
                    continue
            if c in "\\[":
                body.append("\\" + c)
            else:
                body.append(c)
            j += 1
        if not closed:
            raise re.error("unterminated bracket expression", pattern, i)
        body.append("]")
        out.append("".join(body))
        i = j
    return "".join(out)


def regex_options() -> re2.Options:
    """RE2 options for list expressions and rule patterns: case-insensitive, like squidGuard's REG_ICASE."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # errors are reported with the file and line, not on RE2's own stderr
    return options


def regex_error_text(exc: BaseException) -> str:
    """The words of a regular expression error (RE2 gives them as bytes)."""
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)


def compile_expression(pattern: str) -> Regex:
    """Compile one squidGuard expression the way squidGuard applies it: case-insensitive search.

    RE2, not Python's `re`: expressions come from lists written by others, and RE2 matches in time
    linear in the URL whatever the pattern (Python's `re` takes 70 µs per URL on UT1's own
    `.*/ymsgr*\\.exe`, and can take exponential time on a hostile one).
    """
    return re2.compile(translate_posix_ere(pattern), options=regex_options())


def parse_expressions(lines: Iterable[str], file: str) -> Parsed:
    """Read a squidGuard `expressions` file: one POSIX extended regular expression per line.

    Unlike the other formats, a `#` does not start a comment here (squidGuard has none in this
    file); blank lines are skipped because squidGuard would read them as "match everything".
    """
    parsed = Parsed()
    for number, raw in enumerate(lines, 1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            compile_expression(text)
        except (re.error, re2.error, RecursionError, OverflowError) as exc:
            parsed.problems.append(
                ListProblem(file, number, text, f"not a valid regular expression ({regex_error_text(exc)})")
            )
        else:
            parsed.entries.append(text)
    return parsed
