"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments. Each call
makes a fresh record of `school`, since some pages change the one they are given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.training.choices import ForWhom
from schoolgate.web.training.models import Attendance, Course
from tests.web.factories import Cast

_numbers = count(1)


def _course(cast: Cast, school: Any) -> dict[str, Any]:
    course = Course.objects.create(
        school=school, name=f"Sample course {next(_numbers)}", for_whom=ForWhom.STAFF, refresh_months=12
    )
    return {"pk": course.pk}


def _staff(school: Any) -> Person:
    return Person.objects.create(
        school=school, kind=PersonKind.STAFF, first_name="Sample", last_name=f"Staff {next(_numbers)}"
    )


def _person(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": _staff(school).pk}


def _attendance(cast: Cast, school: Any) -> dict[str, Any]:
    course = Course.objects.create(school=school, name=f"Sample course {next(_numbers)}")
    record = Attendance.objects.create(
        school=school, person=_staff(school), course=course, attended_on=dt.date(2026, 9, 3),
        recorded_at=timezone.now(),
    )  # fmt: skip
    return {"pk": record.pk}


TRAINING_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "training:course": _course,
    "training:course-archive": _course,
    "training:course-restore": _course,
    "training:person": _person,
    "training:attendance": _attendance,
    "training:certificate": _attendance,
    "training:attendance-certificate": _attendance,
    "training:attendance-archive": _attendance,
}
