"""The terms: the fixed ones (every day in one), the school's own (kept, validated, never overlapping,
each counted until the next begins), the same term last year, and the fallback to the fixed terms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.reports import actions
from schoolgate.web.reports.demo import seed_demo
from schoolgate.web.reports.models import SchoolTerm
from schoolgate.web.reports.terms import Calendar, Season, fixed_before, fixed_term, parse_term, term_of
from tests.web.factories import Cast
from tests.web.reports.make import LONDON, UTC

D = dt.date


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 9, 1), "Autumn 2026"),
        (D(2026, 12, 31), "Autumn 2026"),
        (D(2027, 1, 1), "Spring 2027"),
        (D(2027, 3, 31), "Spring 2027"),
        (D(2027, 4, 1), "Summer 2027"),
        (D(2027, 8, 31), "Summer 2027"),
    ],
)
def test_every_day_is_in_one_fixed_term(day: dt.date, name: str) -> None:
    term = term_of(day)
    assert term.name == name
    assert term.start <= day <= term.end < term.until
    assert parse_term(term.slug) == term


def test_a_fixed_term_knows_its_days_the_same_term_last_year_and_the_terms_before_it() -> None:
    spring = fixed_term(2027, Season.SPRING)
    assert (spring.start, spring.end, spring.slug) == (D(2027, 1, 1), D(2027, 3, 31), "spring-2027")
    assert Calendar([]).last_year(spring) == fixed_term(2026, Season.SPRING)
    assert fixed_before(spring) == fixed_term(2026, Season.AUTUMN)
    assert [t.name for t in Calendar([]).recent(D(2026, 11, 20), 4)] == [
        "Autumn 2026",
        "Summer 2026",
        "Spring 2026",
        "Autumn 2025",
    ]
    # Summer starts at midnight in London, which is 23:00 the day before in UTC (British Summer Time).
    start, end = fixed_term(2026, Season.SUMMER).bounds(LONDON)
    assert start.astimezone(UTC) == dt.datetime(2026, 3, 31, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == dt.datetime(2026, 8, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("slug", ["", "winter-2026", "autumn-26", "autumn", "2026-autumn", "autumn-1999"])
def test_a_slug_that_is_not_a_term_is_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="not a term"):
        parse_term(slug)


CALENDAR = Calendar(
    [
        ("Spring 2027", D(2027, 1, 5), D(2027, 3, 26)),
        ("Autumn 2026", D(2026, 9, 3), D(2026, 12, 18)),
        ("Autumn 2025", D(2025, 9, 4), D(2025, 12, 19)),
        ("Summer 2026/27", D(2027, 4, 12), D(2027, 7, 21)),
    ]
)


def test_a_schools_own_term_counts_until_the_next_begins_and_knows_last_years() -> None:
    autumn = CALENDAR.find("autumn-2026")
    assert (autumn.name, autumn.start, autumn.end, autumn.until) == (
        "Autumn 2026", D(2026, 9, 3), D(2026, 12, 18), D(2027, 1, 5),
    )  # fmt: skip
    assert autumn.holidays_counted and not autumn.fixed
    assert CALENDAR.last_year(autumn).name == "Autumn 2025"  # the school's own, by name
    spring = CALENDAR.find("Spring-2027")
    assert CALENDAR.last_year(spring) == fixed_term(2026, Season.SPRING)  # none of its own: the fixed one
    summer = CALENDAR.find("summer-202627")  # its slug, from "Summer 2026/27"
    assert summer.until == D(2027, 7, 22)  # the last entered: to its last day
    assert CALENDAR.last_year(summer) == fixed_term(2026, Season.SUMMER)
    assert CALENDAR.term_at(D(2026, 12, 25)) == autumn  # the Christmas holiday counts with autumn
    assert CALENDAR.term_at(D(2026, 8, 1)) == fixed_term(2026, Season.SUMMER)  # before its first: fixed
    assert CALENDAR.current(D(2026, 11, 20)) == autumn
    assert CALENDAR.current(D(2025, 6, 1)) == fixed_term(2025, Season.SUMMER)
    assert [t.name for t in CALENDAR.recent(D(2027, 2, 1))] == ["Spring 2027", "Autumn 2026", "Autumn 2025"]
    assert CALENDAR.find("autumn-2024") == fixed_term(2024, Season.AUTUMN)  # an older one: fixed
    with pytest.raises(ValueError, match="not a term"):
        CALENDAR.find("half-term")


def test_the_office_keeps_the_terms_and_the_calendar_reads_them(cast: Cast) -> None:
    autumn = actions.do_add_term(
        cast.a, actor=cast.omar, name="  Autumn   2026 ", first=D(2026, 9, 3), last=D(2026, 12, 18)
    )
    assert autumn.name == "Autumn 2026"
    actions.do_add_term(cast.a, actor=cast.omar, name="Spring 2027", first=D(2027, 1, 5), last=D(2027, 3, 26))
    assert [t.name for t in Calendar.of(cast.a).own] == ["Autumn 2026", "Spring 2027"]
    assert Calendar.of(cast.b).own == []  # another school's terms are its own
    actions.do_change_term(
        autumn, actor=cast.omar, name="Autumn 2026", first=D(2026, 9, 2), last=D(2026, 12, 18)
    )
    assert Calendar.of(cast.a).own[0].start == D(2026, 9, 2)
    actions.do_archive_term(autumn, actor=cast.omar, reason="Entered by mistake")
    assert [t.name for t in Calendar.of(cast.a).own] == ["Spring 2027"]
    assert SchoolTerm.objects.get(pk=autumn.pk).archive_reason == "Entered by mistake"  # kept
    with pytest.raises(ValidationError, match="archived"):
        actions.do_change_term(
            autumn, actor=cast.omar, name="Autumn 2026", first=D(2026, 9, 2), last=D(2026, 12, 1)
        )
    for user in (cast.tom, cast.greta, cast.zack):
        with pytest.raises(PermissionDenied):
            actions.do_add_term(
                cast.a, actor=user, name="Summer 2027", first=D(2027, 4, 12), last=D(2027, 7, 21)
            )


@pytest.mark.parametrize(
    ("name", "first", "last", "field", "message"),
    [
        ("", D(2027, 4, 12), D(2027, 7, 21), "name", "Give the term a name"),
        ("x" * 41, D(2027, 4, 12), D(2027, 7, 21), "name", "at most 40"),
        ("Summer\x002027", D(2027, 4, 12), D(2027, 7, 21), "name", "cannot be shown"),
        ("!!!", D(2027, 4, 12), D(2027, 7, 21), "name", "letters or numbers"),
        ("Summer 2027", D(2027, 7, 21), D(2027, 4, 12), "last", "before the first"),
        ("Summer 2027", D(2027, 4, 12), D(2028, 7, 21), "last", "at most 200 days"),
        ("Summer 1027", D(1027, 4, 12), D(1027, 7, 21), "first", "between the years 2000 and 2100"),
        ("Summer 2027", D(2027, 3, 20), D(2027, 7, 21), "first", "overlap Spring 2027"),
        ("Summer 2027", D(2026, 12, 1), D(2027, 4, 1), "first", "overlap"),  # round the whole of it
        ("spring-2027", D(2027, 4, 12), D(2027, 7, 21), "name", "called “Spring 2027” already"),
    ],
)
def test_a_term_that_is_not_one_is_refused_with_why(
    cast: Cast, name: str, first: dt.date, last: dt.date, field: str, message: str
) -> None:
    actions.do_add_term(cast.a, actor=cast.omar, name="Spring 2027", first=D(2027, 1, 5), last=D(2027, 3, 26))
    with pytest.raises(ValidationError) as refused:
        actions.do_add_term(cast.a, actor=cast.omar, name=name, first=first, last=last)
    assert message in " ".join(refused.value.message_dict[field])
    assert SchoolTerm.objects.filter(school=cast.a).count() == 1
    # The same dates at another school are its own business.
    actions.do_add_term(
        cast.b, actor=cast.zack, name="Spring 2027", first=D(2027, 3, 20), last=D(2027, 7, 21)
    )


def test_the_demo_school_has_two_school_years_of_terms(cast: Cast) -> None:
    seed_demo(cast.a, dt.datetime(2026, 11, 20, 12, tzinfo=UTC))
    seed_demo(cast.a, dt.datetime(2026, 11, 20, 12, tzinfo=UTC))  # once only
    calendar = Calendar.of(cast.a)
    assert [t.name for t in calendar.own] == [
        "Autumn 2025", "Spring 2026", "Summer 2026", "Autumn 2026", "Spring 2027", "Summer 2027",
    ]  # fmt: skip
    assert calendar.last_year(calendar.find("autumn-2026")).name == "Autumn 2025"
