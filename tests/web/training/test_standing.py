"""The due arithmetic: months counted as people count them, the month's last day when the day does not
exist, in date up to and including the due day, due soon within 30 days, overdue the day after."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolgate.web.training.choices import Standing
from schoolgate.web.training.standing import add_months, where

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 2, 28), 1, D(2026, 3, 28)),  # not the month's end again: the same day
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # across the year
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # 29 February + a year
        (D(2026, 9, 1), 24, D(2028, 9, 1)),
        (D(2026, 5, 31), 36, D(2029, 5, 31)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("last", "months", "on", "standing", "until"),
    [
        (None, 12, D(2026, 10, 1), Standing.NEVER, None),
        (None, None, D(2026, 10, 1), Standing.NEVER, None),
        (D(2026, 11, 1), 12, D(2026, 10, 1), Standing.NEVER, None),  # recorded ahead: not done yet
        (D(2020, 9, 3), None, D(2026, 10, 1), Standing.IN_DATE, None),  # once is for good
        (D(2026, 1, 31), 1, D(2026, 2, 28), Standing.DUE_SOON, D(2026, 2, 28)),  # due today: still in date
        (D(2026, 1, 31), 1, D(2026, 3, 1), Standing.OVERDUE, D(2026, 2, 28)),
        (D(2025, 10, 1), 12, D(2026, 8, 31), Standing.IN_DATE, D(2026, 10, 1)),  # 31 days before
        (D(2025, 10, 1), 12, D(2026, 9, 1), Standing.DUE_SOON, D(2026, 10, 1)),  # 30 days before
        (D(2025, 10, 1), 12, D(2026, 10, 1), Standing.DUE_SOON, D(2026, 10, 1)),
        (D(2025, 10, 1), 12, D(2026, 10, 2), Standing.OVERDUE, D(2026, 10, 1)),
        (D(2024, 9, 5), 24, D(2026, 9, 6), Standing.OVERDUE, D(2026, 9, 5)),
    ],
)
def test_where(
    last: dt.date | None, months: int | None, on: dt.date, standing: Standing, until: dt.date | None
) -> None:
    cell = where(last, months, on)
    assert cell.standing == standing
    assert cell.until == until


def test_words_say_when() -> None:
    assert where(D(2026, 1, 31), 1, D(2026, 3, 1)).words == "Overdue since 1 Mar 2026"
    assert where(D(2026, 1, 31), 1, D(2026, 3, 1)).overdue_since == D(2026, 3, 1)
    assert where(D(2026, 1, 31), 12, D(2026, 3, 1)).words == "In date until 31 Jan 2027"
    assert where(D(2026, 1, 31), 1, D(2026, 2, 1)).words == "Due by 28 Feb 2026"
    assert where(D(2026, 1, 31), None, D(2026, 2, 1)).words == "Done 31 Jan 2026"
    assert where(None, 12, D(2026, 2, 1)).words == "Never done"
