"""Training coverage for the annual review and the governors' report: one line per course in use (not
archived), of the current people it is for, how many are in date on the day asked."""

from __future__ import annotations

import datetime as dt

from schoolgate.web.core.coverage import Coverage
from schoolgate.web.tenancy.models import School
from schoolgate.web.training import matrix
from schoolgate.web.training.defaults import ensure_courses


def training_coverage(school: School, on: dt.date) -> list[Coverage]:
    """One `Coverage` per course not archived, in the order of the course list: `people` = the
    current people it is for, `done` = those whose training is in date on `on` (due soon counts as in
    date; overdue and never do not)."""
    ensure_courses(school)
    built = matrix.build(school, on)
    return [Coverage(total.course.name, total.people, total.in_date) for total in built.totals]
