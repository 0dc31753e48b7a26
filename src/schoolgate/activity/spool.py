"""The activity spool: one JSON-lines file per gateway process, appended to and rotated by size.

Every decision becomes one event carrying what the DfE filtering standard asks a school to be able
to see for a blocked or flagged request: time and date, user, client address, device where known,
the URL and host (hence any search term), verdict, category, rule and group. Its fields, keys and
format version are named in `schoolgate.activity.schema`; this module and its C loop
(`schoolgate.activity._speedups`, told the layout at import) write what the schema says.

Every byte is written on the hot path, so an event does not repeat what many events share. What the
decision's outcome fixes (verdict, reason, group, category, the list behind it, rule, alert) is written
once per file, in an outcome line, before the first event that uses it; an event names it by number:

    {"outcome":1,"v":1,"verdict":"block","reason":"rule","group":"ks2","category":"gambling","source":"ut1/gambling","rule":4}
    {"v":1,"t":1795263348.657,"gw":"squid","user":"amelia","ip":"10.0.0.1","method":"GET","url":"https://bet365.com/","host":"bet365.com","entry":"bet365.com","o":1}

A field that is not known (no user name, no device, no category, no rule, no list entry) is left out.
`read_events` gives the events back whole, with their outcome's fields; `read_spool` gives each with
its place in the file, for an ingester that keeps its place. Each file stands alone: its numbers
start again at 1. A line of a format version this Schoolgate does not know is left out, and said.

Files are written as `events-<gateway>-<host>-<pid>-<start>-<token>-<seq>.jsonl.part` and renamed to
`.jsonl` when full or when the process closes them, so a reader takes only complete files; the `.part`
file of a process that died is complete up to its last flush and is picked up by the ingester as well.
Gateways flush before they answer a batch of requests, so an answered request is never missing from
the spool while the spool can be written.

When it cannot be (the disk is full, a file size limit, an I/O error, a read-only or deleted
directory), filtering must go on: a gateway's decisions never wait for, or fail with, its record. The
writer then never raises: it counts the events it could not record (`unrecorded`, for the monitoring
that raises an alert), says so on stderr at once and then at most every `REPORT_SECONDS` with the
running count (Squid puts a helper's stderr in its cache.log), and tries a new file at most every
`RETRY_SECONDS`, so that recording resumes by itself once the fault is put right, and says so. A file
a write failed in is never written to again: the half line a failed write may leave is its last line,
which `read_events` leaves out, and the events after it go to a new file that defines its outcomes
again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from json.encoder import encode_basestring_ascii as _json_str
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from schoolgate.activity import schema
from schoolgate.activity.lines import (
    Checker,
    Skipped,
    Skips,
    SpoolRecord,
    open_regular,
    parse_line,
    whole_lines,
)
from schoolgate.activity.schema import FORMAT_VERSION, Source
from schoolgate.engine.decide import Decision, RequestLike
from schoolgate.engine.policy import AlertLevel

try:
    from schoolgate.activity import _speedups
except ImportError:  # not built (no C compiler): the pure-Python loops below do the same, slower
    _speedups = None  # type: ignore[assignment]
else:
    # The C loop writes the fields the schema names; a layout it cannot write fails the import here.
    _speedups.configure(**schema.c_layout())

__all__ = [
    "EventRequest",
    "Skipped",
    "SpoolRecord",
    "SpoolWriter",
    "event_head",
    "read_events",
    "read_spool",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
RETRY_SECONDS = 10.0  # while the spool cannot be written, a new file is tried at most this often
REPORT_SECONDS = 60.0  # ...and stderr hears how many events went unrecorded at most this often
# A reader takes no line longer than this: a Squid line is at most 1 MiB (the helper's MAX_LINE), and
# each of its characters takes at most 6 bytes in JSON, plus the outcome's and the head's few fields.
MAX_LINE_BYTES = 7 * 1024 * 1024


def event_head(when: float, gateway: str) -> str:
    """The start of every event of a batch (`schema.EVENT_HEAD`): the format version, its time (seconds
    since the epoch, UTC) and gateway."""
    return f'{{"v":{FORMAT_VERSION},"t":{when:.3f},"gw":{_json_str(gateway)}'


_MAX_OUTCOMES = 20_000  # per file; beyond it, outcomes are defined again under new numbers


def _json_value(value: object) -> str:
    """A decision's value as JSON: an enum by its value, a number as it is, text escaped to ASCII."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"an activity field must be str or int, not {type(value).__name__}")
    return _json_str(value)


# The outcome line's fields read from the decision: (`,"key":`, attribute, required).
_OUTCOME_PARTS = tuple(
    (f',"{f.key}":', f.attribute, f.required)
    for f in schema.OUTCOME_FIELDS
    if f.source is Source.DECISION and f.attribute is not None
)


def _outcome_line(number: int, d: Decision) -> str:
    """The line that defines outcome `number` (`schema.OUTCOME_FIELDS`): the fields of a decision that
    its outcome fixes. An alert level of none is not known, and left out like the rest."""
    parts = [f'{{"{schema.OUTCOME_KEY}":{number},"v":{FORMAT_VERSION}']
    for key, attribute, required in _OUTCOME_PARTS:
        value = getattr(d, attribute)
        if (value is None or value is AlertLevel.NONE) and not required:
            continue
        parts.append(key)
        parts.append(_json_value(value))
    parts.append("}\n")
    return "".join(parts)


# The per-request fields of an event (`schema.EVENT_FIELDS`): (`,"key":`, from the decision?, attribute,
# required), in the order they are written.
_EVENT_PARTS = tuple(
    (f',"{f.key}":', f.source is Source.DECISION, f.attribute or "", f.required) for f in schema.EVENT_FIELDS
)
_REQUEST_FIELDS = schema.request_attributes()
_layouts: dict[type, tuple[int, ...] | None] = {}


def _layout(kind: type) -> tuple[int, ...] | None:
    """Where a named tuple type keeps the fields an event reads (None for any other type): what the
    C loop needs to read them by position."""
    try:
        return _layouts[kind]
    except KeyError:
        fields = getattr(kind, "_fields", None) if issubclass(kind, tuple) else None
        layout = None
        if isinstance(fields, tuple) and all(name in fields for name in _REQUEST_FIELDS):
            layout = tuple(fields.index(name) for name in _REQUEST_FIELDS)
        _layouts[kind] = layout
        return layout


class EventRequest(RequestLike, Protocol):
    """What an event records of the request itself (a gateway's parsed line): what `decide` reads,
    and the device and method."""

    @property
    def device(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...


class SpoolWriter:
    """Appends event lines to this process's current spool file, rotating it by size. Never raises
    for a spool that cannot be written: see the module's docstring."""

    def __init__(
        self,
        directory: Path | str,
        gateway: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        log: TextIO | None = None,
        retry_seconds: float = RETRY_SECONDS,
        report_seconds: float = REPORT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not schema.GATEWAY_NAME.fullmatch(gateway):
            raise ValueError(f"a gateway's name is a-z, 0-9 and _, not {gateway!r}")
        self.directory = Path(directory)
        self.gateway = gateway
        self.max_bytes = max_bytes
        self._log = log
        self._retry_seconds = retry_seconds
        self._report_seconds = report_seconds
        self._clock = clock
        # Gateway, host, process, start time and a random token: two writers never share a file.
        self._stem = (
            f"events-{gateway}-{schema.file_host(socket.gethostname())}-{os.getpid()}-{int(time.time())}"
            f"-{os.urandom(3).hex()}"
        )
        self._sequence = 0
        self._path: Path | None = None
        self._file: BinaryIO | None = None
        self._size = 0
        # The outcomes defined in the current file: the fields an outcome fixes -> the end of an event.
        self._outcomes: dict[tuple[object, ...], str] = {}
        self._numbered = 0
        # While the spool cannot be written: how many events went unrecorded, why, when to try a new
        # file again, when to report next and the count last reported.
        self._unrecorded = 0
        self._failing = False
        self._error = ""
        self._retry_at = 0.0
        self._report_at = 0.0
        self._reported = 0
        self._ready()

    @property
    def path(self) -> Path | None:
        """The file being written now (None while the spool cannot be written)."""
        return self._path if self._file is not None else None

    @property
    def unrecorded(self) -> int:
        """How many events this writer could not record since it started (an event a gateway asks it
        to record again, as `schoolgate dns-log` does, counts once per attempt)."""
        return self._unrecorded

    @property
    def failing(self) -> bool:
        """Whether the spool cannot be written now (until a write succeeds again)."""
        return self._failing

    def record(self, when: float, requests: Iterable[EventRequest], decisions: Iterable[Decision]) -> bool:
        """Append the events of one batch decided at `when` (seconds since the epoch) and flush them.
        False when they could not all be recorded (counted in `unrecorded`, and reported)."""
        requests = requests if isinstance(requests, list) else list(requests)
        decisions = decisions if isinstance(decisions, list) else list(decisions)
        if not requests and not decisions:
            return True
        if not self._ready():
            self._not_recorded(len(requests))
            return False
        head = event_head(when, self.gateway)
        try:
            layout = _layout(type(requests[0])) if requests and _speedups is not None else None
            if layout is not None:
                data = _speedups.format_events(  # layout is None without _speedups
                    head, requests, type(requests[0]), layout, decisions, self._outcomes, self._define
                )
            else:
                data = self._format_events(head, requests, decisions)
        except Exception as exc:  # a bug in making the events costs them, never the gateway
            self._outcomes = {}  # it may name outcomes whose lines were never written: define them again
            self._not_recorded(len(requests), exc)
            return False
        return self._write(data)

    def _format_events(self, head: str, requests: list[EventRequest], decisions: list[Decision]) -> bytes:
        """The lines of one batch: its events, each preceded by the definition of an outcome it is the
        first to use. `_speedups.format_events` does the same in C; this is its reference."""
        if len(requests) != len(decisions):
            raise ValueError("as many decisions as requests are needed")
        outcomes = self._outcomes
        key_fields = schema.OUTCOME_KEY_FIELDS  # Decision puts the fields an outcome fixes first
        lines: list[str] = []
        append = lines.append
        for r, d in zip(requests, decisions, strict=True):
            end = outcomes.get(d[:key_fields])
            if end is None:
                line, end = self._define(d)
                append(line)
            append(head)
            for key, from_decision, attribute, required in _EVENT_PARTS:
                value = getattr(d if from_decision else r, attribute)
                if value is not None or required:
                    append(key)
                    append(_json_str(value))
            append(end)
        return "".join(lines).encode("ascii")

    def _define(self, d: Decision) -> tuple[str, str]:
        """Number a new outcome: the line that defines it, and how its events end."""
        if len(self._outcomes) >= _MAX_OUTCOMES:
            self._outcomes.clear()
        self._numbered += 1
        end = self._outcomes[d[: schema.OUTCOME_KEY_FIELDS]] = (
            f',"{schema.EVENT_OUTCOME_KEY}":{self._numbered}}}\n'
        )
        return _outcome_line(self._numbered, d), end

    def write(self, lines: list[str]) -> bool:
        """Append lines (each ending in a newline) and flush them to the file; False when they could not
        all be written (each line counts as an event in `unrecorded`)."""
        if not lines:
            return True
        if not self._ready():
            self._not_recorded(len(lines))
            return False
        # backslashreplace guards the file against a hand-made line that is not ASCII.
        return self._write("".join(lines).encode("ascii", "backslashreplace"))

    # ----------------------------------------------------------------------------- the file

    def _ready(self) -> bool:
        """Whether there is a file to write to: the current one, or, when none could be written and it
        is time to try again, a new one."""
        if self._file is not None:
            try:
                if os.fstat(self._file.fileno()).st_nlink:
                    return True
            except OSError:
                pass
            # The file is gone (its directory was deleted): what is written to it would be lost.
            self._say(f"{self._path} was removed while it was written to; starting a new file")
            self._hand_over()
        now = self._clock()
        if self._failing and now < self._retry_at:
            return False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)  # it may have been deleted
            self._file = self._open()
        except OSError as exc:
            self._retry_at = now + self._retry_seconds
            self._not_recorded(0, exc)
            return False
        return True

    def _open(self) -> BinaryIO:
        self._sequence += 1
        path = self.directory / f"{self._stem}-{self._sequence:05d}.jsonl.part"
        # Unbuffered: each batch goes to the file in one write(2), before its answers go to Squid.
        file = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open between batches
        self._path = path
        self._size = 0
        self._outcomes = {}  # a new file defines its outcomes again, from 1
        self._numbered = 0
        return file

    def _write(self, data: bytes) -> bool:
        file = self._file
        assert file is not None
        done = 0
        try:
            while done < len(data):  # a write(2) may take part of the data (the file size limit)
                written = file.write(memoryview(data)[done:])
                if not written:
                    raise OSError(errno.EIO, "the spool file took no more bytes")
                done += written
        except OSError as exc:
            # The events whose line did not reach the file whole; the half line ends the file.
            cut = data[data.rfind(b"\n", 0, done) + 1 :]
            lost = sum(1 for line in cut.split(b"\n")[:-1] if not line.startswith(_OUTCOME_START))
            self._size += done
            self._hand_over()  # never written to again: its half line stays its last
            self._retry_at = self._clock() + self._retry_seconds
            self._not_recorded(lost, exc)
            return False
        self._size += done
        if self._failing:
            self._say(
                f"recording activity events again in {self._path}; {self._unrecorded:,} could not be"
                " recorded while it failed"
            )
            self._failing = False
            self._reported = self._unrecorded
        if self._size >= self.max_bytes:
            self._hand_over()
            self._ready()  # the next file, opened now so that a fault shows before the next batch
        return True

    def _hand_over(self) -> None:
        """Close the current file and hand it over (rename to .jsonl); an empty one is removed. A file
        that cannot be renamed stays a .part file, which the ingester takes as well."""
        file, path, size = self._file, self._path, self._size
        self._file = None
        self._outcomes = {}
        self._numbered = 0
        if file is None or path is None:
            return
        with contextlib.suppress(OSError):  # unbuffered: nothing was waiting to be written
            file.close()
        try:
            if size == 0:
                path.unlink(missing_ok=True)
            else:
                os.replace(path, path.with_suffix(""))  # drop ".part"
        except OSError as exc:
            self._error = _describe(exc)

    # ----------------------------------------------------------------------------- telling about it

    def _not_recorded(self, count: int, exc: Exception | None = None) -> None:
        """Count events that could not be recorded; say so at once the first time, then at most every
        `report_seconds`."""
        self._unrecorded += count
        if exc is not None:
            self._error = _describe(exc)
        now = self._clock()
        if not self._failing:
            self._failing = True
            self._report_at = now + self._report_seconds
            self._reported = self._unrecorded
            self._say(
                f"cannot record activity events in {self.directory} ({self._error}); filtering goes on,"
                f" the events are counted and a new file is tried every {self._retry_seconds:g} s;"
                f" {self._unrecorded:,} not recorded so far"
            )
        elif now >= self._report_at and self._unrecorded != self._reported:
            self._report_at = now + self._report_seconds
            self._reported = self._unrecorded
            self._say(
                f"still cannot record activity events in {self.directory} ({self._error});"
                f" {self._unrecorded:,} not recorded so far"
            )

    def _say(self, message: str) -> None:
        log = self._log if self._log is not None else sys.stderr
        try:
            log.write(f"schoolgate {self.gateway} spool: {message}\n")
            log.flush()
        except (OSError, ValueError):
            pass  # nowhere left to say it; the count stays in `unrecorded`

    def close(self) -> None:
        """Close the current file and hand it over (rename to .jsonl); an empty one is removed. Says how
        many events could not be recorded, if any."""
        self._hand_over()
        if self._unrecorded:
            self._say(
                f"stopping; {self._unrecorded:,} activity events could not be recorded in {self.directory}"
            )
            self._reported = self._unrecorded


def _describe(exc: Exception) -> str:
    """An error as a network manager reads it: what went wrong, and its errno name."""
    if not isinstance(exc, OSError):
        return f"internal error: {exc!r}"
    name = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    return f"{text} [{name}]" if name else text


# ----------------------------------------------------------------------------- reading

_OUTCOME_START = b'{"' + schema.OUTCOME_KEY.encode() + b'":'


# What is checked of a line once its version and numbers are taken out.
_NUMBERS = (schema.VERSION_KEY, schema.OUTCOME_KEY, schema.EVENT_OUTCOME_KEY)
_EVENT_CHECKED = tuple(f for f in (*schema.EVENT_HEAD, *schema.EVENT_FIELDS) if f.key not in _NUMBERS)
_OUTCOME_CHECKED = tuple(f for f in schema.OUTCOME_FIELDS if f.key not in _NUMBERS)
_CHECK_EVENT = Checker(_EVENT_CHECKED)
_CHECK_OUTCOME = Checker(_OUTCOME_CHECKED)
_OUTCOME_KEY = schema.OUTCOME_KEY
_EVENT_OUTCOME_KEY = schema.EVENT_OUTCOME_KEY


def read_spool(
    path: Path | str,
    start: int = 0,
    *,
    skipped: Callable[[Skipped], None] | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    outcomes: dict[int, dict[str, Any]] | None = None,
) -> Iterator[SpoolRecord]:
    """The events of one spool file from byte `start` on (0, or the `end` of an event read before),
    each with its place in the file and its outcome's fields.

    A line that is not a whole event of a known version is left out, and every event after it still
    read: the last line when it is cut short (the machine stopped in the middle of a write, or a write
    failed; it is read once whole), a line that is not JSON or lacks a field the schema requires, one
    naming an outcome the file never defined, one longer than `max_line_bytes`. Each is handed to
    `skipped`; without it, lines of a format version this Schoolgate does not know are said on stderr
    (once per file, with their count), since they are events that a newer Schoolgate wrote and this
    one cannot store. Outcomes defined before `start` are read again, so reading may resume anywhere
    an event ends. `outcomes`, when given, is where the outcomes read are kept (it is updated as lines
    are read); handed in again not empty, as a reading of the same file up to `start` left it, reading
    seeks to `start` at once: an ingester following a growing file does not read all of it again each
    time."""
    path = Path(path)
    if outcomes is None:
        outcomes = {}
    base = start if outcomes else 0
    # The loop below runs once per event (a million a minute at the ingester's goal): names looked up
    # once, the common case (an event line of a known outcome) first and with the fewest steps.
    check_event, check_outcome, define = _CHECK_EVENT, _CHECK_OUTCOME, outcomes.get
    outcome_start, outcome_key, event_outcome_key = _OUTCOME_START, _OUTCOME_KEY, _EVENT_OUTCOME_KEY
    with Skips(path, "", skipped) as skip, open_regular(path) as file:
        file.seek(base)
        for offset, raw in whole_lines(file, max_line_bytes):
            offset += base
            if raw is None:
                if offset >= start:
                    skip(offset, f"longer than {max_line_bytes:,} bytes")
                continue
            if offset < start and not raw.startswith(outcome_start):
                continue  # read before; only its outcomes are needed again
            record, why, version = parse_line(raw)
            if record is None:
                if offset >= start:
                    skip(offset, why, version)
                continue
            number = record.pop(outcome_key, None)
            if number is not None:
                problem = check_outcome(record) if type(number) is int else "its number is no integer"
                if problem is None:
                    outcomes[number] = record
                elif offset >= start:
                    skip(offset, f"not an outcome: {problem}")
                continue
            if offset < start:
                continue
            number = record.pop(event_outcome_key, None)
            outcome = define(number) if type(number) is int else None  # not True, which == 1
            problem = check_event(record)
            if outcome is None or problem is not None:
                skip(offset, problem or f"names outcome {number!r}, which the file does not define")
                continue
            record.update(outcome)
            yield SpoolRecord(offset, offset + len(raw), record)


def read_events(path: Path | str) -> Iterator[dict[str, Any]]:
    """The events of one spool file, each with its outcome's fields (see `read_spool`, which says where
    each is in the file)."""
    for found in read_spool(path):
        yield found.record
