"""The demo school's agreements: the suggested texts for the pupils' key stages the school has (Key
Stage 1 and 2 for the primary demo, secondary for the benchmark's school), staff and parents, in force
since the start of the school year, and most of the school accepted (some not, so that the
chase list and the home page have something to show: the class teacher's login among them)."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.coverage import audience_for, current_on
from schoolgate.web.agreements.models import Acceptance, AgreementVersion
from schoolgate.web.agreements.texts import suggested
from schoolgate.web.core.actions import acting
from schoolgate.web.core.schoolyear import first_day, school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import GuardianLink

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

DEMO = "schoolgate web demo"
AUDIENCES = (Audience.KS1, Audience.KS2, Audience.SECONDARY, Audience.STAFF, Audience.PARENTS)
# The share of each audience that has accepted, and how they did.
SHARE = {
    Audience.KS1: 0.9,
    Audience.KS2: 0.93,
    Audience.SECONDARY: 0.9,
    Audience.STAFF: 0.85,
    Audience.PARENTS: 0.55,
}
HOW = {
    Audience.KS1: HowAccepted.PAPER,
    Audience.KS2: HowAccepted.PROXY,
    Audience.SECONDARY: HowAccepted.PROXY,
    Audience.STAFF: HowAccepted.PROXY,
    Audience.PARENTS: HowAccepted.PAPER,
}
NOT_YET = ("r.patel",)  # the demo's class teacher: shown the home page's "Read and accept" panel


def seed_demo(school: School, now: dt.datetime) -> None:
    """Seed the versions and acceptances (once: nothing is added if the school has a version)."""
    if AgreementVersion.objects.filter(school=school).exists():
        return
    today = timezone.localdate(now)
    year = school_year(today)
    start = first_day(year)
    rng = random.Random(17)
    people = current_on(school, today).select_related("year_group", "user").order_by("pk")
    present = {audience_for(p.kind, p.year_group.key_stage if p.year_group else None) for p in people}
    with transaction.atomic(), acting(DEMO, "the demo school's agreements"):
        versions: dict[Audience, AgreementVersion] = {}
        for audience in AUDIENCES:
            if audience not in present:  # a primary school has no secondary pupils, and the reverse
                continue
            title, text = suggested(audience)
            versions[audience] = AgreementVersion.objects.create(
                school=school,
                audience=audience,
                number=1,
                title=title,
                text=text,
                in_force_from=start,
                written_at=now,
            )
        parents_of = dict(GuardianLink.objects.filter(school=school).values_list("child_id", "guardian_id"))
        days = max(0, (today - start).days)
        for person in people:
            stage = person.year_group.key_stage if person.year_group else None
            theirs = audience_for(person.kind, stage)
            if theirs is None or theirs not in versions or rng.random() > SHARE[theirs]:
                continue
            if person.user is not None and person.user.username in NOT_YET:
                continue
            day = start + dt.timedelta(days=rng.randrange(min(days, 20) + 1))
            at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(9 + rng.randrange(6), rng.randrange(60)))
            )
            how = HOW[theirs]
            parent_id = None
            if theirs == Audience.KS1 and person.kind == PersonKind.PUPIL and rng.random() < 0.2:
                how, parent_id = HowAccepted.PARENT, parents_of.get(person.pk)
                if parent_id is None:
                    how = HowAccepted.PAPER
            Acceptance.objects.create(
                school=school,
                version=versions[theirs],
                person=person,
                school_year=year,
                accepted_at=min(at, now),
                how=how,
                parent_id=parent_id,
            )
