"""The training tests' makers: staff and governors of Northfield, and attendance recorded straight
into the records (the actions have their own tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django import Settings

from schoolgate.web.accounts.models import User
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.defaults import ensure_courses
from schoolgate.web.training.models import Attendance, Course
from tests.web.factories import person


def staff(school: School, first: str, last: str, team: str = "Teaching", **fields: Any) -> Person:
    return person(school, PersonKind.STAFF, first_name=first, last_name=last, team=team, **fields)


def course(school: School, name: str) -> Course:
    ensure_courses(school)
    return Course.objects.get(school=school, name=name)


def attended(who: Person, what: Course, on: dt.date, **fields: Any) -> Attendance:
    record = Attendance(
        school=who.school, person=who, course=what, attended_on=on, recorded_at=timezone.now(), **fields
    )
    record.save()
    return record


@pytest.fixture(autouse=True)
def certificates_dir(settings: Settings, tmp_path: Path) -> Path:
    """Each test keeps its certificates apart, so that what one finds on disk is its own."""
    path = tmp_path / "certificates"
    settings.TRAINING_CERTIFICATES_DIR = path
    return path


def linked(user: User, school: School, first: str = "Tom", last: str = "Example", **fields: Any) -> Person:
    """A staff record for `user`'s login."""
    fields.setdefault("kind", PersonKind.STAFF)
    return Person.objects.create(school=school, first_name=first, last_name=last, user=user, **fields)


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
