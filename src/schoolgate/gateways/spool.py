"""The activity spool: one JSON-lines file per gateway process, appended to and rotated by size.

Every decision becomes one event carrying what the DfE filtering standard asks a school to be able
to see for a blocked or flagged request: time and date, user, client address, device where known,
the URL and host (hence any search term), verdict, category, rule and group.

Every byte is written on the hot path, so an event does not repeat what many events share. What the
decision's outcome fixes (verdict, reason, group, category, the list behind it, rule, alert) is written
once per file, in an outcome line, before the first event that uses it; an event names it by number:

    {"outcome":1,"verdict":"block","reason":"rule","group":"ks2","category":"gambling","source":"ut1/gambling","rule":4}
    {"t":1795263348.657,"gw":"squid","user":"amelia","ip":"10.0.0.1","method":"GET","url":"https://bet365.com/","host":"bet365.com","entry":"bet365.com","o":1}

A field that is not known (no user name, no device, no category, no rule, no list entry) is left out.
`read_events` gives the events back whole, with their outcome's fields. Each file stands alone: its
numbers start again at 1.

Files are written as `events-<gateway>-<host>-<pid>-<start>-<token>-<seq>.jsonl.part` and renamed to
`.jsonl` when full or when the process closes them, so a reader takes only complete files; the `.part`
file of a process that died is complete up to its last flush and is picked up by the ingester as well.
Gateways flush before they answer a batch of requests, so an answered request is never missing from
the spool.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring_ascii as _json_str
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from schoolgate.engine.decide import Decision, RequestLike
from schoolgate.engine.policy import AlertLevel

try:
    from schoolgate.gateways import _speedups
except ImportError:  # not built (no C compiler): the pure-Python loops below do the same, slower
    _speedups = None  # type: ignore[assignment]

__all__ = ["EventRequest", "SpoolWriter", "event_head", "read_events"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def event_head(when: float, gateway: str) -> str:
    """The start of every event of a batch: its time (seconds since the epoch, UTC) and gateway."""
    return f'{{"t":{when:.3f},"gw":{_json_str(gateway)},'


_MAX_OUTCOMES = 20_000  # per file; beyond it, outcomes are defined again under new numbers


def _outcome_line(number: int, d: Decision) -> str:
    """The line that defines outcome `number`: the fields of a decision that its outcome fixes."""
    return (
        f'{{"outcome":{number},"verdict":"{d.verdict.value}","reason":"{d.reason.value}",'
        f'"group":{_json_str(d.group)}'
        + ("" if d.category is None else f',"category":{_json_str(d.category)}')
        + ("" if d.source is None else f',"source":{_json_str(d.source)}')
        + ("" if d.rule is None else f',"rule":{d.rule}')
        + ("" if d.alert is AlertLevel.NONE else f',"alert":"{d.alert.value}"')
        + "}\n"
    )


_REQUEST_FIELDS = ("user", "client_ip", "device", "method", "url")
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
    """Appends event lines to this process's current spool file, rotating it by size."""

    def __init__(self, directory: Path | str, gateway: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.gateway = gateway
        self.max_bytes = max_bytes
        # Gateway, host, process, start time and a random token: two writers never share a file.
        self._stem = (
            f"events-{gateway}-{socket.gethostname()}-{os.getpid()}-{int(time.time())}-{os.urandom(3).hex()}"
        )
        self._sequence = 0
        self._path: Path | None = None
        # The outcomes defined in the current file: the fields an outcome fixes -> the end of an event.
        self._outcomes: dict[tuple[object, ...], str] = {}
        self._numbered = 0
        self._file: BinaryIO = self._open()
        self._size = 0

    def _open(self) -> BinaryIO:
        self._sequence += 1
        self._outcomes = {}
        self._numbered = 0
        self._path = self.directory / f"{self._stem}-{self._sequence:05d}.jsonl.part"
        # Unbuffered: each batch goes to the file in one write(2), before its answers go to Squid.
        return open(self._path, "ab", buffering=0)

    @property
    def path(self) -> Path | None:
        """The file being written now."""
        return self._path

    def record(self, when: float, requests: Iterable[EventRequest], decisions: Iterable[Decision]) -> None:
        """Append the events of one batch decided at `when` (seconds since the epoch) and flush them."""
        head = event_head(when, self.gateway)
        requests = requests if isinstance(requests, list) else list(requests)
        decisions = decisions if isinstance(decisions, list) else list(decisions)
        layout = _layout(type(requests[0])) if requests and _speedups is not None else None
        if layout is not None:
            data = _speedups.format_events(  # layout is None without _speedups
                head, requests, type(requests[0]), layout, decisions, self._outcomes, self._define
            )
        else:
            data = self._format_events(head, requests, decisions)
        self._write(data)

    def _format_events(self, head: str, requests: list[EventRequest], decisions: list[Decision]) -> bytes:
        """The lines of one batch: its events, each preceded by the definition of an outcome it is the
        first to use. `_speedups.format_events` does the same in C; this is its reference."""
        if len(requests) != len(decisions):
            raise ValueError("as many decisions as requests are needed")
        outcomes = self._outcomes
        lines: list[str] = []
        append = lines.append
        for r, d in zip(requests, decisions, strict=True):
            user, ip, device, method, host, entry = r.user, r.client_ip, r.device, r.method, d.host, d.entry
            who = "" if user is None else f'"user":{_json_str(user)},'
            if ip is not None:
                who += f'"ip":{_json_str(ip)},'
            if device is not None:
                who += f'"device":{_json_str(device)},'
            if method is not None:
                who += f'"method":{_json_str(method)},'
            where = "" if host is None else f',"host":{_json_str(host)}'
            if entry is not None:
                where += f',"entry":{_json_str(entry)}'
            end = outcomes.get(d[:10])  # Decision puts the fields an outcome fixes first
            if end is None:
                line, end = self._define(d)
                append(line)
            append(f'{head}{who}"url":{_json_str(r.url)}{where}{end}')
        return "".join(lines).encode("ascii")

    def _define(self, d: Decision) -> tuple[str, str]:
        """Number a new outcome: the line that defines it, and how its events end."""
        if len(self._outcomes) >= _MAX_OUTCOMES:
            self._outcomes.clear()
        self._numbered += 1
        end = self._outcomes[d[:10]] = f',"o":{self._numbered}}}\n'
        return _outcome_line(self._numbered, d), end

    def write(self, lines: list[str]) -> None:
        """Append lines (each ending in a newline) and flush them to the file."""
        # backslashreplace guards the file against a hand-made line that is not ASCII.
        self._write("".join(lines).encode("ascii", "backslashreplace"))

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._size += len(data)
        if self._size >= self.max_bytes:
            self._finish()
            self._file = self._open()
            self._size = 0

    def _finish(self) -> None:
        self._file.close()
        if self._path is not None:
            done = self._path.with_suffix("")  # drop ".part"
            os.replace(self._path, done)

    def close(self) -> None:
        """Close the current file and hand it over (rename to .jsonl); an empty one is removed."""
        if self._path is None:
            return
        self._file.close()
        if self._size == 0:
            self._path.unlink(missing_ok=True)
        else:
            os.replace(self._path, self._path.with_suffix(""))
        self._path = None


def read_events(path: Path | str) -> Iterator[dict[str, Any]]:
    """The events of one spool file, each with its outcome's fields. A last line cut short (the
    machine stopped in the middle of a write) is left out."""
    outcomes: dict[int, dict[str, Any]] = {}
    with open(path, "rb") as file:
        for raw in file:
            if not raw.endswith(b"\n"):
                return
            record = json.loads(raw)
            number = record.pop("outcome", None)
            if number is not None:
                outcomes[number] = record
            else:
                record.update(outcomes[record.pop("o")])
                yield record
