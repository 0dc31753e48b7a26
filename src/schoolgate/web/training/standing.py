"""Where a person stands on a course on a day: in date (until when), due soon, overdue (since when),
never done. Pure arithmetic on dates, shared by the matrix, a person's page, the coverage and the demo.

A course refreshed every N months, done on day D, stays in date up to and including D + N months; a
day that does not exist in the month reached (31 January + 1 month) falls back to the month's last
day (28 or 29 February), as people count months. Overdue from the day after.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from schoolgate.web.training.choices import Standing

DUE_SOON_DAYS = 30


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, clamped to the last day of the month reached."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Where:
    """One cell of the matrix. `until`: the last day it is in date (None: done once, in date for good,
    or never done). `last`: when it was last done (None: never)."""

    standing: Standing
    last: dt.date | None
    until: dt.date | None

    @property
    def overdue_since(self) -> dt.date | None:
        return self.until + dt.timedelta(days=1) if self.standing == Standing.OVERDUE and self.until else None

    @property
    def in_date(self) -> bool:
        return self.standing in (Standing.IN_DATE, Standing.DUE_SOON)

    @property
    def tag(self) -> str:
        """The colour of its tag on the pages."""
        return {Standing.IN_DATE: "tag-green", Standing.DUE_SOON: "tag-grey"}.get(self.standing, "tag-red")

    @property
    def words(self) -> str:
        """What the cell says, in plain words."""
        if self.standing == Standing.NEVER:
            return "Never done"
        if self.standing == Standing.OVERDUE and self.overdue_since:
            return f"Overdue since {self.overdue_since:%-d %b %Y}"
        if self.until is None:
            return f"Done {self.last:%-d %b %Y}" if self.last else "Done"
        if self.standing == Standing.DUE_SOON:
            return f"Due by {self.until:%-d %b %Y}"
        return f"In date until {self.until:%-d %b %Y}"


def where(last: dt.date | None, refresh_months: int | None, on: dt.date) -> Where:
    """Where someone last done on `last` stands on `on`, for a course refreshed every
    `refresh_months` months (None: done once). A date after `on` (recorded ahead) counts as not
    done yet."""
    if last is None or last > on:
        return Where(Standing.NEVER, None, None)
    if refresh_months is None:
        return Where(Standing.IN_DATE, last, None)
    until = add_months(last, refresh_months)
    if on > until:
        return Where(Standing.OVERDUE, last, until)
    if (until - on).days <= DUE_SOON_DAYS:
        return Where(Standing.DUE_SOON, last, until)
    return Where(Standing.IN_DATE, last, until)
