"""The alert rules: which events need a person to look, and which of them belong together.

Pure, like the engine: plain event records in, decisions out; no database, no clock (every time is
an argument, in seconds since 1970 UTC). The web application's `alerting` turns the rows the ingester
has just stored into `Event`s, hands them here with the alerts still open for the same people, and
applies the decisions.

The rules, in the order an event is given to one of them (an event belongs to one alert only: the
most pressing rule it meets):

1. **locked**: an attempt on a locked list (illegal content). Always high. Its title and explanation
   never carry the address or the site: that is evidence for the police, shown to the DSL alone.
2. **phrase**: a search whose term the risk phrases flagged. The alert's severity is the flag's
   (the phrase library has already applied the audience's thresholds: what alerts for a Year 2 pupil
   may be only logged for staff); its area is the phrase's.
3. **category**: a request to a category whose rule carries an alert level; that level is the alert's.
4. **circumvention**: a blocked request to the VPN, proxy or DNS-over-HTTPS categories (by the policy's
   category name or the list it came from). Medium by default (`Rules.circumvention_severity`): the
   filter held, and pupils try these often; the DSL hears the same day, not by an e-mail each time.
5. **repeated**: at least `Rules.repeat_count` blocks by one person within `Rules.repeat_window`
   seconds (every block counts, whatever other rule it met; the blocks no other rule took join it).

Grouping: an event joins an alert of the same person, kind and area whose events reach to within
`Rules.group_window` seconds of it (an open one in the database, or one this batch raised), instead of
raising another: fifty searches in five minutes are one alert, not fifty. The group's severity is the
highest of its events'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

__all__ = [
    "CIRCUMVENTION_CATEGORIES",
    "CIRCUMVENTION_SOURCES",
    "DEFAULT_RULES",
    "KINDS",
    "SEVERITIES",
    "Event",
    "Join",
    "OpenAlert",
    "Raise",
    "Rules",
    "decide",
    "higher",
]

Kind = Literal["locked", "phrase", "category", "circumvention", "repeated"]
Severity = Literal["high", "medium", "low"]

KINDS: tuple[Kind, ...] = ("locked", "phrase", "category", "circumvention", "repeated")
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
_KIND_OF: dict[str, Kind] = {k: k for k in KINDS}
_RANK = {"low": 1, "medium": 2, "high": 3}

# The shipped policy's category of ways round the filter (web/policy/seed.py: "circumvention"), and the
# UT1 lists it is made of: a school's own policy may name the category otherwise, so the lists count too.
CIRCUMVENTION_CATEGORIES = frozenset({"circumvention"})
CIRCUMVENTION_SOURCES = frozenset({"ut1/vpn", "ut1/redirector", "ut1/doh", "ut1/residential-proxies"})


def higher(a: str, b: str) -> str:
    """The more severe of two severities (an unknown one counts as none)."""
    return a if _RANK.get(a, 0) >= _RANK.get(b, 0) else b


class Event(NamedTuple):
    """What the rules need of one stored event. `who` is the user name, or the address when there is
    none: the person the alert is about. `flag` is the highest severity the risk phrases gave the term
    (None: not flagged), `flag_area` its area and `why` the matches' explanation; `alert_level` the
    level the matching rule carries (None: none). A named tuple, immutable as a frozen dataclass
    would be and made three times faster: the ingester makes one per block it stores."""

    at: float
    who: str
    blocked: bool = False
    reason: str = ""
    category: str = ""
    source: str = ""
    alert_level: str | None = None
    locked: bool = False
    flag: str | None = None
    flag_area: str = ""
    term: str = ""
    why: str = ""
    site: str = ""
    engine: str = ""


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert already in the database that events may still join: its key (the row's id), whom it
    is about, its kind, area and severity, and the times of its first and last events."""

    key: int
    who: str
    kind: str
    area: str
    severity: str
    first_at: float
    last_at: float


@dataclass(frozen=True, slots=True)
class Raise:
    """A new alert: of `kind`, `severity` and `area`, about `who`, made of the events at `events`
    (indices into the sequence given to `decide`), in time order."""

    kind: Kind
    severity: Severity
    area: str
    who: str
    title: str
    explanation: str
    events: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Join:
    """Events that join the open alert `key`; `severity` is the group's now (the highest of its own
    and theirs), `last_at` its latest event's time."""

    key: int
    severity: Severity
    last_at: float
    events: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules' settings. Times in seconds."""

    circumvention_categories: frozenset[str] = CIRCUMVENTION_CATEGORIES
    circumvention_sources: frozenset[str] = CIRCUMVENTION_SOURCES
    circumvention_severity: Severity = "medium"
    repeat_count: int = 20
    repeat_window: float = 5 * 60.0
    repeat_severity: Severity = "medium"
    group_window: float = 10 * 60.0

    def __post_init__(self) -> None:
        if self.repeat_count < 2:
            raise ValueError("repeat_count: at least 2 blocks make a repetition")
        if self.repeat_window <= 0 or self.group_window <= 0:
            raise ValueError("repeat_window and group_window must be more than 0 seconds")
        for name in ("repeat_severity", "circumvention_severity"):
            if getattr(self, name) not in _RANK:
                raise ValueError(f"{name}: one of {', '.join(SEVERITIES)}")


DEFAULT_RULES = Rules()


_SEVERITY_OF: dict[str | None, Severity] = {s: s for s in SEVERITIES}


def _severity(value: str | None) -> Severity | None:
    """`value` as a severity, or None when it is none of them."""
    return _SEVERITY_OF.get(value)


def _rule(event: Event, rules: Rules) -> tuple[Kind, Severity, str] | None:
    """The most pressing rule the event meets by itself (not counting repetition): kind, severity, area."""
    if event.locked:
        return "locked", "high", ""
    flag = _severity(event.flag)
    if flag is not None:
        return "phrase", flag, event.flag_area
    level = _severity(event.alert_level)
    if level is not None:
        return "category", level, ""
    if event.blocked and (
        event.category in rules.circumvention_categories or event.source in rules.circumvention_sources
    ):
        return "circumvention", rules.circumvention_severity, ""
    return None


def _quoted(text: str, limit: int = 120) -> str:
    """A term as the page shows it: one line, cut to `limit` characters."""
    one = " ".join(text.split())
    return f'"{one[:limit]}…"' if len(one) > limit else f'"{one}"'


def _describe(kind: Kind, area: str, events: Sequence[Event], rules: Rules) -> tuple[str, str]:
    """The title and explanation of a new alert, from its events. Never a locked list's address or site."""
    first = events[0]
    count = len(events)
    if kind == "locked":
        return (
            "Attempt to reach content on the illegal-content list",
            "The filter blocked "
            + ("an attempt" if count == 1 else f"{count} attempts")
            + " to reach content on a locked list (illegal content). The address is evidence for the "
            "police: only the DSL sees it. Nobody should visit it.",
        )
    if kind == "phrase":
        label = area.replace("_", " ") or "risk"
        terms = list(dict.fromkeys(e.term for e in events if e.term))
        said = ", ".join(_quoted(t) for t in terms[:5]) + (
            f" and {len(terms) - 5} more" if len(terms) > 5 else ""
        )
        engine = f" on {first.engine}" if first.engine else ""
        why = f". {first.why}" if first.why else ""
        return f"Search flagged: {label}", f"Searched {said}{engine}{why}"
    if kind == "category":
        categories = list(dict.fromkeys(e.category or "uncategorised" for e in events))
        sites = list(dict.fromkeys(e.site for e in events if e.site))
        verb = "blocked" if all(e.blocked for e in events) else "requested"
        return (
            f"Category with an alert: {', '.join(categories[:3])}",
            f"{verb.capitalize()}: {', '.join(sites[:5]) or 'a site'}, in "
            f"{', '.join(categories)}, whose rule carries an alert.",
        )
    if kind == "circumvention":
        sites = list(dict.fromkeys(e.site for e in events if e.site))
        lists = list(dict.fromkeys(e.source or e.category for e in events if e.source or e.category))
        return (
            "Attempt to get round the filter",
            f"Blocked: {', '.join(sites[:5]) or 'a site'} ({', '.join(lists)}): a VPN, a proxy or "
            "DNS over HTTPS would take the device out of the school's filtering.",
        )
    minutes = rules.repeat_window / 60
    sites = list(dict.fromkeys(e.site for e in events if e.site))
    example = f", among them {', '.join(sites[:5])}" if sites else ""
    return "Repeated blocks", f"{count} requests blocked within {minutes:g} minutes{example}."


@dataclass
class _Group:
    kind: Kind
    area: str
    who: str
    severity: str
    first_at: float
    last_at: float
    key: int | None = None  # the open alert's key; None for one this batch raises
    events: list[int] = field(default_factory=list)
    old_severity: str = ""

    def reaches(self, at: float, window: float) -> bool:
        return self.first_at - window <= at <= self.last_at + window

    def add(self, index: int, at: float, severity: str) -> None:
        self.events.append(index)
        self.severity = higher(self.severity, severity)
        self.first_at = min(self.first_at, at)
        self.last_at = max(self.last_at, at)


def decide(
    events: Sequence[Event],
    open_alerts: Sequence[OpenAlert] = (),
    rules: Rules = DEFAULT_RULES,
    earlier_blocks: Mapping[str, Sequence[float]] | None = None,
) -> list[Raise | Join]:
    """The alerts `events` raise or join.

    `open_alerts`: the alerts events may still join (the caller's choice of which: those not yet
    handled, of the people in the batch, recent enough). `earlier_blocks`: per person, the times of
    their blocks shortly before this batch (within `rules.repeat_window` of its first event), so that
    a repetition spread over several batches is still seen. Returns the new alerts first (in the order
    of their first event), then the joins (by key)."""
    order = sorted(range(len(events)), key=lambda i: events[i].at)
    groups: dict[tuple[str, str, str], list[_Group]] = {}
    for alert in open_alerts:
        kind = _KIND_OF.get(alert.kind)
        if kind is None:
            continue
        group = _Group(
            kind=kind,
            area=alert.area,
            who=alert.who,
            severity=alert.severity,
            first_at=alert.first_at,
            last_at=alert.last_at,
            key=alert.key,
            old_severity=alert.severity,
        )
        groups.setdefault((alert.who, alert.kind, alert.area), []).append(group)
    created: list[_Group] = []
    blocks: dict[str, list[float]] = {who: sorted(times) for who, times in (earlier_blocks or {}).items()}
    waiting: dict[str, list[int]] = {}  # per person: blocks no rule took, that a repetition may take

    def place(index: int, kind: Kind, severity: str, area: str) -> None:
        event = events[index]
        for group in groups.get((event.who, kind, area), ()):
            if group.reaches(event.at, rules.group_window):
                group.add(index, event.at, severity)
                return
        group = _Group(kind, area, event.who, severity, event.at, event.at)
        group.add(index, event.at, severity)
        groups.setdefault((event.who, kind, area), []).append(group)
        created.append(group)

    for index in order:
        event = events[index]
        found = _rule(event, rules)
        if found is not None:
            place(index, *found)
        if not event.blocked:
            continue
        times = blocks.setdefault(event.who, [])
        times.append(event.at)
        # The blocks within the window before this one (times arrive in order: the oldest drop out).
        while times and times[0] < event.at - rules.repeat_window:
            times.pop(0)
        pending = waiting.setdefault(event.who, [])
        if found is None:
            joined = False
            for group in groups.get((event.who, "repeated", ""), ()):
                if group.reaches(event.at, rules.group_window):
                    group.add(index, event.at, rules.repeat_severity)
                    joined = True
                    break
            if joined:
                continue
            pending.append(index)
        if len(times) >= rules.repeat_count and pending:
            for i in pending:
                if events[i].at >= event.at - rules.repeat_window:
                    place(i, "repeated", rules.repeat_severity, "")
            pending.clear()

    decisions: list[Raise | Join] = []
    for group in created:
        members = sorted(group.events, key=lambda i: (events[i].at, i))
        title, explanation = _describe(group.kind, group.area, [events[i] for i in members], rules)
        decisions.append(
            Raise(
                kind=group.kind,
                severity=_severity(group.severity) or "low",
                area=group.area,
                who=group.who,
                title=title[:200],
                explanation=explanation,
                events=tuple(members),
            )
        )
    joins = [g for gs in groups.values() for g in gs if g.key is not None and g.events]
    for group in sorted(joins, key=lambda g: g.key or 0):
        decisions.append(
            Join(
                key=group.key or 0,
                severity=_severity(group.severity) or "low",
                last_at=group.last_at,
                events=tuple(sorted(group.events, key=lambda i: (events[i].at, i))),
            )
        )
    return decisions
