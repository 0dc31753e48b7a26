"""Who may see which activity and alerts: the incident rules.

Alerts and activity about pupils, visitors and users the filter could not identify go to the DSL team
(alerts: `INCIDENT_MANAGE`; the activity log: `ACTIVITY_VIEW`); about members of staff to the
headteacher alone (`ALLEGATIONS`); about the headteacher to the chair of governors (`ALLEGATIONS_HEAD`).
The address of an attempt on a locked list is shown only to holders of `LOCKED_EVIDENCE` (the DSL).

Every page and action filters through these functions, never through a role name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models

from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.monitoring.choices import Subject
from schoolgate.web.people.choices import PersonKind

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.people.models import Person
    from schoolgate.web.tenancy.models import School

M = TypeVar("M", bound=models.Model)

_PUPILS_AND_OTHERS = frozenset({Subject.PUPIL, Subject.OTHER, Subject.UNKNOWN})


def _subjects(user: User, school: School, pupils: Capability) -> frozenset[str]:
    out: set[str] = set()
    if user.can(pupils, school):
        out |= _PUPILS_AND_OTHERS
    if user.can(Capability.ALLEGATIONS, school):
        out.add(Subject.STAFF)
    if user.can(Capability.ALLEGATIONS_HEAD, school):
        out.add(Subject.HEADTEACHER)
    return frozenset(out)


def alert_subjects(user: User, school: School) -> frozenset[str]:
    """Whose alerts the user may see and act on at the school."""
    return _subjects(user, school, Capability.INCIDENT_MANAGE)


def activity_subjects(user: User, school: School) -> frozenset[str]:
    """Whose activity (events, visits, timelines, exports) the user may read at the school."""
    return _subjects(user, school, Capability.ACTIVITY_VIEW)


def sees_locked(user: User, school: School) -> bool:
    """Whether the user may see the address of an attempt on a locked list."""
    return user.can(Capability.LOCKED_EVIDENCE, school)


def restrict(queryset: models.QuerySet[M], school: School, subjects: frozenset[str]) -> models.QuerySet[M]:
    """The school's rows of a model with a `subject` field, about the given subjects only."""
    return queryset.filter(school=school, subject__in=sorted(subjects))


def subject_of(person: Person | None, headteacher_ids: frozenset[int] = frozenset()) -> Subject:
    """Whom a row is about. `headteacher_ids`: the ids of the people whose login holds the headteacher
    role at the school (`headteachers(school)`), read once per batch by the ingester."""
    if person is None:
        return Subject.UNKNOWN
    if person.kind == PersonKind.PUPIL:
        return Subject.PUPIL
    if person.pk in headteacher_ids:
        return Subject.HEADTEACHER
    if person.kind in (PersonKind.STAFF, PersonKind.SUPPLY):
        return Subject.STAFF
    return Subject.OTHER


def headteachers(school: School) -> frozenset[int]:
    """The ids of the school's people whose login holds the headteacher role there."""
    from schoolgate.web.people.models import Person

    ids = Person.objects.filter(
        school=school,
        user__memberships__school=school,
        user__memberships__role=Role.HEADTEACHER,
    ).values_list("pk", flat=True)
    return frozenset(ids)
