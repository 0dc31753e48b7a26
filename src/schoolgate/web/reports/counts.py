"""Counts as a report may show them, with nothing that could point to a child or a member of staff.

How small numbers are hidden (`protect`):

1. A count of 1 or 2 is shown as "fewer than 3". 0 is shown as 0.
2. A table whose rows add up to a total shown elsewhere (areas of risk, types, where they stood: each
   adds up to the incidents about pupils) would give a lone hidden count away by subtraction. So where
   a count is under 3, one more is hidden ("not shown"): the last count of 3 or more in the table's
   fixed order. The order is fixed, not "the smallest", because a reader who knew the rule would
   learn from "the smallest" that the hidden one is no bigger than those shown, and that can be enough.
3. If the hidden counts could still be worked out (1 and 3 hidden, adding up to 4: they can only be
   1 and 3), or the total is under 3, none of that column is shown.

Each step depends only on what the reader sees, so knowing the rule tells them nothing more; the tests
check it against every column with a small total, of as many rows as the report's tables. Each term's
column is protected on its own: the two terms count different incidents. No table is split by two
things at once, so the tables are bound to each other only through the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALL = 3  # counts under this are not shown
FEWER = f"fewer than {SMALL}"
NOT_SHOWN = "not shown"


def shown(n: int) -> str:
    """A count as the report shows it: 0, "fewer than 3", or the number."""
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    if 0 < n < SMALL:
        return FEWER
    return f"{n:,}"


@dataclass(frozen=True)
class Cell:
    """A count as it may be shown: its text, and the number a chart may draw (None: draw no bar)."""

    text: str
    value: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None


def cell(n: int) -> Cell:
    """A count that is a total of its own, or in a breakdown that adds up to nothing shown."""
    return Cell(shown(n), None if 0 < n < SMALL else n)


HIDDEN = Cell(NOT_SHOWN, None)


def _pinned(primary: Sequence[int], secondary: Sequence[int]) -> bool:
    """Whether a reader who knows what the hidden counts add up to, and which are "fewer than 3"
    (1 or 2) and which "not shown" (3 or more), could work out a count under 3 exactly. Every
    "fewer than 3" cell is bound by the same sums, so one question answers for all of them: could it be
    either 1 or 2?"""
    hidden = sum(primary) + sum(secondary)
    others_least = (len(primary) - 1) + SMALL * len(secondary)
    others_most = float("inf") if secondary else (len(primary) - 1) * (SMALL - 1)
    could_be = [v for v in range(1, SMALL) if others_least <= hidden - v <= others_most]
    return len(could_be) < 2


def protect(counts: Sequence[int]) -> list[Cell]:
    """The cells of one column of a table whose counts add up to a total that is shown.

    A count under 3 is "fewer than 3", and then one more is "not shown": the last count of 3 or more,
    in the table's own order (so that which one it is says nothing of the numbers). If the hidden counts
    could still be worked out from the total, or the total is under 3, none of the column is shown.

    What the reader sees (which cells are hidden, why, and the total) decides each step, so knowing this
    rule tells them nothing more; tests/web/reports/test_counts.py checks it against every column
    with a small total: each hidden count under 3 could always be another number."""
    withheld = [HIDDEN for _ in counts]
    if 0 < sum(counts) < SMALL:
        return withheld
    primary = [i for i, n in enumerate(counts) if 0 < n < SMALL]
    secondary = [i for i, n in enumerate(counts) if n >= SMALL][-1:] if primary else []
    if primary and _pinned([counts[i] for i in primary], [counts[i] for i in secondary]):
        return withheld
    return [HIDDEN if i in secondary else cell(n) for i, n in enumerate(counts)]


@dataclass(frozen=True)
class Row:
    label: str
    this: Cell
    last: Cell


@dataclass(frozen=True)
class Breakdown:
    """A table of the report: a row per category, this term and the same term last year."""

    title: str
    caption: str
    what: str  # the heading of the first column: what a row is
    rows: tuple[Row, ...]
    note: str = ""

    @property
    def any_hidden(self) -> bool:
        return any(r.this.hidden or r.last.hidden for r in self.rows)


HIDING_NOTE = (
    f"A number under {SMALL} is shown as “{FEWER}”. So that it cannot be worked out from the total, "
    f"one more number in its table is “{NOT_SHOWN}”, or, where that is not enough, the whole column."
)


def rows(labels: Sequence[str], counts: Sequence[tuple[int, int]], *, adds_up: bool) -> tuple[Row, ...]:
    """A table's rows, this term and last year's, each column protected where its rows add up to a
    total shown elsewhere (`adds_up`), else each count on its own (`cell`)."""
    this, last = [c[0] for c in counts], [c[1] for c in counts]
    if adds_up:
        this_cells, last_cells = protect(this), protect(last)
    else:
        this_cells, last_cells = [cell(n) for n in this], [cell(n) for n in last]
    return tuple(Row(label, a, b) for label, a, b in zip(labels, this_cells, last_cells, strict=True))
