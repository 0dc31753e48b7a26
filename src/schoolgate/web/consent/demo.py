"""The demo school's photo and video consent: most families returned the paper form in the first week
of the school year and gave consent for everything; a few withdrew it for the website or social media,
a few said no to everything, and a handful were never asked (so that the grid, the check before
publishing and the trip lists have something to show). The demo's named pupil, Amelia Hughes, has
consent withdrawn for social media."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.models import User
from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.consent.models import ConsentRecord
from schoolgate.web.core.actions import acting
from schoolgate.web.core.schoolyear import first_day, school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import GuardianLink, Person

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

DEMO = "schoolgate web demo"
OFFICE = "k.walsh"
NAMED = ("Amelia", "Hughes")


def _decisions(rng: random.Random, pupil: Person) -> dict[str, str] | None:
    """What the family decided: None when they were never asked."""
    everything = {p.value: Decision.GIVEN.value for p in Purpose}
    if (pupil.first_name, pupil.last_name) == NAMED:
        return {**everything, Purpose.SOCIAL: Decision.WITHDRAWN}
    roll = rng.random()
    if roll < 0.03:
        return None
    if roll < 0.05:
        return {p.value: Decision.WITHDRAWN.value for p in Purpose}
    if roll < 0.12:
        return {**everything, Purpose.SOCIAL: Decision.WITHDRAWN, Purpose.WEBSITE: Decision.WITHDRAWN}
    if roll < 0.16:
        return {**everything, Purpose.PRESS: Decision.WITHDRAWN}
    return everything


def seed_demo(school: School, now: dt.datetime) -> None:
    """Seed the consent records (once: nothing is added if the school has any)."""
    if ConsentRecord.objects.filter(school=school).exists():
        return
    rng = random.Random(17)
    today = timezone.localdate(now)
    returned = min(first_day(school_year(today)) + dt.timedelta(days=3), today)
    office = User.objects.filter(username=OFFICE).first()
    parents = {
        link.child_id: link.guardian_id
        for link in GuardianLink.objects.filter(school=school, parental_responsibility=True).order_by(
            "-contact_order"
        )
    }
    pupils = Person.objects.filter(school=school, kind=PersonKind.PUPIL).current().order_by("pk")
    with transaction.atomic(), acting(DEMO, "the demo school's consent forms"):
        for pupil in pupils:
            decisions = _decisions(rng, pupil)
            if decisions is None:
                continue
            at = (
                timezone.make_aware(dt.datetime.combine(returned, dt.time(9, 30)))
                if returned < today
                else now
            )
            for purpose, decision in decisions.items():
                ConsentRecord.objects.create(
                    school=school, child=pupil, purpose=purpose, decision=decision,
                    given_by_id=parents.get(pupil.pk), how=HowGiven.PAPER, given_on=returned, recorded_at=at,
                    recorded_by=office, note="" if pupil.pk in parents else "Form signed by a parent",
                )  # fmt: skip
