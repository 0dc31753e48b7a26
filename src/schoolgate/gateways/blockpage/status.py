"""What became of a pupil's requests, for the block page to tell them: the requests status file.

The web application writes the file (`schoolgate.web.filterrequests.status.publish`) beside the school's
policy snapshot, whenever a request made from the block page changes: `policy.toml` has
`policy-requests.json` beside it (`status_path`). The block page reads it and shows a pupil the line
for their own request about the site they are blocked from, and nothing else:

    You asked for this page to be looked at again on Tuesday 1 December 2026, 10:40.
    A teacher is looking at it.

The file holds one entry per (who, site) whose request is open or was decided in the last days, under a
digest of the pair (`entry_key`) rather than the names: the block page looks an entry up by what the
signed address says (who was blocked, which site), and the file, should it be read by anyone else, lists
no user name and no site. Its format (version `VERSION`):

    {"v": 1, "written": 1796121300,
     "entries": {"<32 hex digits>": {"kind": "review", "state": "open", "asked": 1796121240}, ...}}

`kind` is "review" (the pupil asked for the site to be opened) or "block" (they said it should be
blocked); `state` is "open" (waiting for a decision), "refused" (with `because`, the decider's reason)
or "approved" (with `until`, when what was written into the filter ends, or none for good); `asked`,
`decided` and `until` are Unix seconds.

Reading never fails the page: a missing file, one larger than `MAX_BYTES`, or one that is not the
format above is read as no entries (and a bad one is said once on the log). The file is read again only
when its size or modification time changes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from hashlib import blake2b
from pathlib import Path
from typing import Any, TextIO

from schoolgate.engine.policy import user_key
from schoolgate.gateways.blockpage.notice import format_when

__all__ = [
    "MAX_BYTES",
    "VERSION",
    "RequestStatus",
    "StatusEntry",
    "entry_key",
    "parse_status",
    "site_key",
    "status_line",
    "status_path",
    "who_key",
]

VERSION = 1
MAX_BYTES = 4 * 1024 * 1024  # a file larger than this is not read (some 10,000 entries fit in it)
MAX_BECAUSE = 500  # characters of a refusal's reason shown
KINDS = frozenset({"review", "block"})
STATES = frozenset({"open", "refused", "approved"})


def status_path(policy_path: Path) -> Path:
    """Where the requests status file of the policy file at `policy_path` is: beside it, named after it
    (`policy.toml` -> `policy-requests.json`, `policy-st-marys.toml` -> `policy-st-marys-requests.json`)."""
    return policy_path.with_name(f"{policy_path.stem}-requests.json")


def who_key(who: str) -> str:
    """A user name or address as both sides compare it: an address in its one written form, a user
    name as the policy looks it up (`user_key`: case does not matter)."""
    text = who.strip()
    try:
        return "net:" + str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return "user:" + user_key(text)


def site_key(host: str) -> str:
    """A host name as both sides compare it: lower case, without a final dot or a leading `www.`."""
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.") if host.count(".") > 1 else host


def entry_key(who: str, site: str) -> str:
    """The digest an entry is filed under: who (`who_key`) and the site (`site_key`)."""
    data = f"{who_key(who)}\n{site_key(site)}".encode("utf-8", "surrogatepass")
    return blake2b(data, digest_size=16, person=b"sg-request-stat").hexdigest()


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """What became of one request."""

    kind: str  # "review" or "block"
    state: str  # "open", "refused" or "approved"
    asked: int | None = None
    decided: int | None = None
    until: int | None = None
    because: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "state": self.state}
        for name in ("asked", "decided", "until"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.because:
            out["because"] = self.because[:MAX_BECAUSE]
        return out


def _seconds(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**40:
        return None
    return value


def _entry(value: object) -> StatusEntry | None:
    if not isinstance(value, dict):
        return None
    kind, state, because = value.get("kind"), value.get("state"), value.get("because", "")
    if kind not in KINDS or state not in STATES or not isinstance(because, str):
        return None
    return StatusEntry(
        kind=str(kind),
        state=str(state),
        asked=_seconds(value.get("asked")),
        decided=_seconds(value.get("decided")),
        until=_seconds(value.get("until")),
        because=because[:MAX_BECAUSE],
    )


def parse_status(data: bytes) -> dict[str, StatusEntry]:
    """The entries of a status file's bytes. Raises ValueError, saying why, for anything that is not a
    status file of this version; an entry that is not well formed is left out."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("entries"), dict):
        raise ValueError("not a requests status file (no entries)")
    if document.get("v") != VERSION:
        raise ValueError(f"format version {document.get('v')!r}: this block page reads version {VERSION}")
    entries: dict[str, StatusEntry] = {}
    for key, value in document["entries"].items():
        entry = _entry(value)
        if entry is not None and isinstance(key, str) and len(key) == 32:
            entries[key] = entry
    return entries


def _parents(host: str) -> list[str]:
    """The host and each domain above it with a dot in it: a request for a site covers its pages."""
    labels = site_key(host).split(".")
    return [".".join(labels[i:]) for i in range(max(len(labels) - 1, 1))]


class RequestStatus:
    """The status file, read again when it changes; safe to call from several threads."""

    def __init__(self, path: Path, log: TextIO = sys.stderr) -> None:
        self.path = path
        self.log = log
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) of what was read
        self._entries: Mapping[str, StatusEntry] = {}
        self._complained: tuple[int, int, int] | None = None

    def entries(self) -> Mapping[str, StatusEntry]:
        """The entries now: those last read, unless the file has changed since."""
        try:
            info = os.stat(self.path)
        except OSError:
            with self._lock:
                self._seen, self._entries = None, {}
            return self._entries
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if stamp != self._seen:
                self._seen = stamp
                self._entries = self._read(stamp, info.st_size)
            return self._entries

    def _read(self, stamp: tuple[int, int, int], size: int) -> Mapping[str, StatusEntry]:
        try:
            if size > MAX_BYTES:
                raise ValueError(f"{size:,} bytes, more than the {MAX_BYTES:,} it may have")
            with open(self.path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise ValueError(f"more than the {MAX_BYTES:,} bytes it may have")
            return parse_status(data)
        except (OSError, ValueError) as exc:
            if self._complained != stamp:
                self._complained = stamp
                with contextlib.suppress(OSError, ValueError):
                    self.log.write(f"schoolgate block-page: the requests status file {self.path}: {exc}\n")
                    self.log.flush()
            return {}

    def find(self, who: str | None, host: str | None) -> StatusEntry | None:
        """The entry for `who`'s request about `host` (or a domain above it), if there is one."""
        if not who or not host:
            return None
        entries = self.entries()
        if not entries:
            return None
        for site in _parents(host):
            found = entries.get(entry_key(who, site))
            if found is not None:
                return found
        return None


def _when(seconds: int, zone: tzinfo) -> str:
    return format_when(datetime.fromtimestamp(seconds, UTC).astimezone(zone))


def status_line(entry: StatusEntry, now: float, zone: tzinfo) -> str:
    """The words for the pupil, in the school's time zone."""
    asked = f" on {_when(entry.asked, zone)}" if entry.asked is not None else ""
    if entry.kind == "block":
        start = f"You told us{asked} that this website should be blocked."
        if entry.state == "open":
            return f"{start} A teacher is looking at it."
        if entry.state == "approved":
            return f"{start} Thank you: it is blocked now."
        because = f" They said: {entry.because}" if entry.because else ""
        return f"{start} The people who look after the school's internet decided to leave it open.{because}"
    start = f"You asked{asked} for this page to be looked at again."
    if entry.state == "open":
        return f"{start} A teacher is looking at it."
    if entry.state == "refused":
        because = f", because: {entry.because}" if entry.because else "."
        return f"{start} It is still not allowed{because}"
    if entry.until is not None and entry.until <= now:
        return f"{start} It was allowed until {_when(entry.until, zone)}. That time is over."
    until = f" until {_when(entry.until, zone)}" if entry.until is not None else ""
    return f"{start} It is allowed now{until}. If it is still blocked, wait a minute and open the page again."
