"""Reading the spool's JSON lines, as every reader of it does: whole lines only, a size cap, each line
parsed and its format version checked, and every line left out said (to the caller, or on stderr for
lines of a version this Schoolgate does not know).

The spool is written by other processes, maybe other hosts, maybe a newer Schoolgate, and a file's
last line may be cut short by a crash: every line is hostile until it has been parsed and checked
against the schema.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

import orjson

from schoolgate.activity import schema
from schoolgate.activity.schema import KNOWN_VERSIONS, Field

__all__ = ["Checker", "Skipped", "Skips", "SpoolRecord", "fits", "parse_line", "whole_lines"]


class SpoolRecord(NamedTuple):
    """One record read back (an event, or a review request): where its line starts in its file and
    where the next one starts (what an ingester stores to be idempotent on host, file and offset), and
    the record itself, without the format version, which the reader has checked (an event without its
    outcome's number, with the outcome's fields instead)."""

    offset: int
    end: int
    record: dict[str, Any]


class Skipped(NamedTuple):
    """A line left out, where it is and why. `version` is set when the line is of a format version this
    Schoolgate does not know: a newer gateway's, to be read by a newer Schoolgate, never to be lost."""

    path: Path
    offset: int
    reason: str
    version: object = None


_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float)}


def fits(record: dict[str, Any], fields: Iterable[Field]) -> str | None:
    """Why `record` is not a line of `fields` (a required field missing, a field of the wrong JSON type),
    or None. Keys the schema does not name are let through: a later version may add optional ones."""
    for f in fields:
        value = record.get(f.key)
        if value is None:
            if f.required:
                return f"no {f.key!r}"
            continue
        if isinstance(value, bool) or not isinstance(value, _JSON_TYPES[f.type]):
            return f"{f.key!r} is not a JSON {f.type}"
    return None


_UNSEEN = object()


class Checker:
    """`fits` for one tuple of fields, as cheap as a line can be checked: whether a record fits depends
    only on its keys and the types of their values, so the answer is kept per such signature (the
    keys in their order and the types: a writer writes them in one order, and a spool holds a handful
    of signatures) and a line costs two tuples and one dictionary look-up, half of what `fits` costs.
    At most `MEMORY` signatures are kept, so that hostile lines of ever new shapes cannot fill the
    memory: past that, a new one is checked by `fits` each time."""

    MEMORY = 4096

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields = tuple(fields)
        self._known: dict[tuple[tuple[str, ...], tuple[type, ...]], str | None] = {}

    def __call__(self, record: dict[str, Any]) -> str | None:
        """Why `record` does not fit the fields, or None (as `fits` says)."""
        signature = (tuple(record), tuple(map(type, record.values())))
        known = self._known.get(signature, _UNSEEN)
        if known is not _UNSEEN:
            return known  # type: ignore[return-value]  # a str or None, as stored below
        problem = fits(record, self.fields)
        if len(self._known) < self.MEMORY:
            self._known[signature] = problem
        return problem


def _finite(text: str) -> float:
    """A JSON number as a float, refused when it is not finite (1e400, or NaN and Infinity, which
    Python's json reads but JSON does not have): no event time or size is infinite."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


# One decoder for every line: `json.loads` with these hooks would make a new one per line, which
# costs more than the parsing itself. It reads bytes as `json.loads` does.
_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_no_constant)


# Digits as "0" and every other byte as a space: a run of 19 zeros after `translate` is a run of 19
# digits in the line, the shortest an integer past 64 bits can be written with.
_DIGIT_RUNS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19
_KNOWN = frozenset(KNOWN_VERSIONS)
_VERSION_KEY = schema.VERSION_KEY
_UNVERSIONED = schema.UNVERSIONED


# What no database column takes and no page should show: NUL (PostgreSQL refuses it in text) and lone
# surrogates (the writer escapes them for a user name that was not UTF-8; UTF-8 has no encoding for
# them). A reader gives each as U+FFFD, so that one such line never stops an ingester at the same place.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUL_ESCAPE = b"\\u0000"


def _storable(record: dict[str, Any]) -> dict[str, Any]:
    """The record with NUL and lone surrogates in its texts (top-level values: events, outcomes and
    review requests hold no nested texts) made U+FFFD."""
    for key, value in record.items():
        if type(value) is str and _UNSTORABLE.search(value):
            record[key] = _UNSTORABLE.sub("\ufffd", value)
    return record


def open_regular(path: Path | str) -> BinaryIO:
    """A spool file opened for reading, if it is a regular file itself: not through a symbolic link
    (one in a school's spool could make another school's file, or any file, read as this school's),
    and never blocking on a FIFO. Raises OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str, object]:
    """A line as a JSON object of a known format version, its `v` taken out: (record, "", None); or
    (None, why not, the unknown version if that is why). Never raises, whatever the line holds: a
    line nested thousands deep (RecursionError in the json module) is "not JSON" too, so that one
    damaged line never stops a reader at the same place at every run.

    The line is parsed by orjson, four times faster than the json module, whenever that gives what the
    json module gives: an object of a known version, with no run of 19 digits in the line. Any other
    line (not JSON, not UTF-8, a lone surrogate such as `"\\ud800"`, which orjson refuses and the
    writer writes for a user name that was not UTF-8, an integer past 64 bits, which orjson makes a
    float, nesting past orjson's 1,024 levels, an unknown version) is read again by the json module,
    whose answer stands: the two readers' results are the same for every line (tests/activity)."""
    try:
        record = orjson.loads(raw)
    except ValueError:  # orjson.JSONDecodeError: not JSON as orjson reads it
        return _parse_exactly(raw)
    if type(record) is dict and _LONG_RUN not in raw.translate(_DIGIT_RUNS):
        version = record.pop(_VERSION_KEY, _UNVERSIONED)
        if type(version) is int and version in _KNOWN:
            return (_storable(record) if _NUL_ESCAPE in raw else record), "", None
    return _parse_exactly(raw)


def _parse_exactly(raw: bytes) -> tuple[dict[str, Any] | None, str, object]:
    """`parse_line` by the json module, for the lines orjson does not read as it does."""
    try:
        record = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError):
        return None, "not JSON", None
    if not isinstance(record, dict):
        return None, "not a JSON object", None
    version = record.pop(schema.VERSION_KEY, schema.UNVERSIONED)
    if type(version) is not int or version not in KNOWN_VERSIONS:
        return None, f"format version {version!r} is not one this Schoolgate reads", version
    return _storable(record), "", None


def whole_lines(file: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset from where `file` stood, line) for every whole line of `file`, newline included; the
    line is None when it is longer than `limit` (skipped without being held in memory). A last line
    with no newline (cut short, or still being written) is not given."""
    offset = 0
    while True:
        raw = file.readline(limit + 1)
        if not raw.endswith(b"\n"):
            if len(raw) <= limit:
                return  # the end of the file, or a last line cut short
            start = offset  # too long: find its end
            offset += len(raw)
            while True:
                raw = file.readline(1024 * 1024)
                offset += len(raw)
                if not raw:
                    return
                if raw.endswith(b"\n"):
                    break
            yield start, None
            continue
        yield offset, raw
        offset += len(raw)


class Skips:
    """The lines a reader of one file leaves out: each handed to `skipped`, or, without it, those of an
    unknown format version counted and said on stderr once, when the reading ends (however it ends)."""

    def __init__(self, path: Path, what: str, skipped: Callable[[Skipped], None] | None) -> None:
        self.path = path
        self.what = what  # "" for events, or what the lines are ("review requests ")
        self.skipped = skipped
        self.unknown: dict[object, int] = {}

    def __call__(self, offset: int, reason: str, version: object = None) -> None:
        if self.skipped is not None:
            self.skipped(Skipped(self.path, offset, reason, version))
        elif version is not None:
            self.unknown[version] = self.unknown.get(version, 0) + 1

    def __enter__(self) -> Skips:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self.unknown:
            return
        counts = ", ".join(f"{count:,} of version {version!r}" for version, count in self.unknown.items())
        known = ", ".join(str(v) for v in sorted(KNOWN_VERSIONS))
        message = (
            f"schoolgate activity: {self.path}: {self.what}{counts} left out: this Schoolgate reads format"
            f" version {known} only; a newer Schoolgate reads them\n"
        )
        try:
            sys.stderr.write(message)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # nowhere to say it
