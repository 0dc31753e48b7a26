"""The courses a school starts with: the five the policies and the DfE guidance name. Made the first
time the school's training is read (`ensure_courses`), so a new school has them without a step of its
own; the school then renames them, changes how often, adds or archives its own."""

from __future__ import annotations

from django.db import transaction

from schoolgate.web.core.actions import acting
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.choices import CourseKind, ForWhom
from schoolgate.web.training.models import Course

# Who the first courses are made by, in the audit trail.
SEEDED_BY = "Schoolgate: the usual courses for a new school"

DEFAULT_COURSES: tuple[tuple[str, CourseKind, ForWhom, int | None, str], ...] = (
    (
        "Induction",
        CourseKind.INDUCTION,
        ForWhom.STAFF,
        None,
        "For every new member of staff: the safeguarding and online safety policies, the acceptable use "
        "agreement, how to report a concern. Policy 002: all new staff receive online safety training as "
        "part of their induction.",
    ),
    (
        "Annual safeguarding update",
        CourseKind.SAFEGUARDING,
        ForWhom.STAFF,
        12,
        "The yearly refresher of Keeping Children Safe in Education for all staff.",
    ),
    (
        "Online safety",
        CourseKind.ONLINE_SAFETY,
        ForWhom.STAFF,
        12,
        "Policy 003: an annual internet safety course. Filtering and monitoring, what to report and how, "
        "the risks pupils meet online.",
    ),
    (
        "Prevent",
        CourseKind.PREVENT,
        ForWhom.STAFF,
        24,
        "The Prevent duty: recognising radicalisation, online and off, and what to do.",
    ),
    (
        "Governor training",
        CourseKind.GOVERNOR,
        ForWhom.GOVERNORS,
        36,
        "Online safety and safeguarding for governors (policy 002): from the local authority, the "
        "National Governance Association or a school session.",
    ),
)


def ensure_courses(school: School) -> None:
    """Make the usual courses for `school` when it has never had any (archived ones count: a school
    that archived them all chose to)."""
    if Course.objects.filter(school=school).exists():
        return
    with transaction.atomic(), acting(SEEDED_BY):
        if Course.objects.filter(school=school).exists():  # made by a request at the same moment
            return
        for name, kind, for_whom, months, description in DEFAULT_COURSES:
            Course(
                school=school, name=name, kind=kind, for_whom=for_whom, refresh_months=months,
                description=description,
            ).save()  # fmt: skip
