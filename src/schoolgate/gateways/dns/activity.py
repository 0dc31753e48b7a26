"""`schoolgate dns-log`: unbound's query and RPZ log lines as activity events in the spool.

A school that filters by DNS alone must still be able to say who asked for what, when, from where, and
what was done: the record the DfE filtering standard asks for. unbound, configured by `schoolgate
unbound config`, writes a line for every query (`log-queries`) and one for every zone answer it gives
(`rpz-log`):

    [1796163309] unbound[4120:0] info: 10.1.4.23 bet365.com. A IN
    [1796163309] unbound[4120:0] info: rpz: applied [ks2] bet365.com. rpz-nxdomain 10.1.4.23@53120 \
        bet365.com. A IN

(the second is one line in the log).

Each query becomes one event (gateway "dns") with the time, the client's address, the name and the
query type, the group (from the client's address, as unbound's tags have it, or the zone's name when a
zone answered), and the verdict: what unbound did, blocked when a zone answered no such name (or sent
the name to the block page's host), else allowed. The category, rule and list entry are the policy's
for the name, as `decide_name` gives them.

A query and the zone answer to it are paired by client, name and type; a query that no zone line
follows within `PAIRING_SECONDS` (by the log's own clock) was answered normally. The reader keeps its
place in the log (`Position`): after a crash or a restart it carries on from the last line whose
event is in the spool, and it follows the file through rotation. While the spool cannot be written
it does not move on: the same lines are read again until their events are recorded.

The log is read as unbound writes it: a line ends at a line feed and nowhere else, and fields are
separated by one ASCII space. unbound writes a name's odd bytes as "?" (a space, a carriage return,
"]"...), but the reader does not rely on it: a carriage return or a Unicode line or paragraph separator
inside a line never starts another line, so text in a query name cannot pose as a query of its own
from another address.
"""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from schoolgate.activity.spool import SpoolWriter
from schoolgate.engine.decide import Decision, decide_name
from schoolgate.engine.policy import Action, CompiledPolicy
from schoolgate.files import write_atomically

__all__ = ["DnsRequest", "LogReader", "Position", "events_of"]

PAIRING_SECONDS = 2.0
_LATEST = 253402300799  # 9999-12-31T23:59:59Z
MAX_PENDING = 50_000

# ASCII: unbound's digits are 0-9, and its separator is the space, not what Unicode calls white space.
_STAMP = re.compile(r"^\[(?P<t>\d{1,12}(?:\.\d+)?)\] unbound\[", re.ASCII)  # any line of unbound's, any level
_LINE = re.compile(r"^\[(?P<t>\d{1,12}(?:\.\d+)?)\] unbound\[[^\]]*\] info: (?P<rest>.*)$", re.ASCII)
_QUERY = re.compile(r"^(?P<ip>[0-9a-fA-F.:]+) (?P<name>[^ ]+) (?P<type>[A-Z0-9]+) IN$", re.ASCII)
_APPLIED = re.compile(
    r"^rpz: applied \[(?P<zone>.*)\] (?P<trigger>[^ ]+) (?P<action>rpz-[a-z-]+) "  # a group may hold "]"
    r"(?P<ip>[0-9a-fA-F.:]+)@\d+ (?P<name>[^ ]+) (?P<type>[A-Z0-9]+) IN$",
    re.ASCII,
)
_BLOCKING = frozenset({"rpz-nxdomain", "rpz-nodata", "rpz-drop", "rpz-tcp-only"})


class DnsRequest(NamedTuple):
    """One query, as an event records it (the fields the spool reads of a request)."""

    url: str  # the name asked for
    user: str | None
    client_ip: str | None
    device: str | None
    method: str | None  # "DNS A", "DNS AAAA", ...


@dataclass
class _Query:
    at: float
    ip: str
    name: str
    qtype: str
    zone: str | None = None
    action: str | None = None


def _name(text: str) -> str:
    return text.rstrip(".").lower()


def events_of(
    lines: Iterable[str], compiled: CompiledPolicy, zone_groups: dict[str, str] | None = None
) -> Iterator[tuple[float, DnsRequest, Decision]]:
    """(time, request, decision) for every query in `lines`, in the order the queries were asked.
    `zone_groups` maps the zones' log names (unbound's `rpz-log-name`, the group) to groups."""
    pending: OrderedDict[tuple[str, str, str], _Query] = OrderedDict()
    groups = zone_groups if zone_groups is not None else {g: g for g in compiled.policy.groups}

    def finish(query: _Query) -> tuple[float, DnsRequest, Decision]:
        when = datetime.fromtimestamp(query.at, UTC)
        group = groups.get(query.zone or "") or compiled.identify(None, query.ip, at=when)[0]
        decision = decide_name(compiled, group, query.name, when)
        if query.action in _BLOCKING:
            blocked = True
        elif query.action == "rpz-local-data":  # safe search, or the block page's host
            blocked = decision.verdict is Action.BLOCK
        else:  # answered normally, or let through
            blocked = False
        verdict = Action.BLOCK if blocked else Action.ALLOW
        if decision.verdict is not verdict:
            decision = decision._replace(verdict=verdict)
        decision = decision._replace(identity=f"address {query.ip}")
        return query.at, DnsRequest(query.name, None, query.ip, None, f"DNS {query.qtype}"), decision

    def due(now: float) -> Iterator[tuple[float, DnsRequest, Decision]]:
        while pending:
            key, first = next(iter(pending.items()))
            if now - first.at < PAIRING_SECONDS and len(pending) < MAX_PENDING:
                return
            del pending[key]
            yield finish(first)

    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if match is None:
            continue
        at, rest = float(match["t"]), match["rest"]
        if not 0 < at < _LATEST:
            continue  # not a time this reader can place
        applied = _APPLIED.match(rest)
        if applied is not None:
            key = (applied["ip"], _name(applied["name"]), applied["type"])
            query = pending.pop(key, None) or _Query(at, *key)
            query.zone, query.action = applied["zone"], applied["action"]
            yield from due(at)
            yield finish(query)
            continue
        asked = _QUERY.match(rest)
        if asked is not None:
            key = (asked["ip"], _name(asked["name"]), asked["type"])
            yield from due(at)
            if key in pending:  # the same question again before the first was settled
                yield finish(pending.pop(key))
            pending[key] = _Query(at, *key)
    for query in pending.values():
        yield finish(query)


@dataclass(frozen=True)
class Position:
    """Where the reader is in the log: the file (device and inode) and the offset of the next line."""

    device: int
    inode: int
    offset: int

    @classmethod
    def load(cls, path: Path) -> Position | None:
        try:
            data = json.loads(path.read_text())
            return cls(int(data["device"]), int(data["inode"]), int(data["offset"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, path: Path) -> None:
        data = json.dumps({"device": self.device, "inode": self.inode, "offset": self.offset})
        write_atomically(path, data)


class LogReader:
    """Reads unbound's log from where it last stopped, writes the events, then saves its place.

    The events of the lines read are in the spool before the position moves past them: after a
    crash, at worst some events are written twice (never lost). A query still waiting for its zone
    line when a read ends is read again next time."""

    def __init__(self, log: Path, spool: SpoolWriter, position: Path) -> None:
        self.log, self.spool, self.position_path = log, spool, position
        self._missed = False  # an event of this read could not be recorded

    def read(self, compiled: CompiledPolicy, settle: bool = False) -> int:
        """Turn the new lines into events. `settle`: also the queries asked last (at the end of
        input, or when stopping). Returns the number of events written."""
        self._missed = False
        try:
            handle = open(self.log, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return 0
        written = 0
        with handle:
            st = os.fstat(handle.fileno())
            saved = Position.load(self.position_path)
            start = 0
            if saved is not None and (saved.device, saved.inode) == (st.st_dev, st.st_ino):
                start = saved.offset if saved.offset <= st.st_size else 0  # truncated: from the top
            elif saved is not None:
                # The log was rotated: first the end of the file it was, under its new name.
                written += self._finish_rotated(saved, compiled)
            handle.seek(start)
            data = handle.read()
        raw = _lines(data[: data.rfind(b"\n") + 1])  # whole lines only
        lines = [line.decode("utf-8", "replace") for line in raw]
        # Only settled queries go out now: the lines of the last PAIRING_SECONDS wait for the next
        # read, where the zone line that answers a query may yet come.
        settled = len(lines)
        last = _time_of(lines[-1]) if lines and not settle else None
        if last is not None:
            while settled and (_time_of(lines[settled - 1]) or 0.0) > last - PAIRING_SECONDS:
                settled -= 1
        chosen = lines[:settled]
        batch: list[tuple[float, DnsRequest, Decision]] = []
        for event in events_of(chosen, compiled):
            batch.append(event)
            if len(batch) >= 1000:
                written += self._write(batch)
                if self._missed:
                    break  # the spool cannot be written: the batches after this one would fail too
        else:
            written += self._write(batch)
        if self._missed:
            # Not all recorded: the same lines are read again next time, so the batches of this read
            # that were recorded (at most the events of one read) are recorded twice once the spool
            # can be written; the copies are the same event, time, address and name included.
            return written
        offset = start + sum(len(line) for line in raw[:settled])
        Position(st.st_dev, st.st_ino, offset).save(self.position_path)
        return written

    def _finish_rotated(self, saved: Position, compiled: CompiledPolicy) -> int:
        """The lines of the rotated log after `saved`, if it is still beside the log (`unbound.log.1`)."""
        for candidate in sorted(self.log.parent.glob(self.log.name + ".*")):
            try:
                st = candidate.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (saved.device, saved.inode):
                with open(candidate, "rb") as old:
                    old.seek(min(saved.offset, st.st_size))
                    data = old.read()
                lines = [line.decode("utf-8", "replace") for line in _lines(data)]
                return self._write(list(events_of(lines, compiled)))
        return 0  # gone (compressed or removed): what it held after the position is lost with it

    def _write(self, batch: list[tuple[float, DnsRequest, Decision]]) -> int:
        """Record a batch of events; how many were recorded."""
        count = 0
        by_time: dict[float, tuple[list[DnsRequest], list[Decision]]] = {}
        for at, request, decision in batch:
            requests, decisions = by_time.setdefault(at, ([], []))
            requests.append(request)
            decisions.append(decision)
        for at, (requests, decisions) in by_time.items():
            if self.spool.record(at, requests, decisions):
                count += len(requests)
            else:
                self._missed = True
        batch.clear()
        return count


def _lines(data: bytes) -> list[bytes]:
    """`data` cut into lines after each line feed, the only end of line unbound writes
    (bytes.splitlines would also cut at a carriage return); a last line without one is kept as it is."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    last = lines.pop()[:-1]
    if last:
        lines.append(last)
    return lines


def _time_of(line: str) -> float | None:
    match = _STAMP.match(line)
    return float(match["t"]) if match is not None else None
