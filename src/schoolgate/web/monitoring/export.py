"""The activity log as CSV: the rows of the current filters, streamed, capped, and safe to open.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some read a leading tab or
carriage return the same way) as a formula: a search term is typed by a pupil, so every such cell is
written with a leading `'`, which spreadsheets show as text. The address of an attempt on a locked
list is written only for those who may see it, as on the pages.

The file is written row by row as the database gives them (`StreamingHttpResponse`), so a large export
holds neither the rows nor the file in memory; it stops at `EXPORT_MAX` rows, and the page says so.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

if TYPE_CHECKING:
    import datetime as dt

    from schoolgate.web.monitoring.models import ActivityEvent

__all__ = ["EXPORT_MAX", "HEADER", "WITHHELD", "csv_lines", "row_of", "safe"]

EXPORT_MAX = 100_000
WITHHELD = "address withheld: evidence for the police"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "time",
    "kind",
    "verdict",
    "person",
    "user name",
    "year group",
    "class",
    "IP address",
    "device",
    "site",
    "address",
    "search engine",
    "search term",
    "category",
    "policy group",
    "rule",
    "reason",
    "flag",
    "risk area",
    "phrases matched",
)


def safe(cell: object) -> str:
    """A cell as text that no spreadsheet runs as a formula."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(_FORMULA) else text


def kinds_of(event: ActivityEvent) -> list[str]:
    """What the row is, in words: a search, blocked, flagged (any of them together)."""
    out = []
    if event.term:
        out.append("search")
    if event.blocked:
        out.append("blocked")
    if event.flag:
        out.append("flagged")
    return out


def row_of(event: ActivityEvent, *, sees_locked: bool, zone: dt.tzinfo) -> list[str]:
    """One event as the CSV's cells (before `safe`)."""
    hidden = event.locked and not sees_locked
    person = event.person
    # A locked attempt's phrases are words of its address: withheld with it, as on the page.
    matches = [] if hidden else (event.matches or [])
    phrases = "; ".join(str(m.get("phrase", "")) for m in matches if isinstance(m, dict))
    return [
        timezone.localtime(event.at, zone).isoformat(timespec="seconds"),
        " ".join(kinds_of(event)) or "request",
        "blocked" if event.blocked else "allowed",
        person.full_name if person is not None else "",
        event.user_name,
        str(person.year_group or "") if person is not None else "",
        str(person.class_group or "") if person is not None else "",
        event.ip,
        event.device,
        WITHHELD if hidden else event.site,
        WITHHELD if hidden else event.url,
        event.engine,
        "" if hidden else event.term,
        event.category,
        event.group,
        "" if event.rule is None else str(event.rule),
        event.reason,
        event.flag,
        event.flag_area,
        phrases,
    ]


class _Echo:
    """A file that gives back what is written to it: csv.writer's line, for the stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    events: QuerySet[ActivityEvent] | Iterable[ActivityEvent], *, sees_locked: bool, zone: dt.tzinfo
) -> Iterator[str]:
    """The header and then one line per event, at most EXPORT_MAX of them."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    rows = events[:EXPORT_MAX] if isinstance(events, QuerySet) else events
    source = rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else iter(rows)
    for count, event in enumerate(source):
        if count >= EXPORT_MAX:
            break
        yield writer.writerow([safe(cell) for cell in row_of(event, sees_locked=sees_locked, zone=zone)])
