"""The activity event's format: every field, its JSON key, type and meaning, in one place.

This is the contract between the gateways that write events (the Squid helper, `schoolgate dns-log`,
the block page) and everything that reads them (the ingester of the monitoring issue, the benches, a
network manager with `jq`). The spool writer, its C loop and the readers all take the layout from
here: a new field is added once, below, and the C code is told at import (`spool.py` calls
`_speedups.configure` with `c_layout()`).

Three kinds of line share the spool directory, each a JSON object on one line:

- **an event** (`events-*.jsonl`): one request and what was decided, written by a gateway. It carries
  `EVENT_HEAD` and then `EVENT_FIELDS` (each left out when it is not known), and names its outcome;
- **an outcome** (in the same files): the fields of a decision that its outcome fixes (`OUTCOME_FIELDS`),
  written once per file before the first event that uses it, under a number that file's events name;
- **a review request** (`reviews-*.jsonl`): a pupil asking from the block page for a site to be looked
  at again (`REVIEW_FIELDS`).

Every line carries the format's version under `"v"` (`FORMAT_VERSION`). A reader takes the versions it
knows (`KNOWN_VERSIONS`) and leaves out, and reports, every line of another: a newer gateway's events
are never read as if they meant what this version's mean. A line without a version was written before
versions (`UNVERSIONED`: the same fields as version 1). A change that only adds an optional field
keeps the version; a change of a field's meaning or type, or a new required field, takes a new one.

Where an event comes from, as the ingester stores it (idempotent on gateway host, file and offset):
the gateway kind is `gw` in every event, and the host, process and sequence are in the file's name
(`parse_spool_name`); the offset is the event's place in its file, which `spool.read_spool` gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, NamedTuple, TypedDict

from schoolgate.engine.decide import Decision

__all__ = [
    "EVENT_FIELDS",
    "EVENT_HEAD",
    "FORMAT_VERSION",
    "GATEWAY_NAME",
    "KNOWN_VERSIONS",
    "OUTCOME_FIELDS",
    "OUTCOME_KEY_FIELDS",
    "REVIEW_FIELDS",
    "VERSION_KEY",
    "Field",
    "Source",
    "SpoolName",
    "c_layout",
    "parse_spool_name",
    "request_attributes",
]

FORMAT_VERSION: Final = 1
KNOWN_VERSIONS: Final = frozenset({1})
VERSION_KEY: Final = "v"
# Lines written before the format had versions carry none; they are version 1, which only added "v".
UNVERSIONED: Final = 1
OUTCOME_KEY: Final = "outcome"  # an outcome line's own number
EVENT_OUTCOME_KEY: Final = "o"  # the outcome an event names


class Source(StrEnum):
    """Where the writer takes a field's value from."""

    REQUEST = "request"  # the gateway's parsed request (an `EventRequest`), by attribute
    DECISION = "decision"  # the engine's `Decision`, by attribute
    WRITER = "writer"  # the writer itself (the version, the time, the gateway, the numbers)
    FORM = "form"  # the block page's review form and the signed address behind it


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a line: its JSON key, its JSON type, where its value comes from, whether every line
    has it, and what it means."""

    key: str
    type: Literal["string", "integer", "number"]  # "number": a JSON number, with a fraction or not
    source: Source
    attribute: str | None  # the request's or decision's attribute it is read from
    required: bool
    meaning: str


# The start of every event, written by the writer for a whole batch (`spool.event_head`).
EVENT_HEAD: Final = (
    Field(VERSION_KEY, "integer", Source.WRITER, None, True, "the format version of this line"),
    Field(
        "t",
        "number",
        Source.WRITER,
        None,
        True,
        "when the request was decided: seconds since 1970-01-01 UTC, to the millisecond",
    ),
    Field(
        "gw",
        "string",
        Source.WRITER,
        None,
        True,
        'the kind of gateway that decided: "squid", "dns", ... (its host is in the file name)',
    ),
)

# The per-request fields of an event, in the order they are written; each left out when not known.
EVENT_FIELDS: Final = (
    Field("user", "string", Source.REQUEST, "user", False, "the user name the request was made as"),
    Field("ip", "string", Source.REQUEST, "client_ip", False, "the client's IP address"),
    Field("device", "string", Source.REQUEST, "device", False, "the device's name or ID, where known"),
    Field(
        "method",
        "string",
        Source.REQUEST,
        "method",
        False,
        'the HTTP method ("GET", "CONNECT") or the DNS query ("DNS A")',
    ),
    Field(
        "url",
        "string",
        Source.REQUEST,
        "url",
        True,
        "what was asked for, whole (hence any search term): a URL, a host:port, or a DNS name",
    ),
    Field("host", "string", Source.DECISION, "host", False, "the host the decision was made for"),
    Field(
        "entry",
        "string",
        Source.DECISION,
        "entry",
        False,
        "the list entry that matched (a domain or URL of the list in the outcome's source)",
    ),
)

# An event ends by naming its outcome.
EVENT_TAIL: Final = (
    Field(
        EVENT_OUTCOME_KEY,
        "integer",
        Source.WRITER,
        None,
        True,
        "the number of the outcome, defined earlier in the same file, whose fields are this event's too",
    ),
)

# An outcome line: what a decision's outcome fixes, the decision's explanation.
OUTCOME_FIELDS: Final = (
    Field(OUTCOME_KEY, "integer", Source.WRITER, None, True, "this outcome's number in its file, from 1"),
    Field(VERSION_KEY, "integer", Source.WRITER, None, True, "the format version of this line"),
    Field("verdict", "string", Source.DECISION, "verdict", True, '"allow" or "block"'),
    Field(
        "reason",
        "string",
        Source.DECISION,
        "reason",
        True,
        'why: "rule", "group-default", "locked-list", "unparsable-request", ... (engine.decide.Reason)',
    ),
    Field("group", "string", Source.DECISION, "group", True, "the policy group the request was judged as"),
    Field("category", "string", Source.DECISION, "category", False, "the category that matched"),
    Field(
        "source",
        "string",
        Source.DECISION,
        "source",
        False,
        'the list behind the decision ("ut1/gambling", "site:homework")',
    ),
    Field("rule", "integer", Source.DECISION, "rule", False, "the number of the policy rule that decided"),
    Field(
        "alert",
        "string",
        Source.DECISION,
        "alert",
        False,
        'the alert level the rule carries ("low", "medium", "high"); left out for none',
    ),
)

# How many of the Decision's first fields an outcome is keyed by: up to the last one an outcome line
# writes (the engine puts the fields an outcome fixes first).
OUTCOME_KEY_FIELDS: Final = 1 + max(
    Decision._fields.index(f.attribute) for f in OUTCOME_FIELDS if f.attribute is not None
)

# A review request line (reviews-blockpage-*.jsonl); the block page's form and signed address.
REVIEW_KIND: Final = "review-request"
REVIEW_FIELDS: Final = (
    Field(VERSION_KEY, "integer", Source.WRITER, None, True, "the format version of this line"),
    Field(
        "t", "number", Source.WRITER, None, True, "when the request was sent (seconds since the epoch, UTC)"
    ),
    Field("kind", "string", Source.WRITER, None, True, f'always "{REVIEW_KIND}"'),
    Field("url", "string", Source.FORM, None, False, "the address the pupil asks to be looked at again"),
    Field("host", "string", Source.FORM, None, False, "its host"),
    Field("who", "string", Source.FORM, None, False, "who was blocked (user name or address), as signed"),
    Field("at", "integer", Source.FORM, None, False, "when the block was decided (Unix seconds), as signed"),
    Field("reason", "string", Source.FORM, None, False, "the block's reason, as in an outcome"),
    Field("group", "string", Source.FORM, None, False, "the group the block was for"),
    Field("category", "string", Source.FORM, None, False, "the category that matched"),
    Field("rule", "integer", Source.FORM, None, False, "the rule that blocked"),
    Field("message", "string", Source.FORM, None, False, "what the pupil wrote"),
    Field("name", "string", Source.FORM, None, False, "the name the pupil gave"),
    Field("ip", "string", Source.FORM, None, False, "the address the form was sent from"),
    Field("user_agent", "string", Source.FORM, None, False, "the browser's User-Agent"),
)


def request_attributes() -> tuple[str, ...]:
    """The attributes of a request that an event reads, in `EVENT_FIELDS` order."""
    return tuple(f.attribute for f in EVENT_FIELDS if f.source is Source.REQUEST and f.attribute)


class CLayout(TypedDict):
    """What `activity._speedups.configure` takes."""

    decision_fields: tuple[str, ...]
    outcome_fields: int
    event_fields: tuple[tuple[str, str, str, bool], ...]


def c_layout() -> CLayout:
    """The layout `activity._speedups.configure` takes: the Decision's fields, how many of them key an
    outcome, and each per-request field as (key, source, attribute, required)."""
    return {
        "decision_fields": tuple(Decision._fields),
        "outcome_fields": OUTCOME_KEY_FIELDS,
        "event_fields": tuple((f.key, f.source.value, f.attribute or "", f.required) for f in EVENT_FIELDS),
    }


def _check() -> None:
    """The schema is consistent with the engine's Decision: a mistake here fails at import, never in
    a gateway's hot path."""
    for f in (*EVENT_FIELDS, *OUTCOME_FIELDS):
        if f.source is Source.DECISION and f.attribute not in Decision._fields:
            raise ImportError(f"activity field {f.key!r} reads Decision.{f.attribute}, which does not exist")
    keys = [f.key for f in (*EVENT_HEAD, *EVENT_FIELDS, *EVENT_TAIL)]
    if len(set(keys)) != len(keys):
        raise ImportError(f"an activity event names a key twice: {keys}")
    for f in EVENT_FIELDS:
        if f.source is Source.DECISION and Decision._fields.index(f.attribute or "") < OUTCOME_KEY_FIELDS:
            raise ImportError(f"event field {f.key!r} is fixed by the outcome: it belongs in OUTCOME_FIELDS")


_check()

# ----------------------------------------------------------------------------- spool file names

GATEWAY_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
_NAMES = {
    # events-<gateway>-<host>-<pid>-<start>-<token>-<sequence>.jsonl[.part], by `spool.SpoolWriter`
    "events": re.compile(
        r"events-(?P<gateway>[a-z][a-z0-9_]{0,31})-(?P<host>.+)-(?P<pid>\d+)-(?P<start>\d+)"
        r"-(?P<token>[0-9a-f]+)-(?P<sequence>\d+)\.jsonl(?P<part>\.part)?",
        re.ASCII,
    ),
    # reviews-<gateway>-<host>-<pid>-<start>.jsonl, by `reviews.ReviewWriter`
    "reviews": re.compile(
        r"reviews-(?P<gateway>[a-z][a-z0-9_]{0,31})-(?P<host>.+)-(?P<pid>\d+)-(?P<start>\d+)\.jsonl",
        re.ASCII,
    ),
}


class SpoolName(NamedTuple):
    """What a spool file's name says: the kind of lines, the gateway kind, host and process that wrote
    it, when that process started, and the file's place among that process's files."""

    kind: str  # "events" or "reviews"
    gateway: str
    host: str
    pid: int
    start: int
    sequence: int  # 0 for a review file (one per process)
    complete: bool  # False for a ".part" file, still being written or left by a process that died


def parse_spool_name(name: str) -> SpoolName | None:
    """The parts of a spool file's name, or None for a file that is not a spool file. The host may hold
    "-": the gateway kind before it and the numbers after it never do."""
    kind = name.partition("-")[0]
    pattern = _NAMES.get(kind)
    match = pattern.fullmatch(name) if pattern is not None else None
    if match is None:
        return None
    fields = match.groupdict()
    return SpoolName(
        kind,
        match["gateway"],
        match["host"],
        int(match["pid"]),
        int(match["start"]),
        int(fields.get("sequence") or 0),
        fields.get("part") is None,
    )


def file_host(hostname: str) -> str:
    """A host name as it goes into a spool file's name: characters a file name or the parsing above
    could trip on become "_"."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", hostname, flags=re.ASCII) or "_"
