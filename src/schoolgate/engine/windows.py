"""Named weekly time windows ("lessons", "lunchtime", "after school") with term dates and holidays.

Pure: nothing here reads a clock or touches I/O. The caller gives each window an explicit time zone
(a :class:`datetime.tzinfo`, e.g. ``zoneinfo.ZoneInfo("Europe/London")``) and passes the instant to
test; the instant is converted to the window's zone and the test is made on local wall-clock time,
so "08:45-15:30" is always local school time on both sides of a daylight-saving change.

A daily time span whose end is at or before its start crosses midnight: "22:00-06:00" on Friday
covers Friday 22:00 until Saturday 06:00. The day, term and holiday tests for the part after
midnight are made on the date the span started (Friday), not the date the instant falls on.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

__all__ = [
    "DAY_NAMES",
    "MONTH_NAMES",
    "DateRange",
    "Span",
    "Window",
    "WindowError",
    "make_window",
    "parse_date_range",
    "parse_days",
    "parse_span",
]

MINUTES_PER_DAY = 24 * 60
_ALL_DAYS_MASK = 0b111_1111


class WindowError(ValueError):
    """Bad window specification; ``str(e)`` is a message a network manager understands, e.g.
    'time span "25:00-26:00": hour must be 00 to 23 (or 24:00 as an end time)'."""


# ---------------------------------------------------------------------------------------------------------
# Value types


@dataclass(frozen=True, slots=True)
class Span:
    """A daily time span in minutes since local midnight, start inclusive, end exclusive.

    ``end`` may be 1440 (24:00). An end at or before the start means the span crosses midnight: it
    covers [start, 24:00) on a listed day and [00:00, end) on the day after.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise WindowError(f"time span start {self.start} must be 0 to 1439 minutes after midnight")
        if not 0 <= self.end <= MINUTES_PER_DAY:
            raise WindowError(f"time span end {self.end} must be 0 to 1440 minutes after midnight")
        if self.start == self.end:
            raise WindowError(f'time span "{self}": empty span (start and end are the same time)')

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of local dates."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise WindowError(
                f'date range "{self}": the first date is after the last (write the earlier date first)'
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __str__(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


@dataclass(frozen=True, slots=True)
class Window:
    """A named weekly time window; build one with :func:`make_window` to parse text specifications.

    ``days``: 0 = Monday .. 6 = Sunday. ``spans``: empty means the whole day. ``terms``: empty means
    every date, else the local date must fall in one of them. ``holidays``: local dates excluded.
    """

    name: str
    tz: tzinfo
    days: frozenset[int]
    spans: tuple[Span, ...]
    terms: tuple[DateRange, ...]
    holidays: tuple[DateRange, ...]
    # Precomputed for contains(), set in __post_init__.
    _mask: int = field(init=False, repr=False, compare=False)
    _today: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _spill_end: int = field(init=False, repr=False, compare=False)
    _terms: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _holidays: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise WindowError(f'window "{self.name}": time zone must be a datetime.tzinfo, not {self.tz!r}')
        bad_days = sorted(d for d in self.days if not (isinstance(d, int) and 0 <= d <= 6))
        if bad_days:
            raise WindowError(f'window "{self.name}": days must be 0 (Monday) to 6 (Sunday), not {bad_days}')
        mask = 0
        for d in self.days:
            mask |= 1 << d
        # The part of each span on the day it starts; the whole day when no spans are given.
        today = [(s.start, MINUTES_PER_DAY if s.crosses_midnight else s.end) for s in self.spans]
        spill_end = max((s.end for s in self.spans if s.crosses_midnight), default=0)
        object.__setattr__(self, "_mask", mask)
        object.__setattr__(self, "_today", _merge(today) if self.spans else ((0, MINUTES_PER_DAY),))
        object.__setattr__(self, "_spill_end", spill_end)
        object.__setattr__(
            self, "_terms", _merge([(r.first.toordinal(), r.last.toordinal() + 1) for r in self.terms])
        )
        object.__setattr__(
            self, "_holidays", _merge([(r.first.toordinal(), r.last.toordinal() + 1) for r in self.holidays])
        )

    def contains(self, at: datetime) -> bool:
        """Whether the instant ``at`` (timezone-aware) falls inside this window, in the window's zone."""
        zone = at.tzinfo
        if zone is None or zone.utcoffset(at) is None:
            raise WindowError(
                f'window "{self.name}": cannot test the naive time {at.isoformat(sep=" ")}; '
                "the time must carry a time zone"
            )
        local = at.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        ordinal = local.toordinal()
        for start, end in self._today:
            if start <= minute < end:
                if self._date_ok(weekday, ordinal):
                    return True
                break
        # The after-midnight part of a span that started yesterday is judged on yesterday's date.
        return minute < self._spill_end and self._date_ok(weekday - 1 if weekday else 6, ordinal - 1)

    def _date_ok(self, weekday: int, ordinal: int) -> bool:
        if not (self._mask >> weekday) & 1:
            return False
        for first, after in self._holidays:
            if first <= ordinal < after:
                return False
        for first, after in self._terms:
            if first <= ordinal < after:
                return True
        return not self._terms  # no terms: every date

    def describe(self) -> str:
        """One line for people, e.g.
        "Mon–Fri 08:45–12:00, 13:00–15:15, in term (3 ranges), except holidays (2 ranges), Europe/London"."""
        spans = ", ".join(
            f"{_hhmm(s.start)}–{_hhmm(s.end)}" + (" (next day)" if s.crosses_midnight else "")
            for s in self.spans
        )
        parts = [f"{_describe_days(self.days)} {spans or 'all day'}"]
        if self.terms:
            parts.append(f"in term ({_ranges(len(self.terms))})")
        if self.holidays:
            parts.append(f"except holidays ({_ranges(len(self.holidays))})")
        parts.append(str(self.tz))
        return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Parsing

_DAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# English names for people, whatever the process's locale (the block page says when a page was blocked
# with them, and a problem in a policy file names the month).
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_FULL_NAMES = tuple(name.lower() for name in DAY_NAMES)
_DAY_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SINGLE_DAYS: dict[str, int] = {
    **{name: i for i, name in enumerate(_DAY_ABBREVIATIONS)},
    **{name: i for i, name in enumerate(_DAY_FULL_NAMES)},
}
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "weekdays": frozenset(range(5)),
    "weekend": frozenset({5, 6}),
    "every day": frozenset(range(7)),
    "all": frozenset(range(7)),
}
_DAY_WORDS = (*_SINGLE_DAYS, *_DAY_GROUPS)
_DAYS_EXPECTED = (
    'expected a day such as "mon" or "monday", a range such as "mon-fri", '
    '"weekdays", "weekend" or "every day"'
)
_RANGE_DASH = re.compile(r"\s*[-–]\s*")

_SPAN = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*", re.ASCII)
_SPAN_EXPECTED = 'expected HH:MM-HH:MM, for example "08:45-12:00" (or "22:00-06:00" to cross midnight)'

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_DATE_RANGE = re.compile(rf"\s*{_DATE}(?:\s*\.\.\s*{_DATE})?\s*", re.ASCII)
_DATE_RANGE_EXPECTED = (
    'expected a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD, for example "2026-09-03..2026-12-18"'
)


def parse_days(items: Sequence[str]) -> frozenset[int]:
    """Days of the week, 0 = Monday .. 6 = Sunday, from items such as "mon", "Tuesday", "mon-fri",
    "fri-mon" (wraps round the weekend), "weekdays", "weekend", "every day" or "all"; case-insensitive.
    No items means every day. A bare string is taken as a single item."""
    if isinstance(items, str):
        items = (items,)
    if not items:
        return frozenset(range(7))
    days: set[int] = set()
    for item in items:
        days |= _parse_day_item(item)
    return frozenset(days)


def _parse_day_item(item: str) -> frozenset[int]:
    word = " ".join(item.lower().split())
    if word in _SINGLE_DAYS:
        return frozenset({_SINGLE_DAYS[word]})
    if word in _DAY_GROUPS:
        return _DAY_GROUPS[word]
    ends = _RANGE_DASH.split(word)
    if len(ends) == 2 and all(ends):
        first, last = (_range_end(end, item) for end in ends)
        return frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))
    raise WindowError(_unknown_day(item.strip(), word, _DAY_WORDS))


def _range_end(word: str, item: str) -> int:
    if word in _SINGLE_DAYS:
        return _SINGLE_DAYS[word]
    where = f' in "{item.strip()}"'
    if word in _DAY_GROUPS:
        raise WindowError(f'day range "{item.strip()}": each end must be a single day, as in "mon-fri"')
    raise WindowError(_unknown_day(word, word, tuple(_SINGLE_DAYS), where))


def _unknown_day(shown: str, word: str, vocabulary: Sequence[str], where: str = "") -> str:
    close = difflib.get_close_matches(word, vocabulary, n=1)
    if close:
        return f'unknown day "{shown}"{where} (did you mean "{close[0]}"?)'
    return f'unknown day "{shown}"{where}: {_DAYS_EXPECTED}'


def parse_span(text: str) -> Span:
    """A daily time span "HH:MM-HH:MM" ("8:45-12:00" is fine). "24:00" is allowed as an end time;
    an end at or before the start crosses midnight ("22:00-06:00"); "00:00-24:00" is the whole day."""
    match = _SPAN.fullmatch(text)
    if match is None:
        raise WindowError(f'time span "{text}": {_SPAN_EXPECTED}')
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or end_h > 24 or (end_h == 24 and end_m != 0):
        raise WindowError(f'time span "{text}": hour must be 00 to 23 (or 24:00 as an end time)')
    if start_m > 59 or end_m > 59:
        raise WindowError(f'time span "{text}": minute must be 00 to 59')
    start = start_h * 60 + start_m
    end = end_h * 60 + end_m
    if start == end:
        raise WindowError(
            f'time span "{text}": empty span (start and end are the same time; '
            'use "00:00-24:00" for the whole day)'
        )
    return Span(start, end)


def parse_date_range(text: str) -> DateRange:
    """An inclusive range of dates "YYYY-MM-DD..YYYY-MM-DD", or a single date "YYYY-MM-DD"."""
    match = _DATE_RANGE.fullmatch(text)
    if match is None:
        raise WindowError(f'date range "{text}": {_DATE_RANGE_EXPECTED}')
    groups = match.groups()
    first = _make_date(text, groups[0:3])
    last = first if groups[3] is None else _make_date(text, groups[3:6])
    if first > last:
        raise WindowError(
            f'date range "{text}": the first date is after the last (write the earlier date first)'
        )
    return DateRange(first, last)


def _make_date(text: str, parts: Sequence[str | None]) -> date:
    year, month, day = (int(p or "0") for p in parts)
    shown = f"{parts[0]}-{parts[1]}-{parts[2]}"
    if year < 1:
        problem = "year must be 0001 to 9999"
    elif not 1 <= month <= 12:
        problem = "month must be 01 to 12"
    else:
        length = _days_in_month(year, month)
        if 1 <= day <= length:
            return date(year, month, day)
        problem = f"{MONTH_NAMES[month - 1]} {year} has {length} days"
    raise WindowError(f'date range "{text}": {shown} is not a real date ({problem})')


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def make_window(
    name: str,
    tz: tzinfo,
    days: Sequence[str] = (),
    spans: Sequence[str] = (),
    terms: Sequence[str] = (),
    holidays: Sequence[str] = (),
) -> Window:
    """Build a window from text specifications; errors name the window, e.g.
    'window "lessons": time span "25:00-26:00": hour must be 00 to 23 (or 24:00 as an end time)'.
    No days means every day; no spans means the whole day; no terms means every date."""
    if not name.strip():
        raise WindowError("a time window needs a name")
    try:
        return Window(
            name=name,
            tz=tz,
            days=parse_days(days),
            spans=tuple(parse_span(s) for s in _items(spans)),
            terms=tuple(parse_date_range(t) for t in _items(terms)),
            holidays=tuple(parse_date_range(h) for h in _items(holidays)),
        )
    except WindowError as e:
        if str(e).startswith(f'window "{name}"'):
            raise
        raise WindowError(f'window "{name}": {e}') from None


# ---------------------------------------------------------------------------------------------------------
# Helpers


def _items(items: Sequence[str]) -> Sequence[str]:
    return (items,) if isinstance(items, str) else items


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _merge(intervals: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sort half-open intervals and merge those that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _ranges(count: int) -> str:
    return f"{count} range" if count == 1 else f"{count} ranges"


def _describe_days(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "every day"
    if not days:
        return "no days"
    # Start at a day whose previous day is not included, so runs wrap round the weekend ("Fri–Mon").
    begin = min(d for d in days if (d - 1) % 7 not in days)
    runs: list[list[int]] = []
    for offset in range(7):
        day = (begin + offset) % 7
        if day not in days:
            continue
        if runs and (runs[-1][-1] + 1) % 7 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    pieces: list[str] = []
    for run in runs:
        if len(run) >= 3:
            pieces.append(f"{_DAY_TITLES[run[0]]}–{_DAY_TITLES[run[-1]]}")
        else:
            pieces.extend(_DAY_TITLES[d] for d in run)
    return ", ".join(pieces)
