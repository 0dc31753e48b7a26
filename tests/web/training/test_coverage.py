"""`training_coverage`: per course in use, the current people it is for and how many are in date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from schoolgate.web.core.actions import archive
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.training.coverage import training_coverage
from schoolgate.web.training.defaults import DEFAULT_COURSES
from tests.web.factories import Cast, person
from tests.web.training.conftest import attended, course, staff

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 15)


def test_a_new_school_has_the_usual_courses_and_nobody_to_count(cast: Cast) -> None:
    lines = training_coverage(cast.a, ON)
    assert sorted(line.label for line in lines) == sorted(c[0] for c in DEFAULT_COURSES)
    assert all(line.people == 0 and line.done == 0 and line.percent is None for line in lines)


def test_counts_current_people_and_those_in_date(cast: Cast) -> None:
    ann = staff(cast.a, "Ann", "Baker")
    ben = staff(cast.a, "Ben", "Cole", team="Support")
    staff(cast.a, "Cat", "Dunn")  # never done anything
    gone = staff(cast.a, "Dan", "Evans")
    archive(gone, actor="test", reason="left")
    gov = person(cast.a, PersonKind.GOVERNOR, first_name="Gil", last_name="Hart")
    person(cast.a, PersonKind.PUPIL)  # no course is for pupils
    other = staff(cast.b, "Zed", "Young")  # another school's

    online = course(cast.a, "Online safety")
    attended(ann, online, dt.date(2026, 1, 10))  # in date until 10 Jan 2027
    attended(ben, online, dt.date(2025, 11, 1))  # overdue since 2 Nov 2026
    attended(gone, online, dt.date(2026, 9, 1))  # archived person: not counted
    attended(other, course(cast.b, "Online safety"), dt.date(2026, 9, 1))
    withdrawn = attended(ben, online, dt.date(2026, 10, 1))
    archive(withdrawn, actor="test", reason="recorded for the wrong person")
    attended(ann, course(cast.a, "Induction"), dt.date(2015, 9, 1))  # once: in date for good
    attended(gov, course(cast.a, "Governor training"), dt.date(2023, 12, 1))  # 36 months: due soon
    attended(ann, course(cast.a, "Prevent"), dt.date(2026, 12, 1))  # after the day asked: not yet

    lines = {line.label: line for line in training_coverage(cast.a, ON)}
    assert (lines["Online safety"].people, lines["Online safety"].done) == (3, 1)
    assert lines["Online safety"].missing == 2
    assert (lines["Induction"].people, lines["Induction"].done) == (3, 1)
    assert (lines["Governor training"].people, lines["Governor training"].done) == (1, 1)
    assert (lines["Prevent"].people, lines["Prevent"].done) == (3, 0)
    assert training_coverage(cast.b, ON)[0].people == 1


def test_an_archived_course_is_not_in_use(cast: Cast) -> None:
    archive(course(cast.a, "Prevent"), actor="test", reason="the trust runs it")
    assert "Prevent" not in {line.label for line in training_coverage(cast.a, ON)}


def test_expired_supply_staff_are_not_counted(cast: Cast) -> None:
    staff(cast.a, "Eve", "Ford", expires_at=timezone.now() - dt.timedelta(days=1))
    lines = {line.label: line for line in training_coverage(cast.a, ON)}
    assert lines["Online safety"].people == 0
