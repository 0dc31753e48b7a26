"""The governors' report: the online safety log counted by term, against the same term last year, with
nothing in it that could point to a child or a member of staff.

What it counts: the school's incidents that happened in the term (by `occurred_at`, in the school's time
zone), archived ones (raised in error) left out. Pupil incidents are broken down by area of risk, by
type, by where they stood at the end of the term (the outcome of those closed by then, or still open),
by the actions taken and by the referrals made. Concerns about members of staff are one line, never
broken down: so few of them would name the person.

What it never holds: a name, an incident's reference, a date of one incident, or any of the free text.
The counts leave this module only as `Cell`s, which carry what may be shown and nothing else.

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

Actions and referrals are counted as the incidents in which they were taken or made: an incident can
have several, or none, so their rows add up to nothing shown, and rule 1 is enough.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Q
from django.utils import timezone

from schoolgate.web.incidents.choices import (
    Agency,
    IncidentKind,
    IncidentType,
    Outcome,
    RiskArea,
    Status,
)
from schoolgate.web.incidents.models import ActionTaken, Incident, Referral

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

SMALL = 3  # counts under this are not shown
FEWER = f"fewer than {SMALL}"
NOT_SHOWN = "not shown"


# ---------------------------------------------------------------------------------------------------------
# Terms


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
    """A term of the English school year, named by its season and the calendar year it falls in
    ("Autumn 2026" is September to December 2026, "Spring 2027" January to March 2027)."""

    year: int
    season: Season

    @property
    def name(self) -> str:
        return f"{self.season.value.capitalize()} {self.year}"

    @property
    def slug(self) -> str:
        return f"{self.season.value}-{self.year}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, _MONTHS[self.season][0], 1)

    @property
    def end(self) -> dt.date:
        """The term's last day."""
        month = _MONTHS[self.season][1]
        if month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, month + 1, 1) - dt.timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """From the first moment of the term to the first moment after it, in `zone`."""
        after = self.end + dt.timedelta(days=1)
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(after, dt.time.min, tzinfo=zone),
        )

    def previous_year(self) -> Term:
        """The same term a year before."""
        return Term(self.year - 1, self.season)

    def before(self) -> Term:
        """The term just before this one."""
        season = _BEFORE[self.season]
        return Term(self.year - 1 if self.season == Season.SPRING else self.year, season)

    def __str__(self) -> str:
        return self.name


def term_of(day: dt.date) -> Term:
    """The term `day` falls in."""
    for season, (first, last) in _MONTHS.items():
        if first <= day.month <= last:
            return Term(day.year, season)
    raise AssertionError("unreachable: every month is in a term")


def parse_term(slug: str) -> Term:
    """The term of a slug such as "autumn-2026" (ValueError if it is not one)."""
    season, _, year = slug.strip().lower().partition("-")
    if not (year.isascii() and year.isdigit() and len(year) == 4) or int(year) < 2000:
        raise ValueError(f'not a term: "{slug}" (write it as a season and a year, like "autumn-2026")')
    try:
        return Term(int(year), Season(season))
    except ValueError:
        raise ValueError(f'not a term: "{slug}" (the terms are autumn, spring and summer)') from None


def recent_terms(today: dt.date, count: int = 6) -> list[Term]:
    """The term `today` is in and the ones before it, newest first (two school years by default)."""
    terms = [term_of(today)]
    while len(terms) < count:
        terms.append(terms[-1].before())
    return terms


def school_zone(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def today_at(school: School, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(school_zone(school)).date()


# ---------------------------------------------------------------------------------------------------------
# Small numbers


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
    rule tells them nothing more; tests/web/incidents/test_report.py checks it against every column
    with a small total: each hidden count under 3 could always be another number."""
    withheld = [HIDDEN for _ in counts]
    if 0 < sum(counts) < SMALL:
        return withheld
    primary = [i for i, n in enumerate(counts) if 0 < n < SMALL]
    secondary = [i for i, n in enumerate(counts) if n >= SMALL][-1:] if primary else []
    if primary and _pinned([counts[i] for i in primary], [counts[i] for i in secondary]):
        return withheld
    return [HIDDEN if i in secondary else cell(n) for i, n in enumerate(counts)]


# ---------------------------------------------------------------------------------------------------------
# The report


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


@dataclass(frozen=True)
class GovernorsReport:
    school_name: str
    term: Term
    last: Term
    made_at: dt.datetime
    ended: bool  # has the term ended (if not, its counts are so far)
    pupils: Row
    staff: Row
    still_open: Row
    areas: Breakdown
    types: Breakdown
    outcomes: Breakdown
    actions: Breakdown
    referrals: Breakdown

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        return (self.areas, self.types, self.outcomes, self.actions, self.referrals)

    @property
    def headline(self) -> tuple[Row, ...]:
        return (self.pupils, self.staff, self.still_open)


OPEN_LABEL = "Still open at the end of the term"
OPEN_NOW_LABEL = "Still open now (last year: at the end of the term)"
HIDING_NOTE = (
    f"A number under {SMALL} is shown as “{FEWER}”. So that it cannot be worked out from the total, "
    f"one more number in its table is “{NOT_SHOWN}”, or, where that is not enough, the whole column."
)


def _rows(labels: Sequence[str], counts: Sequence[tuple[int, int]], *, adds_up: bool) -> tuple[Row, ...]:
    this, last = [c[0] for c in counts], [c[1] for c in counts]
    if adds_up:
        this_cells, last_cells = protect(this), protect(last)
    else:
        this_cells, last_cells = [cell(n) for n in this], [cell(n) for n in last]
    return tuple(Row(label, a, b) for label, a, b in zip(labels, this_cells, last_cells, strict=True))


def _in(term_bounds: tuple[dt.datetime, dt.datetime], prefix: str = "") -> Q:
    start, end = term_bounds
    return Q(**{f"{prefix}occurred_at__gte": start, f"{prefix}occurred_at__lt": end})


def build(school: School, term: Term, *, now: dt.datetime | None = None) -> GovernorsReport:
    """Count the school's online safety log for `term` and the same term last year, in the database
    (three queries, however many incidents)."""
    zone = school_zone(school)
    now = (now or timezone.now()).astimezone(zone)
    last = term.previous_year()
    this_bounds, last_bounds = term.bounds(zone), last.bounds(zone)
    in_this, in_last = _in(this_bounds), _in(last_bounds)

    # 1. The incidents, by kind, area, type and outcome; "closed" only where closed by the term's end
    # (reopening clears `closed_at`, so a reopened incident counts as open).
    grouped = (
        Incident.objects.filter(in_this | in_last, school=school)
        .exclude(status=Status.ARCHIVED)
        .values("kind", "risk_area", "incident_type", "outcome")
        .annotate(
            this=Count("pk", filter=in_this),
            last=Count("pk", filter=in_last),
            this_closed=Count("pk", filter=in_this & Q(status=Status.CLOSED, closed_at__lt=this_bounds[1])),
            last_closed=Count("pk", filter=in_last & Q(status=Status.CLOSED, closed_at__lt=last_bounds[1])),
        )
        .order_by()
    )
    staff, pupils, closed = [0, 0], [0, 0], [0, 0]
    areas: dict[str, list[int]] = {a: [0, 0] for a in RiskArea.values}
    types: dict[str, list[int]] = {t: [0, 0] for t in IncidentType.values}
    outcomes: dict[str, list[int]] = {o: [0, 0] for o in Outcome.values}
    for group in grouped:
        counts = (group["this"], group["last"])
        if group["kind"] == IncidentKind.STAFF:
            staff = [staff[i] + counts[i] for i in (0, 1)]
            continue
        for i, n in enumerate(counts):
            pupils[i] += n
            areas.setdefault(group["risk_area"], [0, 0])[i] += n
            types.setdefault(group["incident_type"], [0, 0])[i] += n
        for i, n in enumerate((group["this_closed"], group["last_closed"])):
            if n:
                closed[i] += n
                outcomes.setdefault(group["outcome"], [0, 0])[i] += n
    open_at_end = (pupils[0] - closed[0], pupils[1] - closed[1])

    # 2 and 3. Actions and referrals in pupil incidents: in how many incidents each was taken or made.
    about_pupils = Q(incident__school=school, incident__kind=IncidentKind.PUPIL) & ~Q(
        incident__status=Status.ARCHIVED
    )
    in_this, in_last = _in(this_bounds, "incident__"), _in(last_bounds, "incident__")
    by_term = {
        "this": Count("incident", distinct=True, filter=in_this),
        "last": Count("incident", distinct=True, filter=in_last),
    }
    taken = (
        ActionTaken.objects.filter(about_pupils, in_this | in_last, school=school)
        .values("action_id", "action__name", "action__order")
        .annotate(**by_term)
        .order_by("action__order", "action_id")
    )
    actions = [(a["action__name"], (a["this"], a["last"])) for a in taken]
    referred: dict[str, tuple[int, int]] = dict.fromkeys(Agency.values, (0, 0))
    made = (
        Referral.objects.filter(about_pupils, in_this | in_last, school=school)
        .values("agency")
        .annotate(**by_term)
        .order_by()
    )
    for r in made:
        referred[r["agency"]] = (r["this"], r["last"])

    labels = (
        dict(RiskArea.choices) | dict(IncidentType.choices) | dict(Outcome.choices) | dict(Agency.choices)
    )
    ended = now >= this_bounds[1]
    # "Still open" comes first: protect() hides the last big count of a table where it must, and this
    # is the one governors look for.
    outcome_rows = _rows(
        [OPEN_LABEL if ended else OPEN_NOW_LABEL, *(labels.get(o, o) for o in outcomes)],
        [open_at_end, *((c[0], c[1]) for c in outcomes.values())],
        adds_up=True,
    )
    return GovernorsReport(
        school_name=school.name,
        term=term,
        last=last,
        made_at=now,
        ended=ended,
        pupils=Row("Incidents about pupils", cell(pupils[0]), cell(pupils[1])),
        staff=Row("Concerns about members of staff", cell(staff[0]), cell(staff[1])),
        still_open=outcome_rows[0],
        areas=Breakdown(
            "Areas of risk",
            "Incidents about pupils by area of risk",
            "Area of risk",
            _rows([labels.get(a, a) for a in areas], [(c[0], c[1]) for c in areas.values()], adds_up=True),
        ),
        types=Breakdown(
            "Types of incident",
            "Incidents about pupils by type",
            "Type",
            _rows([labels.get(t, t) for t in types], [(c[0], c[1]) for c in types.values()], adds_up=True),
        ),
        outcomes=Breakdown(
            "Outcomes",
            "Incidents about pupils by where they stood at the end of the term",
            "Outcome",
            outcome_rows,
            note="Those still open at the end of the term, and those closed by then, by their outcome."
            + ("" if ended else " This term has not ended yet: still open now."),
        ),
        actions=Breakdown(
            "Actions taken",
            "Incidents about pupils in which each action was taken",
            "Action",
            _rows([name for name, _ in actions], [c for _, c in actions], adds_up=False),
            note="An incident may have had several of these actions, or none.",
        ),
        referrals=Breakdown(
            "Referrals",
            "Incidents about pupils referred to each agency",
            "Agency",
            _rows([labels.get(a, a) for a in referred], list(referred.values()), adds_up=False),
            note="An incident may have been referred to more than one agency, or to none.",
        ),
    )
