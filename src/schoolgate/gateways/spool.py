"""The activity spool: one JSON-lines file per gateway process, appended to and rotated by size.

Every decision becomes one event carrying what the DfE filtering standard asks a school to be able
to see for a blocked or flagged request: time and date, user, client address, device where known,
the URL and host (hence any search term), verdict, category, rule and group. A field that is not
known (no user name, no device, no category, no rule, no list entry) is left out rather than written
as null: every byte is written on the hot path.

Files are written as `events-<host>-<pid>-<start>-<seq>.jsonl.part` and renamed to `.jsonl` when full
or when the process closes them, so a reader takes only complete files; the `.part` file of a process
that died is complete up to its last flush and is picked up by the ingester as well. Gateways flush
before they answer a batch of requests, so an answered request is never missing from the spool.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii as _json_str
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from schoolgate.engine.decide import Decision, RequestLike
from schoolgate.engine.policy import AlertLevel

__all__ = ["EventRequest", "SpoolWriter", "event_head", "format_event", "format_events"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def event_head(when: float, gateway: str) -> str:
    """The start of every event of a batch: its time (seconds since the epoch, UTC) and gateway."""
    return f'{{"t":{when:.3f},"gw":{_json_str(gateway)},'


_FRAGMENTS: dict[tuple[object, ...], str] = {}
_MAX_FRAGMENTS = 20_000


def _fragment(d: Decision) -> str:
    """The part of an event that the decision's outcome fixes (all but its entry and host), made once
    per distinct outcome: it is the same for every request the same rule decides for the same group."""
    key = d[:10]  # the fields an outcome fixes and its source: Decision puts them first
    found = _FRAGMENTS.get(key)
    if found is None:
        found = (
            f',"verdict":"{d.verdict.value}","reason":"{d.reason.value}","group":{_json_str(d.group)}'
            + ("" if d.category is None else f',"category":{_json_str(d.category)}')
            + ("" if d.source is None else f',"source":{_json_str(d.source)}')
            + ("" if d.rule is None else f',"rule":{d.rule}')
            + ("" if d.alert is AlertLevel.NONE else f',"alert":"{d.alert.value}"')
            + "}\n"
        )
        if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = found
    return found


class EventRequest(RequestLike, Protocol):
    """What an event records of the request itself (a gateway's parsed line): what `decide` reads,
    and the device and method."""

    @property
    def device(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...


class _Request(NamedTuple):
    url: str
    user: str | None
    client_ip: str | None
    device: str | None
    method: str | None


def format_event(
    head: str,
    url: str,
    user: str | None,
    client_ip: str | None,
    device: str | None,
    method: str | None,
    decision: Decision,
) -> str:
    """One event as a JSON line (`head` from `event_head`)."""
    return format_events(head, [_Request(url, user, client_ip, device, method)], [decision])[0]


def format_events(head: str, requests: Iterable[EventRequest], decisions: Iterable[Decision]) -> list[str]:
    """The events of a batch, one JSON line each (`head` from `event_head`). Hand-built because it runs
    once per request; `json.loads` reads it, and strings are escaped by the json module's own encoder."""
    fragments, fragment = _FRAGMENTS, _fragment
    out: list[str] = []
    append = out.append
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
        append(f'{head}{who}"url":{_json_str(r.url)}{where}{fragments.get(d[:10]) or fragment(d)}')
    return out


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
        self._file: BinaryIO = self._open()
        self._size = 0

    def _open(self) -> BinaryIO:
        self._sequence += 1
        self._path = self.directory / f"{self._stem}-{self._sequence:05d}.jsonl.part"
        # Unbuffered: each batch goes to the file in one write(2), before its answers go to Squid.
        return open(self._path, "ab", buffering=0)

    @property
    def path(self) -> Path | None:
        """The file being written now."""
        return self._path

    def write(self, lines: list[str]) -> None:
        """Append event lines (each ending in a newline) and flush them to the file."""
        # Events are ASCII (the JSON encoder escapes everything else); backslashreplace only guards the
        # file against a hand-made line.
        data = "".join(lines).encode("ascii", "backslashreplace")
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
