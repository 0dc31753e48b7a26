"""The terms the reports count by: the school's own term dates (`models.SchoolTerm`), or, for a school
that has entered none, the fixed terms of the English school year, and the school's own calendar day.

The fixed terms cover every day of the year (holidays included): Autumn is September to December,
Spring January to March, Summer April to August.

A school's own term is counted from its first day until the next of its terms begins, so that the
holiday after a term is counted with it and nothing that happens in a holiday goes uncounted; the
school's last term so far, or one followed by a gap longer than any holiday (terms not entered), is
counted to its last day. The same term last year is the school's term of
the same name a year before ("Autumn 2025" for "Autumn 2026"), or, where it has none, the fixed term
that the day a year before the term began falls in.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.text import slugify

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
    """A term as a report counts it: its name, its first and last day as the school gives them, the
    first day it no longer counts (`until`: the next term's first day, or the day after its last), the
    slug that chooses it in an address, and whether it is one of the fixed terms."""

    name: str
    start: dt.date
    end: dt.date
    until: dt.date
    slug: str
    fixed: bool = True

    @property
    def holidays_counted(self) -> bool:
        """Whether the days after its last day, up to the next term, are counted with it."""
        return self.until > self.end + dt.timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """From the first moment of the term to the first moment it no longer counts, in `zone`."""
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.until, dt.time.min, tzinfo=zone),
        )

    def __str__(self) -> str:
        return self.name


def fixed_term(year: int, season: Season) -> Term:
    """A fixed term, named by its season and the calendar year it falls in ("Autumn 2026" is September
    to December 2026, "Spring 2027" January to March 2027)."""
    first, last = _MONTHS[season]
    start = dt.date(year, first, 1)
    until = dt.date(year + 1, 1, 1) if last == 12 else dt.date(year, last + 1, 1)
    return Term(
        name=f"{season.value.capitalize()} {year}",
        start=start,
        end=until - dt.timedelta(days=1),
        until=until,
        slug=f"{season.value}-{year}",
    )


def _season(term: Term) -> Season:
    return Season(term.slug.partition("-")[0])


def term_of(day: dt.date) -> Term:
    """The fixed term `day` falls in."""
    for season, (first, last) in _MONTHS.items():
        if first <= day.month <= last:
            return fixed_term(day.year, season)
    raise AssertionError("unreachable: every month is in a term")


def fixed_before(term: Term) -> Term:
    """The fixed term just before a fixed term."""
    season = _season(term)
    return fixed_term(term.start.year - 1 if season == Season.SPRING else term.start.year, _BEFORE[season])


def parse_term(slug: str) -> Term:
    """The fixed term of a slug such as "autumn-2026" (ValueError if it is not one)."""
    season, _, year = slug.strip().lower().partition("-")
    if not (year.isascii() and year.isdigit() and len(year) == 4) or int(year) < 2000:
        raise ValueError(f'not a term: "{slug}" (write it as a season and a year, like "autumn-2026")')
    try:
        return fixed_term(int(year), Season(season))
    except ValueError:
        raise ValueError(f'not a term: "{slug}" (the terms are autumn, spring and summer)') from None


def recent_terms(today: dt.date, count: int = 6) -> list[Term]:
    """The fixed term `today` is in and the ones before it, newest first (two school years by default)."""
    terms = [term_of(today)]
    while len(terms) < count:
        terms.append(fixed_before(terms[-1]))
    return terms


def a_year_before(day: dt.date) -> dt.date:
    """The same day a year before (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _year_before_name(name: str) -> str:
    """The name with each year in it one less: "Autumn 2026" -> "Autumn 2025", "Spring 2026/27" ->
    "Spring 2025/26"."""

    def school_year(match: re.Match[str]) -> str:
        return f"{int(match[1]) - 1}/{(int(match[2]) - 1) % 100:02d}"

    name = re.sub(r"\b(\d{4})/(\d{2})\b", school_year, name)
    return re.sub(r"\b(\d{4})\b(?!/)", lambda m: str(int(m[1]) - 1), name)


def term_slug(name: str) -> str:
    """The slug of a school's term, from its name ("Autumn 2026" -> "autumn-2026")."""
    return slugify(name)


# The longest holiday counted with the term before it (the summer holiday is about six weeks): a longer
# gap means terms not entered, which are not all to be counted as one term's holiday.
LONGEST_HOLIDAY = dt.timedelta(weeks=8)


class Calendar:
    """A school's terms: its own (each counted until the next begins), or the fixed ones if it has
    entered none. Made from the terms' (name, first day, last day), so that it is a plain value."""

    def __init__(self, entered: Sequence[tuple[str, dt.date, dt.date]]) -> None:
        ordered = sorted(entered, key=lambda t: (t[1], t[2]))
        own: list[Term] = []
        for i, (name, first, last) in enumerate(ordered):
            after = last + dt.timedelta(days=1)
            following = ordered[i + 1][1] if i + 1 < len(ordered) else after
            until = following if after <= following <= after + LONGEST_HOLIDAY else after
            own.append(Term(name, first, last, until, term_slug(name), fixed=False))
        self.own = own
        self._by_slug = {t.slug: t for t in own}

    @classmethod
    def of(cls, school: School) -> Calendar:
        """The school's calendar (one query)."""
        from schoolgate.web.reports.models import SchoolTerm

        rows = SchoolTerm.objects.filter(school=school).unarchived().values_list("name", "first", "last")
        return cls(list(rows))

    def current(self, today: dt.date) -> Term:
        """The school's term that began last by `today`; the fixed term of `today` if it has none."""
        started = [t for t in self.own if t.start <= today]
        return started[-1] if started else term_of(today)

    def term_at(self, day: dt.date) -> Term:
        """The school's term counting `day` (its holiday after it included); the fixed term of `day`
        where none does."""
        for term in self.own:
            if term.start <= day < term.until:
                return term
        return term_of(day)

    def recent(self, today: dt.date, count: int = 6) -> list[Term]:
        """The school's terms begun by `today`, newest first (at most `count`); the fixed ones if none."""
        started = [t for t in self.own if t.start <= today]
        return list(reversed(started))[:count] if started else recent_terms(today, count)

    def find(self, slug: str) -> Term:
        """The school's term of `slug`, else the fixed term of it (ValueError if neither)."""
        own = self._by_slug.get(slug.strip().lower())
        return own if own is not None else parse_term(slug)

    def last_year(self, term: Term) -> Term:
        """The same term a year before: the school's term of the same name a year before, else the
        fixed term that the day a year before the term began falls in."""
        if term.fixed:
            return fixed_term(term.start.year - 1, _season(term))
        found = self._by_slug.get(term_slug(_year_before_name(term.name)))
        if found is not None and found != term:
            return found
        return term_of(a_year_before(term.start))


def school_zone(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def today_at(school: School, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(school_zone(school)).date()
