"""The terms of the English school year that the reports count by, and the school's own calendar day.

Every day of the year is in one term (holidays included): Autumn is September to December, Spring
January to March, Summer April to August.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School


class Season(enum.Enum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"


# The months of each term: Autumn 1 September to 31 December, Spring 1 January to 31 March, Summer
# 1 April to 31 August (holidays included, so that every day of the year is in one term).
_MONTHS = {Season.AUTUMN: (9, 12), Season.SPRING: (1, 3), Season.SUMMER: (4, 8)}
_BEFORE = {Season.AUTUMN: Season.SUMMER, Season.SUMMER: Season.SPRING, Season.SPRING: Season.AUTUMN}


@dataclass(frozen=True)
class Term:
    """A term of the English school year, named by its season and the calendar year it falls in
    ("Autumn 2026" is September to December 2026, "Spring 2027" January to March 2027)."""

    year: int
    season: Season

    @property
    def name(self) -> str:
        return f"{self.season.value.capitalize()} {self.year}"

    @property
    def slug(self) -> str:
        return f"{self.season.value}-{self.year}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, _MONTHS[self.season][0], 1)

    @property
    def end(self) -> dt.date:
        """The term's last day."""
        month = _MONTHS[self.season][1]
        if month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, month + 1, 1) - dt.timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """From the first moment of the term to the first moment after it, in `zone`."""
        after = self.end + dt.timedelta(days=1)
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(after, dt.time.min, tzinfo=zone),
        )

    def previous_year(self) -> Term:
        """The same term a year before."""
        return Term(self.year - 1, self.season)

    def before(self) -> Term:
        """The term just before this one."""
        season = _BEFORE[self.season]
        return Term(self.year - 1 if self.season == Season.SPRING else self.year, season)

    def __str__(self) -> str:
        return self.name


def term_of(day: dt.date) -> Term:
    """The term `day` falls in."""
    for season, (first, last) in _MONTHS.items():
        if first <= day.month <= last:
            return Term(day.year, season)
    raise AssertionError("unreachable: every month is in a term")


def parse_term(slug: str) -> Term:
    """The term of a slug such as "autumn-2026" (ValueError if it is not one)."""
    season, _, year = slug.strip().lower().partition("-")
    if not (year.isascii() and year.isdigit() and len(year) == 4) or int(year) < 2000:
        raise ValueError(f'not a term: "{slug}" (write it as a season and a year, like "autumn-2026")')
    try:
        return Term(int(year), Season(season))
    except ValueError:
        raise ValueError(f'not a term: "{slug}" (the terms are autumn, spring and summer)') from None


def recent_terms(today: dt.date, count: int = 6) -> list[Term]:
    """The term `today` is in and the ones before it, newest first (two school years by default)."""
    terms = [term_of(today)]
    while len(terms) < count:
        terms.append(terms[-1].before())
    return terms


def school_zone(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def today_at(school: School, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(school_zone(school)).date()
