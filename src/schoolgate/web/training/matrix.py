"""The due matrix: people x courses, each cell where that person stands on that course on a day.

Two queries whatever the size of the school (the people, and each person's last date per course),
then arithmetic (`standing.where`): the matrix, a person's page and the coverage all read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Max

from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.choices import KINDS_FOR, Standing
from schoolgate.web.training.models import Attendance, Course
from schoolgate.web.training.standing import Where, where


def for_course(course: Course, person: Person) -> bool:
    """Whether `course` is one `person` must do."""
    return person.kind in KINDS_FOR[course.for_whom]


def people_for(school: School, courses: Iterable[Course]) -> list[Person]:
    """The current people (not archived, not expired) any of `courses` is for."""
    kinds = sorted({kind for course in courses for kind in KINDS_FOR[course.for_whom]})
    return list(
        Person.objects.filter(school=school, kind__in=kinds).current().order_by("last_name", "first_name")
    )


def last_done(
    school: School, people: Sequence[Person], courses: Sequence[Course], on: dt.date
) -> dict[tuple[int, int], dt.date]:
    """{(person id, course id): the last day done on or before `on`}, from unarchived attendance."""
    rows = (
        Attendance.objects.filter(
            school=school,
            archived_at__isnull=True,
            attended_on__lte=on,
            course__in=[c.pk for c in courses],
        )
        .values("person_id", "course_id")
        .annotate(last=Max("attended_on"))
    )
    wanted = {p.pk for p in people}
    return {(r["person_id"], r["course_id"]): r["last"] for r in rows if r["person_id"] in wanted}


@dataclass(frozen=True)
class Row:
    person: Person
    cells: list[tuple[Course, Where | None]]  # None: the course is not for them


@dataclass
class CourseCount:
    """The counts under a course's column."""

    course: Course
    counts: dict[Standing, int] = field(default_factory=lambda: dict.fromkeys(Standing, 0))

    @property
    def people(self) -> int:
        return sum(self.counts.values())

    @property
    def in_date(self) -> int:
        """In date on the day, due soon or not."""
        return self.counts[Standing.IN_DATE] + self.counts[Standing.DUE_SOON]

    @property
    def due_soon(self) -> int:
        return self.counts[Standing.DUE_SOON]

    @property
    def overdue(self) -> int:
        return self.counts[Standing.OVERDUE]

    @property
    def never(self) -> int:
        return self.counts[Standing.NEVER]


@dataclass(frozen=True)
class Matrix:
    on: dt.date
    courses: list[Course]
    rows: list[Row]
    totals: list[CourseCount]


def build(
    school: School, on: dt.date, *, courses: Sequence[Course] | None = None, team: str | None = None
) -> Matrix:
    """The matrix of `school` on `on`, for `courses` (default: every course not archived), of the
    people of `team` when given ("" for staff with no team)."""
    chosen = list(courses) if courses is not None else list(Course.objects.filter(school=school).unarchived())
    people = people_for(school, chosen)
    if team is not None:
        people = [p for p in people if p.team == team]
    last = last_done(school, people, chosen, on)
    totals = [CourseCount(c) for c in chosen]
    rows: list[Row] = []
    for person in people:
        cells: list[tuple[Course, Where | None]] = []
        for course, total in zip(chosen, totals, strict=True):
            if not for_course(course, person):
                cells.append((course, None))
                continue
            cell = where(last.get((person.pk, course.pk)), course.refresh_months, on)
            total.counts[cell.standing] += 1
            cells.append((course, cell))
        rows.append(Row(person, cells))
    return Matrix(on, chosen, rows, totals)
