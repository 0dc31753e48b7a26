"""The demo school's training: the usual courses, the staff's attendance as a school keeps it (an INSET
day's safeguarding update this September, last year's online safety course, so that some are due or
overdue, Prevent every two years, induction for most, a governors' evening), and a few members of
staff's training needs answers for this year. Once: nothing is added if any attendance exists."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import TYPE_CHECKING

from schoolgate.web.core.actions import Operator
from schoolgate.web.core.schoolyear import first_day, school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.training import actions
from schoolgate.web.training.choices import CourseKind
from schoolgate.web.training.defaults import ensure_courses
from schoolgate.web.training.models import Attendance, Course
from schoolgate.web.training.questions import QUESTIONS

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

DEMO = Operator("schoolgate web demo")
HELP = (
    "A short session on the apps pupils use, and what to do when something turns up in a search.",
    "More on what the filter blocks and how to ask for a site for a lesson.",
    "Time in a staff meeting to go through the reporting steps with examples.",
    "",
)


def seed_demo(school: School, now: dt.datetime) -> None:
    """Seed the demo school's training (once)."""
    ensure_courses(school)
    if Attendance.objects.filter(school=school).exists():
        return
    today = now.date()
    rng = random.Random(f"training-{school.pk}")
    courses = {c.kind: c for c in Course.objects.filter(school=school).unarchived()}
    staff = list(Person.objects.filter(school=school, kind=PersonKind.STAFF).current().order_by("pk"))
    governors = list(Person.objects.filter(school=school, kind=PersonKind.GOVERNOR).current().order_by("pk"))
    this_year = first_day(school_year(today))
    sessions: dict[tuple[CourseKind, dt.date, str], list[Person]] = defaultdict(list)

    def session(kind: CourseKind, day: dt.date, provider: str, person: Person) -> None:
        if day <= today:
            sessions[(kind, day, provider)].append(person)

    inset = this_year + dt.timedelta(days=2)
    for index, person in enumerate(staff):
        if index % 8 != 7:  # most have their induction on record
            joined = dt.date(rng.randint(2012, this_year.year - 1), 9, rng.choice((1, 2, 3)))
            session(CourseKind.INDUCTION, joined, "The DSL", person)
        # The safeguarding update on the INSET day; those who missed it did last year's.
        if index % 6 == 5:
            session(CourseKind.SAFEGUARDING, inset.replace(year=inset.year - 1), "The DSL", person)
        else:
            session(CourseKind.SAFEGUARDING, inset, "The DSL", person)
        # Online safety: last year's twilight sessions, so some are due now and some overdue.
        month = rng.choice((10, 11, 11, 12, 1, 2))
        year = this_year.year - 1 if month >= 9 else this_year.year
        session(
            CourseKind.ONLINE_SAFETY,
            dt.date(year - (index % 5 == 4), month, 14),
            "SWGfL online course",
            person,
        )
        if index % 4 != 3:
            session(
                CourseKind.PREVENT,
                dt.date(this_year.year - rng.choice((1, 2, 3)), 1, 20),
                "Home Office e-learning",
                person,
            )
    for index, person in enumerate(governors):
        if index % 3 != 2:
            session(
                CourseKind.GOVERNOR,
                dt.date(this_year.year - index % 2 - 1, 3, 9),
                "Local authority governor services",
                person,
            )
    for (kind, day, provider), people in sorted(sessions.items(), key=lambda s: s[0][1]):
        if kind in courses:
            actions.do_record(courses[kind], people, actor=DEMO, on=day, provider=provider)

    # A few members of staff answered the training needs questions; the logins are left to answer.
    answering = [p for p in staff if p.user_id is None][:6]
    for number, person in enumerate(answering):
        answers = {q.key: rng.choice((1, 2, 2, 3, 3, 3, 4)) for q in QUESTIONS}
        wanted = [q.key for q in QUESTIONS if answers[q.key] <= 2][:3]
        actions.do_assess(
            person,
            actor=DEMO,
            answers=answers,
            wanted=wanted,
            what_would_help=HELP[number % len(HELP)],
            on=today,
        )
