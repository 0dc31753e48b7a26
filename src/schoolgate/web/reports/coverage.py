"""Training and agreement coverage for the governors' report: for each course in use, how many of the
people it is for are in date; for each audience with an agreement in force, how many accepted it this
school year. Counted by the apps that keep the records (`training.coverage`, `agreements.coverage`),
on the term's last day, or today while the term runs.

Only the term asked for is shown, not the same term last year: who was at the school then is not what
the counts start from (they count the people at the school now), so a comparison would mislead.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from schoolgate.web.agreements.coverage import agreements_coverage
from schoolgate.web.core.coverage import Coverage
from schoolgate.web.reports.counts import FEWER, SMALL, Breakdown, Cell, Row
from schoolgate.web.training.coverage import training_coverage

if TYPE_CHECKING:
    from schoolgate.web.reports.terms import Term
    from schoolgate.web.tenancy.models import School

NOT_COMPARED = Cell("", None)


def coverage_cell(line: Coverage) -> Cell:
    """ "45 of 50 (90%)", "nobody it is for", or, for 1 or 2 people, "fewer than 3 people" and no
    more: "0 of 1" for the only secondary pupil of a primary school, or a course for one member of
    staff, says what that person has not done (a count of people, never charted)."""
    if line.people == 0:
        return Cell("nobody it is for", None)
    if line.people < SMALL:
        return Cell(f"{FEWER} people", None)
    return Cell(f"{line.done:,} of {line.people:,} ({line.percent}%)", None)


def _rows(lines: list[Coverage]) -> tuple[Row, ...]:
    return tuple(Row(line.label, coverage_cell(line), NOT_COMPARED) for line in lines)


def build(school: School, term: Term, today: dt.date) -> tuple[Breakdown, Breakdown]:
    """The two tables, counted on the term's last day or `today`, whichever is first."""
    on = min(term.end, today)
    when = f"On {on:%-d %B %Y}"
    return (
        Breakdown(
            "Training",
            "For each course, how many of the people it is for have it in date",
            "Course",
            _rows(training_coverage(school, on)),
            note="Training due again soon counts as in date; overdue and never done do not.",
            one_column=when,
        ),
        Breakdown(
            "Acceptable-use agreements",
            "For each audience with an agreement in force, how many accepted it this school year",
            "Who",
            _rows(agreements_coverage(school, on)),
            note="Each agreement is accepted again every school year. Pupils without a year group are "
            "in no audience until they have one.",
            one_column=when,
        ),
    )
