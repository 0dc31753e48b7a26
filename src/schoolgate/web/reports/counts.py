"""Counts as a report may show them: the numbers governors need, and nothing that could point to a
child or a member of staff.

The rule, and why:

1. A school-wide count in a table of one dimension (incidents by area of risk, by type, by outcome;
   actions taken; referrals; alerts by area and by severity; blocked categories; filter change
   requests by outcome) is shown as the number, however small (`cell`). It counts the whole school's
   pupils over a term and names no child: "1 incident of grooming this term" tells a governor what
   the school has dealt with, not who. Hiding small numbers (as the report once did: "fewer than 3",
   then one more, then often the whole column) left a primary school's report saying nothing.
2. Concerns about members of staff, and alerts about them, are one total each, never broken down, and
   a total of 1 or 2 is shown as "fewer than 3" (`staff_total`): a school has few staff, and "1 concern
   about a member of staff, of data protection" could name the person to anyone who knows the school.
   A staff total is never charted, nor counted in any other table.
3. No table is split by year group or class, and no table crosses two dimensions (area by year group,
   type by outcome): a year group of a small primary school is one class, a class has one or two
   children of any description, and a count split so finely could point to one child. Governors'
   duties (policy 002, the DfE standards) are met by the school-wide counts.

Rule 2 is the one that still hides something, and tests/web/reports/test_counts.py checks it by
brute force: whatever concerns about staff a term holds, nothing in the report but their total
changes, and 1 and 2 read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALL = 3  # a staff total under this is not shown as its number
FEWER = f"fewer than {SMALL}"


def shown(n: int) -> str:
    """A count as the report shows it: the number (with a thousands separator)."""
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    return f"{n:,}"


@dataclass(frozen=True)
class Cell:
    """A count as it may be shown: its text, and the number a chart may draw (None: never drawn)."""

    text: str
    value: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None


def cell(n: int) -> Cell:
    """A school-wide count in a table of one dimension: the number (rule 1)."""
    return Cell(shown(n), n)


def staff_total(n: int) -> Cell:
    """The total of concerns or alerts about members of staff: "fewer than 3" for 1 or 2, never drawn
    on a chart (rule 2)."""
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    return Cell(FEWER if 0 < n < SMALL else shown(n), None)


@dataclass(frozen=True)
class Row:
    label: str
    this: Cell
    last: Cell


@dataclass(frozen=True)
class Breakdown:
    """A table of the report: a row per category, this term and the same term last year. `chart`:
    whether the PDF draws it as bars."""

    title: str
    caption: str
    what: str  # the heading of the first column: what a row is
    rows: tuple[Row, ...]
    note: str = ""
    chart: bool = False
    one_column: str = ""  # the heading of its only column of numbers, when it has no last year's

    @property
    def any_hidden(self) -> bool:
        return any(r.this.hidden or r.last.hidden for r in self.rows)

    @property
    def all_zero(self) -> bool:
        """Whether every number of the table, both terms, is 0 (a chart of it would have no bars)."""
        return all(not r.this.value and not r.last.value for r in self.rows)


HIDING_NOTE = (
    "Every number is the whole school's count for the term. Concerns about members of staff are one "
    f"total, never broken down, shown as “{FEWER}” when there are 1 or 2, so that no one could be "
    "identified. Nothing is counted by year group or class."
)


def rows(labels: Sequence[str], counts: Sequence[tuple[int, int]]) -> tuple[Row, ...]:
    """A table's rows: this term's count and last year's, each shown as its number."""
    return tuple(
        Row(label, cell(this), cell(last)) for label, (this, last) in zip(labels, counts, strict=True)
    )
