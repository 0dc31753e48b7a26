"""Real spool files for the monitoring tests, written by the gateways' own `SpoolWriter`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from schoolgate.activity.spool import SpoolWriter
from schoolgate.engine.decide import Decision, Reason
from schoolgate.engine.policy import Action, AlertLevel

T0 = 1_796_000_000.0  # Tuesday 29 November 2026, 09:33:20 UTC


class Line(NamedTuple):
    """What a gateway passes for each request: its parsed line."""

    url: str
    user: str | None = None
    client_ip: str | None = None
    device: str | None = None
    method: str | None = "GET"


def allowed(host: str = "example.org") -> Decision:
    return Decision(Action.ALLOW, Reason.GROUP_DEFAULT, "ks2", host=host)


def blocked(host: str = "bet365.com", category: str = "gambling", rule: int = 4) -> Decision:
    return Decision(
        Action.BLOCK, Reason.RULE, "ks2", category=category, source=f"ut1/{category}", rule=rule, host=host
    )


def alerted(host: str = "knives.example", level: AlertLevel = AlertLevel.MEDIUM) -> Decision:
    return Decision(Action.ALLOW, Reason.RULE, "ks2", category="weapons", rule=7, alert=level, host=host)


def locked(host: str = "illegal.example") -> Decision:
    return Decision(Action.BLOCK, Reason.LOCKED, "ks2", category="child_abuse", source="iwf", host=host)


def google(term: str) -> str:
    return "https://www.google.com/search?q=" + term.replace(" ", "+")


Event = tuple[float, Line, Decision]


def write(
    directory: Path, events: Sequence[Event], *, writer: SpoolWriter | None = None, close: bool = True
) -> SpoolWriter:
    """Record each event at its own time, as a gateway does batch by batch; close (rename to .jsonl)
    unless told not to."""
    writer = writer or SpoolWriter(directory, "squid")
    for when, line, decision in events:
        assert writer.record(when, [line], [decision])
    if close:
        writer.close()
    return writer
