"""The school year: 1 September to 31 August, named by the year it starts in ("2026/27" starts in 2026).

Agreements are renewed and the annual review kept per school year; everything that counts by school
year asks here, so that they all turn over on the same day."""

from __future__ import annotations

import datetime as dt

START_MONTH = 9


def school_year(day: dt.date) -> int:
    """The calendar year the school year of `day` starts in (1 September)."""
    return day.year if day.month >= START_MONTH else day.year - 1


def first_day(year: int) -> dt.date:
    return dt.date(year, START_MONTH, 1)


def last_day(year: int) -> dt.date:
    return dt.date(year + 1, START_MONTH, 1) - dt.timedelta(days=1)


def name(year: int) -> str:
    """As people write it: "2026/27"."""
    return f"{year}/{(year + 1) % 100:02d}"
