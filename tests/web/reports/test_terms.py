"""The school year's terms: every day in one, the same term last year, the terms before, slugs."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolgate.web.reports.terms import Season, Term, parse_term, recent_terms, term_of
from tests.web.reports.make import LONDON, UTC


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 9, 1), "Autumn 2026"),
        (dt.date(2026, 12, 31), "Autumn 2026"),
        (dt.date(2027, 1, 1), "Spring 2027"),
        (dt.date(2027, 3, 31), "Spring 2027"),
        (dt.date(2027, 4, 1), "Summer 2027"),
        (dt.date(2027, 8, 31), "Summer 2027"),
    ],
)
def test_every_day_is_in_one_term_of_the_school_year(day: dt.date, name: str) -> None:
    term = term_of(day)
    assert term.name == name
    assert term.start <= day <= term.end
    assert parse_term(term.slug) == term


def test_a_term_knows_its_days_the_same_term_last_year_and_the_terms_before_it() -> None:
    spring = Term(2027, Season.SPRING)
    assert (spring.start, spring.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert spring.previous_year() == Term(2026, Season.SPRING)
    assert spring.slug == "spring-2027"
    assert [t.name for t in recent_terms(dt.date(2026, 11, 20), 4)] == [
        "Autumn 2026",
        "Summer 2026",
        "Spring 2026",
        "Autumn 2025",
    ]
    # Summer starts at midnight in London, which is 23:00 the day before in UTC (British Summer Time).
    start, end = Term(2026, Season.SUMMER).bounds(LONDON)
    assert start.astimezone(UTC) == dt.datetime(2026, 3, 31, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == dt.datetime(2026, 8, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("slug", ["", "winter-2026", "autumn-26", "autumn", "2026-autumn", "autumn-1999"])
def test_a_slug_that_is_not_a_term_is_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="not a term"):
        parse_term(slug)
