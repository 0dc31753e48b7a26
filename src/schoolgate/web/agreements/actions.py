"""Changes to the agreements and their acceptances (the convention: `core.actions`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.agreements.choices import HowAccepted
from schoolgate.web.agreements.models import Acceptance, AgreementVersion, audience_of
from schoolgate.web.core.actions import REASON_MAX, Operator, acting, require
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User

# The worker records acceptances made at the proxy under this name (no login made them).
AGREEMENT_PAGE = "Schoolgate (agreement page)"


def do_accept(
    person: Person,
    version: AgreementVersion,
    *,
    how: HowAccepted,
    at: dt.datetime,
    actor: User | Operator | str,
    parent: Person | None = None,
    note: str = "",
) -> Acceptance:
    """Record that `person` accepted `version` at `at`, for that school year. Accepting again in the same
    year changes nothing (the first record stays). A user must hold AGREEMENTS_RECORD to record someone
    else's acceptance; anyone may record their own (`how` IN_SCHOOLGATE). The version must be for the
    person's audience and in force on that day; a parent must be one of the child's."""
    if person.school_id != version.school_id:
        raise ValidationError("That agreement belongs to another school")
    own = not isinstance(actor, (Operator, str)) and getattr(person, "user_id", None) == actor.pk
    if not isinstance(actor, str) and not (own and how == HowAccepted.IN_SCHOOLGATE):
        require(actor, Capability.AGREEMENTS_RECORD, person.school_id)
    if isinstance(actor, str) and how != HowAccepted.PROXY:
        raise PermissionDenied("only the agreement page records without a login")
    if audience_of(person) != version.audience:
        audience = version.get_audience_display()
        raise ValidationError(f"{person} is not asked to accept the agreement for {audience}")
    day = at.date()
    current = AgreementVersion.objects.filter(school_id=person.school_id).in_force(version.audience, day)
    if current is None or current.pk != version.pk:
        raise ValidationError(f"Version {version.number} is not the one in force on {day:%-d %B %Y}")
    if how == HowAccepted.PARENT:
        if parent is None or parent.kind != PersonKind.PARENT:
            raise ValidationError({"parent": "Choose the parent or carer who accepted"})
        if not parent.child_links.filter(child=person).exists():
            raise ValidationError({"parent": f"{parent} is not recorded as a parent or carer of {person}"})
    elif parent is not None:
        raise ValidationError({"parent": "A parent is named only when a parent accepted"})
    year = school_year(day)
    existing = Acceptance.objects.filter(version=version, person=person, school_year=year).first()
    if existing is not None:
        return existing
    recorded_by = None if isinstance(actor, (Operator, str)) else actor
    try:
        with transaction.atomic(), acting(actor, f"agreement accepted ({HowAccepted(how).label.lower()})"):
            return Acceptance.objects.create(
                school_id=person.school_id,
                version=version,
                person=person,
                school_year=year,
                accepted_at=at,
                how=how,
                parent=parent,
                recorded_by=recorded_by,
                note=" ".join(note.split())[:REASON_MAX],
            )
    except IntegrityError:  # the same acceptance recorded at the same moment by another process
        return Acceptance.objects.get(version=version, person=person, school_year=year)
