"""Problems found in a policy file, each naming the file, the line and the key.

policy.toml:14: rules[3].categories: unknown category "gamblng" (did you mean "gambling"?)
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schoolgate.policyfile.locate import KeyPath, Locator

if TYPE_CHECKING:
    from schoolgate.policyfile.load import PolicyFile

__all__ = [
    "KeyPath",
    "ListIndexError",
    "PolicyFileError",
    "PolicyFitError",
    "Problem",
    "render_key",
    "suggest",
    "toml_syntax_problem",
]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(
    r"\s*\((?:at line (?P<line>\d+), column (?P<column>\d+)|(?P<end>at end of document))\)\s*$"
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a policy file."""

    file: str
    line: int
    key: str  # rendered with render_key: "rules[3].categories", "groups.ks2.youtube"; "" if not about a key
    message: str

    @classmethod
    def at(cls, file: str, locator: Locator, path: KeyPath, message: str) -> Problem:
        """The problem with the key at `path`, on the line where `locator` finds it."""
        return cls(file, locator.line(path), render_key(path), message)

    def __str__(self) -> str:
        key = f"{self.key}: " if self.key else ""
        return f"{self.file}:{self.line}: {key}{self.message}"


class PolicyFileError(Exception):
    """Raised with every problem found in a policy file (never just the first).

    The problems are kept sorted by file and line; str() gives them one per line, then a count line.
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda problem: (problem.file, problem.line)))
        super().__init__(self.problems)  # so that the error pickles, and rebuilds itself from its args

    def __str__(self) -> str:
        count = len(self.problems)
        files = ", ".join(dict.fromkeys(problem.file for problem in self.problems))
        summary = f"{count} problem{'' if count == 1 else 's'}" + (f" in {files}" if files else "")
        return "\n".join([*map(str, self.problems), summary])


class PolicyFitError(PolicyFileError):
    """The policy file reads, but the policy cannot be put in force: what `compile_policy` found, with
    or without the compiled lists (an allowing `default` group, a list source the index lacks, ...).

    The problems stay in the order the checks found them, and str() gives one per line with no count
    line, as `schoolgate check` has always printed them. Catch `PolicyFileError` for any of these."""

    policy_file: PolicyFile | None  # the file as read

    def __init__(self, problems: Iterable[Problem]) -> None:
        Exception.__init__(self, tuple(problems))
        self.problems = self.args[0]
        self.policy_file = None

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))


class ListIndexError(PolicyFileError):
    """The compiled list index cannot be opened (there is none yet, or it is damaged).

    Its one problem names the index file, at line 0 (an index has no lines to point at); str() is the
    message alone. `missing` tells an index not made yet (run `schoolgate lists compile`) from one that
    cannot be read, and `reason` is what the system said."""

    policy_file: PolicyFile | None  # the policy file the index was opened for

    def __init__(self, problems: Iterable[Problem], missing: bool = False, reason: str = "") -> None:
        Exception.__init__(self, tuple(problems), missing, reason)
        self.problems = self.args[0]
        self.missing = missing
        self.reason = reason
        self.policy_file = None

    def __str__(self) -> str:
        return "\n".join(problem.message for problem in self.problems)


def render_key(path: KeyPath) -> str:
    """A key path as people read it: ("rules", 2, "categories") -> "rules[3].categories".

    Indexes are 1-based; keys that could not be written bare in TOML are quoted: categories."ut1/adult".
    """
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part + 1}]")
        else:
            if out:
                out.append(".")
            out.append(part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False))
    return "".join(out)


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "gambling"?)' for the closest of `choices` to `word`, or "" if none is close.

    Case is ignored when comparing, so "Gambling" suggests "gambling".
    """
    by_folded: dict[str, str] = {}
    for choice in sorted(choices):
        by_folded.setdefault(choice.casefold(), choice)
    if word in by_folded.values():
        return ""
    matches = difflib.get_close_matches(word.casefold(), by_folded, n=1, cutoff=0.6)
    return f' (did you mean "{by_folded[matches[0]]}"?)' if matches else ""


def toml_syntax_problem(file: str, exc: tomllib.TOMLDecodeError, text: str | None = None) -> Problem:
    """The problem for a file tomllib could not parse.

    tomllib's messages end with "(at line L, column C)" or "(at end of document)"; the position becomes the
    line of the problem and a plain "at column C" / "at end of file". For the end of the document the line
    is the last line of `text`, if given (else tomllib's own `lineno` where it has one, else 1).
    """
    raw = str(exc)
    found = _TOML_POSITION.search(raw)
    message = raw[: found.start()] if found else raw
    if message[:2].istitle():  # "Invalid value" -> "invalid value", but "TOML ..." stays
        message = message[0].lower() + message[1:]
    line: int = getattr(exc, "lineno", None) or 1  # tomllib gives it from Python 3.14
    where = ""
    if found and found["line"]:
        line, where = int(found["line"]), f" at column {found['column']}"
    elif found and found["end"]:
        where = " at end of file"
        if text:
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Problem(file, line, "", f"TOML syntax error{where}: {message}")
