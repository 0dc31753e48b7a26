"""Incidents for the tests, made the way the pages make them (through `actions`), and the people in
them by name (the records themselves come from `tests.web.factories`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from schoolgate.web.accounts.models import User
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.actions import Party, Report
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, RiskArea, Role
from schoolgate.web.incidents.models import Incident
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from tests.web import factories


def person(school: School, first: str, last: str, kind: PersonKind = PersonKind.PUPIL, **more: Any) -> Person:
    """The school's record of that name (made by `factories.person` the first time): the log's tests
    name the same pupil again and again."""
    found = Person.objects.filter(school=school, first_name=first, last_name=last).first()
    return found or factories.person(school, kind, first_name=first, last_name=last, **more)


def report(
    school: School,
    by: User,
    *,
    kind: IncidentKind = IncidentKind.PUPIL,
    incident_type: IncidentType = IncidentType.CYBERBULLYING,
    risk_area: RiskArea = RiskArea.CONDUCT,
    subject: Person | None = None,
    role: Role = Role.VICTIM,
    illegal_content: str = "",
    occurred_at: dt.datetime | None = None,
    **more: Any,
) -> Incident:
    """A concern reported by `by`, about `subject` (a pupil made up if not given)."""
    if subject is None:
        subject = person(school, "Amelia", "Hughes")
        if kind == IncidentKind.STAFF:
            subject = person(school, "Robert", "Patel", PersonKind.STAFF)
            role = Role.SUBJECT
    return actions.do_report(
        school,
        actor=by,
        report=Report(
            kind=kind,
            risk_area=risk_area,
            incident_type=incident_type,
            occurred_at=occurred_at or timezone.now() - dt.timedelta(hours=1),
            location="Year 5 classroom",
            what_happened="Messages calling her names were shared in the class group chat.",
            childs_words="They keep sending it to everyone and I don't want to come in.",
            illegal_content=illegal_content,
            people=(Party(role, person=subject),),
            **more,
        ),
    )


def url(incident: Incident, page: str = "") -> str:
    """An incident's address (by its reference), or one of its pages'."""
    return f"/incidents/{incident.reference}/" + (f"{page}/" if page else "")
