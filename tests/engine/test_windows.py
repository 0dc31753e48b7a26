"""Tests for schoolgate.engine.windows: weekly time windows with term dates, holidays and time zones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from schoolgate.engine.windows import (
    DateRange,
    Span,
    Window,
    WindowError,
    make_window,
    parse_date_range,
    parse_days,
    parse_span,
)

LONDON = ZoneInfo("Europe/London")
ALL_DAYS = frozenset(range(7))
DAYS_EXPECTED = (
    'expected a day such as "mon" or "monday", a range such as "mon-fri", '
    '"weekdays", "weekend" or "every day"'
)
SPAN_EXPECTED = 'expected HH:MM-HH:MM, for example "08:45-12:00" (or "22:00-06:00" to cross midnight)'
DATE_EXPECTED = (
    'expected a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD, for example "2026-09-03..2026-12-18"'
)


def london(text: str) -> datetime:
    """A local wall-clock time in Europe/London, e.g. london("2026-11-02 08:45")."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------------
# parse_days


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(["mon"], {0}, id="abbreviation"),
        pytest.param(["Sunday"], {6}, id="full-name-capitalised"),
        pytest.param(["TUE", "thursday"], {1, 3}, id="mixed-case-and-forms"),
        pytest.param(["mon-fri"], {0, 1, 2, 3, 4}, id="range"),
        pytest.param(["Monday - Wednesday"], {0, 1, 2}, id="range-full-names-spaces"),
        pytest.param(["mon–wed"], {0, 1, 2}, id="range-en-dash"),
        pytest.param(["fri-mon"], {4, 5, 6, 0}, id="range-wraps-weekend"),
        pytest.param(["wed-wed"], {2}, id="range-of-one-day"),
        pytest.param(["weekdays"], {0, 1, 2, 3, 4}, id="weekdays"),
        pytest.param(["weekend"], {5, 6}, id="weekend"),
        pytest.param(["Every  Day"], ALL_DAYS, id="every-day-spacing-and-case"),
        pytest.param(["all"], ALL_DAYS, id="all"),
        pytest.param(["mon-wed", "tue-thu"], {0, 1, 2, 3}, id="overlapping-ranges"),
        pytest.param(["weekend", "fri"], {4, 5, 6}, id="group-plus-day"),
        pytest.param([], ALL_DAYS, id="none-means-every-day"),
        pytest.param("sat", {5}, id="bare-string-is-one-item"),
    ],
)
def test_parse_days(items: list[str] | str, expected: set[int]) -> None:
    assert parse_days(items) == frozenset(expected)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        pytest.param("tues", 'unknown day "tues" (did you mean "tue"?)', id="tues"),
        pytest.param("Wensday", 'unknown day "Wensday" (did you mean "wednesday"?)', id="misspelt-full-name"),
        pytest.param("weekday", 'unknown day "weekday" (did you mean "weekdays"?)', id="weekday-singular"),
        pytest.param("everyday", 'unknown day "everyday" (did you mean "every day"?)', id="everyday"),
        pytest.param("mon-fru", 'unknown day "fru" in "mon-fru" (did you mean "fri"?)', id="range-bad-end"),
        pytest.param(
            "mon-weekend",
            'day range "mon-weekend": each end must be a single day, as in "mon-fri"',
            id="range-end-is-a-group",
        ),
        pytest.param("xyz", f'unknown day "xyz": {DAYS_EXPECTED}', id="no-suggestion"),
        pytest.param("", f'unknown day "": {DAYS_EXPECTED}', id="empty"),
        pytest.param(
            "mon - fri - sat", f'unknown day "mon - fri - sat": {DAYS_EXPECTED}', id="three-part-range"
        ),
    ],
)
def test_parse_days_rejects(item: str, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_days([item])
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------------------
# parse_span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("08:45-12:00", Span(525, 720), id="two-digit-hours"),
        pytest.param("8:45-12:00", Span(525, 720), id="one-digit-hour"),
        pytest.param(" 08:45 - 12:00 ", Span(525, 720), id="spaces"),
        pytest.param("08:45–12:00", Span(525, 720), id="en-dash"),
        pytest.param("22:00-06:00", Span(1320, 360), id="crosses-midnight"),
        pytest.param("22:00-00:00", Span(1320, 0), id="ends-at-midnight-as-00"),
        pytest.param("00:00-24:00", Span(0, 1440), id="whole-day"),
        pytest.param("23:59-24:00", Span(1439, 1440), id="last-minute"),
    ],
)
def test_parse_span(text: str, expected: Span) -> None:
    assert parse_span(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param("22:00-06:00", True, id="overnight"), pytest.param("08:45-12:00", False, id="daytime")],
)
def test_span_crosses_midnight(text: str, expected: bool) -> None:
    assert parse_span(text).crosses_midnight is expected


HOUR_MESSAGE = "hour must be 00 to 23 (or 24:00 as an end time)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("25:00-26:00", f'time span "25:00-26:00": {HOUR_MESSAGE}', id="hour-25"),
        pytest.param("24:00-08:00", f'time span "24:00-08:00": {HOUR_MESSAGE}', id="24-as-start"),
        pytest.param("08:00-24:30", f'time span "08:00-24:30": {HOUR_MESSAGE}', id="24-30-as-end"),
        pytest.param("08:60-09:00", 'time span "08:60-09:00": minute must be 00 to 59', id="minute-60"),
        pytest.param("8-12", f'time span "8-12": {SPAN_EXPECTED}', id="hours-only"),
        pytest.param("08:45", f'time span "08:45": {SPAN_EXPECTED}', id="no-end"),
        pytest.param(
            "08:45-12:00-13:00", f'time span "08:45-12:00-13:00": {SPAN_EXPECTED}', id="three-times"
        ),
        pytest.param("8.45-12.00", f'time span "8.45-12.00": {SPAN_EXPECTED}', id="dots"),
        pytest.param("", f'time span "": {SPAN_EXPECTED}', id="empty-text"),
        pytest.param(
            "09:00-09:00",
            'time span "09:00-09:00": empty span (start and end are the same time; '
            'use "00:00-24:00" for the whole day)',
            id="empty-span",
        ),
        pytest.param(
            "00:00-00:00",
            'time span "00:00-00:00": empty span (start and end are the same time; '
            'use "00:00-24:00" for the whole day)',
            id="empty-span-midnight",
        ),
    ],
)
def test_parse_span_rejects(text: str, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_span(text)
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------------------
# parse_date_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2026-09-03..2026-12-18", DateRange(date(2026, 9, 3), date(2026, 12, 18)), id="autumn-term"
        ),
        pytest.param("2026-11-02", DateRange(date(2026, 11, 2), date(2026, 11, 2)), id="single-date"),
        pytest.param(
            " 2026-09-03 .. 2026-12-18 ", DateRange(date(2026, 9, 3), date(2026, 12, 18)), id="spaces"
        ),
        pytest.param(
            "2026-11-02..2026-11-02", DateRange(date(2026, 11, 2), date(2026, 11, 2)), id="same-first-last"
        ),
        pytest.param("2028-02-29", DateRange(date(2028, 2, 29), date(2028, 2, 29)), id="leap-day"),
    ],
)
def test_parse_date_range(text: str, expected: DateRange) -> None:
    assert parse_date_range(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "2026-12-18..2026-09-03",
            'date range "2026-12-18..2026-09-03": the first date is after the last '
            "(write the earlier date first)",
            id="reversed",
        ),
        pytest.param(
            "2026-02-29",
            'date range "2026-02-29": 2026-02-29 is not a real date (February 2026 has 28 days)',
            id="not-a-leap-year",
        ),
        pytest.param(
            "2026-04-31..2026-05-01",
            'date range "2026-04-31..2026-05-01": 2026-04-31 is not a real date (April 2026 has 30 days)',
            id="day-31-in-april",
        ),
        pytest.param(
            "2026-09-01..2026-13-01",
            'date range "2026-09-01..2026-13-01": 2026-13-01 is not a real date (month must be 01 to 12)',
            id="month-13-in-last",
        ),
        pytest.param(
            "0000-01-01",
            'date range "0000-01-01": 0000-01-01 is not a real date (year must be 0001 to 9999)',
            id="year-0",
        ),
        pytest.param("2026/09/03", f'date range "2026/09/03": {DATE_EXPECTED}', id="slashes"),
        pytest.param("2026-9-3", f'date range "2026-9-3": {DATE_EXPECTED}', id="one-digit-month-day"),
        pytest.param("20260903", f'date range "20260903": {DATE_EXPECTED}', id="compact-iso"),
        pytest.param("2026-09-03..", f'date range "2026-09-03..": {DATE_EXPECTED}', id="open-ended"),
        pytest.param(
            "2026-09-03...2026-12-18",
            f'date range "2026-09-03...2026-12-18": {DATE_EXPECTED}',
            id="three-dots",
        ),
        pytest.param("03/09/2026", f'date range "03/09/2026": {DATE_EXPECTED}', id="british-order"),
    ],
)
def test_parse_date_range_rejects(text: str, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_date_range(text)
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------------------
# make_window


def test_make_window_fields() -> None:
    window = make_window(
        "lessons",
        LONDON,
        days=["mon-fri"],
        spans=["08:45-12:00", "13:00-15:15"],
        terms=["2026-09-03..2026-12-18"],
        holidays=["2026-11-02"],
    )
    assert window.name == "lessons"
    assert window.tz is LONDON
    assert window.days == frozenset(range(5))
    assert window.spans == (Span(525, 720), Span(780, 915))
    assert window.terms == (DateRange(date(2026, 9, 3), date(2026, 12, 18)),)
    assert window.holidays == (DateRange(date(2026, 11, 2), date(2026, 11, 2)),)


def test_make_window_defaults() -> None:
    window = make_window("always", UTC)
    assert (window.days, window.spans, window.terms, window.holidays) == (ALL_DAYS, (), (), ())


def test_windows_compare_and_hash_by_specification() -> None:
    a = make_window("lunch", LONDON, ["weekdays"], ["12:00-13:00"])
    b = make_window("lunch", LONDON, ["mon-fri"], ["12:00-13:00"])
    assert a == b
    assert hash(a) == hash(b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"spans": ["25:00-26:00"]},
            f'window "lessons": time span "25:00-26:00": {HOUR_MESSAGE}',
            id="bad-span",
        ),
        pytest.param(
            {"days": ["tues"]}, 'window "lessons": unknown day "tues" (did you mean "tue"?)', id="bad-day"
        ),
        pytest.param(
            {"terms": ["2026-09-03..2026-02-30"]},
            'window "lessons": date range "2026-09-03..2026-02-30": 2026-02-30 is not a real date '
            "(February 2026 has 28 days)",
            id="bad-term",
        ),
        pytest.param(
            {"holidays": ["half term"]},
            f'window "lessons": date range "half term": {DATE_EXPECTED}',
            id="bad-holiday",
        ),
    ],
)
def test_make_window_errors_name_the_window(kwargs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(WindowError) as caught:
        make_window("lessons", LONDON, **kwargs)
    assert str(caught.value) == message


def test_make_window_needs_a_name() -> None:
    with pytest.raises(WindowError) as caught:
        make_window("  ", LONDON)
    assert str(caught.value) == "a time window needs a name"


def test_window_error_is_a_value_error() -> None:
    assert issubclass(WindowError, ValueError)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: Span(1440, 60),
            "time span start 1440 must be 0 to 1439 minutes after midnight",
            id="span-start",
        ),
        pytest.param(
            lambda: Span(0, 1441),
            "time span end 1441 must be 0 to 1440 minutes after midnight",
            id="span-end",
        ),
        pytest.param(
            lambda: Span(60, 60),
            'time span "01:00-01:00": empty span (start and end are the same time)',
            id="span-empty",
        ),
        pytest.param(
            lambda: DateRange(date(2026, 2, 1), date(2026, 1, 1)),
            'date range "2026-02-01..2026-01-01": the first date is after the last '
            "(write the earlier date first)",
            id="date-range-reversed",
        ),
        pytest.param(
            lambda: Window("w", UTC, frozenset({7}), (), (), ()),
            'window "w": days must be 0 (Monday) to 6 (Sunday), not [7]',
            id="window-day-7",
        ),
    ],
)
def test_direct_construction_is_validated(build: Callable[[], object], message: str) -> None:
    with pytest.raises(WindowError) as caught:
        build()
    assert str(caught.value) == message


# ---------------------------------------------------------------------------------------------------------
# contains: boundaries, days, terms and holidays

LESSONS = make_window(
    "lessons",
    LONDON,
    days=["mon-fri"],
    spans=["08:45-12:00", "13:00-15:15"],
    terms=["2026-09-03..2026-10-23", "2026-11-02..2026-12-18"],
    holidays=["2026-11-20", "2026-12-07..2026-12-08"],
)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-11-03 08:44:59.999999", False, id="just-before-start"),
        pytest.param("2026-11-03 08:45", True, id="start-inclusive"),
        pytest.param("2026-11-03 11:59:59.999999", True, id="last-instant-before-end"),
        pytest.param("2026-11-03 12:00", False, id="end-exclusive"),
        pytest.param("2026-11-03 12:30", False, id="between-spans"),
        pytest.param("2026-11-03 13:00", True, id="second-span-start"),
        pytest.param("2026-11-03 15:14", True, id="second-span-last-minute"),
        pytest.param("2026-11-03 15:15", False, id="second-span-end"),
        pytest.param("2026-11-03 00:00", False, id="midnight"),
        pytest.param("2026-11-06 10:00", True, id="friday"),
        pytest.param("2026-11-07 10:00", False, id="saturday"),
        pytest.param("2026-11-08 10:00", False, id="sunday"),
        pytest.param("2026-09-02 10:00", False, id="day-before-term"),
        pytest.param("2026-09-03 10:00", True, id="first-day-of-term"),
        pytest.param("2026-10-23 10:00", True, id="last-day-before-half-term"),
        pytest.param("2026-10-26 10:00", False, id="half-term-between-terms"),
        pytest.param("2026-11-02 10:00", True, id="first-day-after-half-term"),
        pytest.param("2026-12-18 15:14", True, id="last-day-of-term"),
        pytest.param("2026-12-21 10:00", False, id="christmas-holidays"),
        pytest.param("2026-11-19 10:00", True, id="day-before-holiday"),
        pytest.param("2026-11-20 10:00", False, id="single-day-holiday"),
        pytest.param("2026-12-07 10:00", False, id="holiday-range-first-day"),
        pytest.param("2026-12-08 10:00", False, id="holiday-range-last-day"),
        pytest.param("2026-12-09 10:00", True, id="day-after-holiday-range"),
        pytest.param("2027-01-05 10:00", False, id="next-year-no-term"),
    ],
)
def test_lessons_contains(at: str, expected: bool) -> None:
    assert LESSONS.contains(london(at)) is expected


@pytest.mark.parametrize(
    ("window", "at", "expected"),
    [
        pytest.param(make_window("any", LONDON), "2026-11-07 03:00", True, id="no-days-no-spans-always"),
        pytest.param(make_window("sat", LONDON, ["sat"]), "2026-11-07 00:00", True, id="whole-day-start"),
        pytest.param(make_window("sat", LONDON, ["sat"]), "2026-11-07 23:59:59", True, id="whole-day-end"),
        pytest.param(make_window("sat", LONDON, ["sat"]), "2026-11-08 00:00", False, id="whole-day-next-day"),
        pytest.param(
            make_window("d", LONDON, ["sat"], ["00:00-24:00"]),
            "2026-11-07 23:59",
            True,
            id="00-24-last-minute",
        ),
        pytest.param(
            make_window("d", LONDON, ["sat"], ["00:00-24:00"]), "2026-11-08 00:00", False, id="00-24-next-day"
        ),
        pytest.param(
            make_window("o", LONDON, [], ["08:00-10:00", "09:00-11:00"]),
            "2026-11-07 10:30",
            True,
            id="overlapping-spans",
        ),
        pytest.param(
            make_window("t", LONDON, [], [], ["2026-01-01..2026-06-30", "2026-06-01..2026-12-31"]),
            "2026-06-15 12:00",
            True,
            id="overlapping-terms",
        ),
        pytest.param(
            make_window("h", LONDON, [], [], ["2026-11-01..2026-11-30"], ["2026-11-07"]),
            "2026-11-07 12:00",
            False,
            id="holiday-beats-term",
        ),
        pytest.param(
            make_window("h", LONDON, [], [], [], ["2026-11-07"]),
            "2026-11-08 12:00",
            True,
            id="holiday-without-terms",
        ),
    ],
)
def test_contains_misc(window: Window, at: str, expected: bool) -> None:
    assert window.contains(london(at)) is expected


# ---------------------------------------------------------------------------------------------------------
# contains: spans crossing midnight

FRIDAY_NIGHT = make_window("friday night", LONDON, days=["fri"], spans=["22:00-06:00"])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-11-06 21:59", False, id="fri-before-start"),
        pytest.param("2026-11-06 22:00", True, id="fri-start-inclusive"),
        pytest.param("2026-11-06 23:59:59.999999", True, id="fri-last-instant"),
        pytest.param("2026-11-07 00:00", True, id="sat-midnight"),
        pytest.param("2026-11-07 05:59", True, id="sat-before-end"),
        pytest.param("2026-11-07 06:00", False, id="sat-end-exclusive"),
        pytest.param("2026-11-07 22:00", False, id="sat-night-not-listed"),
        pytest.param("2026-11-08 01:00", False, id="sun-morning-after-unlisted-sat"),
        pytest.param("2026-11-06 01:00", False, id="fri-morning-after-unlisted-thu"),
        pytest.param("2026-11-13 23:00", True, id="next-friday"),
    ],
)
def test_friday_night_into_saturday(at: str, expected: bool) -> None:
    assert FRIDAY_NIGHT.contains(london(at)) is expected


SUNDAY_NIGHT = make_window("sunday night", LONDON, days=["sun"], spans=["21:00-07:00"])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-11-08 21:00", True, id="sun-evening"),
        pytest.param("2026-11-09 06:59", True, id="mon-morning-wraps-week"),
        pytest.param("2026-11-09 07:00", False, id="mon-end-exclusive"),
        pytest.param("2026-11-09 21:00", False, id="mon-evening"),
    ],
)
def test_sunday_night_into_monday(at: str, expected: bool) -> None:
    assert SUNDAY_NIGHT.contains(london(at)) is expected


@pytest.mark.parametrize(
    ("terms", "holidays", "at", "expected"),
    [
        pytest.param(["2026-11-06"], [], "2026-11-07 03:00", True, id="term-ends-fri-sat-morning-still-in"),
        pytest.param(
            ["2026-11-07..2026-11-30"], [], "2026-11-07 03:00", False, id="term-starts-sat-too-late"
        ),
        pytest.param([], ["2026-11-06"], "2026-11-07 03:00", False, id="fri-holiday-excludes-sat-morning"),
        pytest.param([], ["2026-11-06"], "2026-11-06 23:00", False, id="fri-holiday-excludes-fri-night"),
        pytest.param([], ["2026-11-07"], "2026-11-07 03:00", True, id="sat-holiday-does-not-matter"),
    ],
)
def test_midnight_crossing_judged_on_start_date(
    terms: list[str], holidays: list[str], at: str, expected: bool
) -> None:
    window = make_window("fri night", LONDON, ["fri"], ["22:00-06:00"], terms, holidays)
    assert window.contains(london(at)) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-11-03 02:00", True, id="spill-from-mon"),
        pytest.param("2026-11-03 07:00", False, id="gap"),
        pytest.param("2026-11-03 09:00", True, id="daytime-span"),
        pytest.param("2026-11-03 23:00", True, id="tue-evening"),
        pytest.param("2026-11-02 02:00", False, id="mon-morning-sun-unlisted"),
    ],
)
def test_overnight_and_daytime_spans_together(at: str, expected: bool) -> None:
    window = make_window("mixed", LONDON, ["mon-fri"], ["22:00-06:00", "08:00-10:00"])
    assert window.contains(london(at)) is expected


# ---------------------------------------------------------------------------------------------------------
# contains: daylight-saving changes and time zones (Europe/London 2026: BST from Sun 29 March 01:00 UTC
# to Sun 25 October 01:00 UTC)

SCHOOL_DAY = make_window("school day", LONDON, ["mon-fri"], ["08:45-15:30"])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Friday 27 March: GMT, local = UTC.
        pytest.param("2026-03-27 08:44", False, id="march-before-change-gmt-before-start"),
        pytest.param("2026-03-27 08:45", True, id="march-before-change-gmt-start"),
        pytest.param("2026-03-27 15:29", True, id="march-before-change-gmt-last-minute"),
        pytest.param("2026-03-27 15:30", False, id="march-before-change-gmt-end"),
        # Monday 30 March: BST, local = UTC + 1.
        pytest.param("2026-03-30 07:44", False, id="march-after-change-bst-before-start"),
        pytest.param("2026-03-30 07:45", True, id="march-after-change-bst-start"),
        pytest.param("2026-03-30 14:29", True, id="march-after-change-bst-last-minute"),
        pytest.param("2026-03-30 14:30", False, id="march-after-change-bst-end"),
        # Friday 23 October: BST.
        pytest.param("2026-10-23 07:44", False, id="october-before-change-bst-before-start"),
        pytest.param("2026-10-23 07:45", True, id="october-before-change-bst-start"),
        pytest.param("2026-10-23 14:30", False, id="october-before-change-bst-end"),
        # Monday 26 October: GMT again.
        pytest.param("2026-10-26 07:45", False, id="october-after-change-gmt-0745-utc-too-early"),
        pytest.param("2026-10-26 08:45", True, id="october-after-change-gmt-start"),
        pytest.param("2026-10-26 15:29", True, id="october-after-change-gmt-last-minute"),
        pytest.param("2026-10-26 15:30", False, id="october-after-change-gmt-end"),
    ],
)
def test_school_day_across_clock_changes(at: str, expected: bool) -> None:
    assert SCHOOL_DAY.contains(utc(at)) is expected


SATURDAY_NIGHT = make_window("saturday night", LONDON, ["sat"], ["22:00-06:00"])
SMALL_HOURS = make_window("small hours", LONDON, ["sun"], ["01:15-01:45"])


@pytest.mark.parametrize(
    ("window", "at", "expected"),
    [
        # Night of Sat 28 -> Sun 29 March: at 01:00 GMT the clocks jump to 02:00 BST.
        pytest.param(SATURDAY_NIGHT, "2026-03-28 22:00", True, id="march-night-start"),
        pytest.param(SATURDAY_NIGHT, "2026-03-29 00:59", True, id="march-night-before-jump"),
        pytest.param(SATURDAY_NIGHT, "2026-03-29 01:00", True, id="march-night-after-jump-0200-bst"),
        pytest.param(SATURDAY_NIGHT, "2026-03-29 04:59", True, id="march-night-0559-bst"),
        pytest.param(SATURDAY_NIGHT, "2026-03-29 05:00", False, id="march-night-end-0600-bst"),
        pytest.param(SMALL_HOURS, "2026-03-29 00:59", False, id="march-skipped-hour-before"),
        pytest.param(SMALL_HOURS, "2026-03-29 01:00", False, id="march-skipped-hour-never-happens"),
        # Night of Sat 24 -> Sun 25 October: 01:00-02:00 local happens twice.
        pytest.param(SATURDAY_NIGHT, "2026-10-24 21:00", True, id="october-night-start-bst"),
        pytest.param(SATURDAY_NIGHT, "2026-10-25 00:30", True, id="october-night-first-0130-bst"),
        pytest.param(SATURDAY_NIGHT, "2026-10-25 01:30", True, id="october-night-second-0130-gmt"),
        pytest.param(SATURDAY_NIGHT, "2026-10-25 05:59", True, id="october-night-0559-gmt"),
        pytest.param(SATURDAY_NIGHT, "2026-10-25 06:00", False, id="october-night-end-0600-gmt"),
        pytest.param(SMALL_HOURS, "2026-10-25 00:30", True, id="october-repeated-hour-first"),
        pytest.param(SMALL_HOURS, "2026-10-25 01:00", False, id="october-repeated-hour-between"),
        pytest.param(SMALL_HOURS, "2026-10-25 01:30", True, id="october-repeated-hour-second"),
    ],
)
def test_clock_change_nights(window: Window, at: str, expected: bool) -> None:
    assert window.contains(utc(at)) is expected


@pytest.mark.parametrize(
    ("window", "at", "expected"),
    [
        pytest.param(SCHOOL_DAY, "2026-07-03T07:45:00Z", True, id="utc-z-summer-is-0845-bst"),
        pytest.param(SCHOOL_DAY, "2026-07-03T07:44:00+00:00", False, id="utc-summer-is-0844-bst"),
        pytest.param(SCHOOL_DAY, "2026-07-03T10:45:00+03:00", True, id="plus-three-is-0845-bst"),
        pytest.param(SCHOOL_DAY, "2026-07-03T03:45:00-04:00", True, id="minus-four-is-0845-bst"),
        # 23:30 UTC on Friday is 00:30 on Saturday in London in summer: the local date decides the day.
        pytest.param(
            make_window("saturday", LONDON, ["sat"]),
            "2026-07-03T23:30:00Z",
            True,
            id="utc-friday-is-saturday-local",
        ),
        pytest.param(
            make_window("friday", LONDON, ["fri"]),
            "2026-07-03T23:30:00Z",
            False,
            id="utc-friday-not-friday-local",
        ),
        pytest.param(
            make_window("utc lessons", UTC, ["fri"], ["08:45-15:30"]),
            "2026-07-03T10:45:00+02:00",
            True,
            id="offset-converted-to-utc-window",
        ),
        pytest.param(
            make_window("utc lessons", timezone(timedelta(hours=-5)), ["thu"], ["20:00-24:00"]),
            "2026-07-03T02:00:00+00:00",
            True,
            id="utc-friday-is-thursday-in-minus-five",
        ),
    ],
)
def test_aware_inputs_are_converted(window: Window, at: str, expected: bool) -> None:
    assert window.contains(datetime.fromisoformat(at)) is expected


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: such datetimes count as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(datetime(2026, 11, 3, 9, 0), id="no-tzinfo"),
        pytest.param(datetime(2026, 11, 3, 9, 0, tzinfo=_NoOffset()), id="tzinfo-without-offset"),
    ],
)
def test_naive_datetime_rejected(at: datetime) -> None:
    with pytest.raises(WindowError) as caught:
        LESSONS.contains(at)
    assert str(caught.value) == (
        'window "lessons": cannot test the naive time 2026-11-03 09:00:00; the time must carry a time zone'
    )


# ---------------------------------------------------------------------------------------------------------
# describe


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param(
            make_window(
                "lessons",
                LONDON,
                ["mon-fri"],
                ["08:45-12:00", "13:00-15:15"],
                ["2026-09-03..2026-10-23", "2026-11-02..2026-12-18", "2027-01-05..2027-02-12"],
                ["2026-11-20", "2026-12-07..2026-12-08"],
            ),
            "Mon–Fri 08:45–12:00, 13:00–15:15, in term (3 ranges), except holidays (2 ranges), Europe/London",
            id="lessons",
        ),
        pytest.param(make_window("any", LONDON), "every day all day, Europe/London", id="always"),
        pytest.param(
            make_window("fri", UTC, ["fri"], ["22:00-06:00"], ["2026-09-03..2026-12-18"]),
            "Fri 22:00–06:00 (next day), in term (1 range), UTC",
            id="overnight-one-term",
        ),
        pytest.param(
            make_window("we", LONDON, ["weekend"], ["00:00-24:00"]),
            "Sat, Sun 00:00–24:00, Europe/London",
            id="weekend-two-days-listed",
        ),
        pytest.param(
            make_window("odd", LONDON, ["mon", "wed", "fri"]),
            "Mon, Wed, Fri all day, Europe/London",
            id="separate-days",
        ),
        pytest.param(
            make_window("wrap", LONDON, ["fri-mon", "wed"]),
            "Wed, Fri–Mon all day, Europe/London",
            id="run-wraps-weekend",
        ),
        pytest.param(
            make_window("fixed", timezone(timedelta(hours=1)), ["tue-thu"], ["09:00-10:00"]),
            "Tue–Thu 09:00–10:00, UTC+01:00",
            id="fixed-offset-zone",
        ),
    ],
)
def test_describe(window: Window, expected: str) -> None:
    assert window.describe() == expected
