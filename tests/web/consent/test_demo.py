"""The demo's consent: most given, a few withdrawn or never asked, the named pupil's social media
withdrawn; seeding twice adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.consent.choices import NOT_ASKED, Decision, Purpose
from schoolgate.web.consent.demo import seed_demo
from schoolgate.web.consent.models import ConsentRecord
from schoolgate.web.consent.state import current
from schoolgate.web.demo import load_demo
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person

pytestmark = pytest.mark.django_db


def test_the_demo_school_has_a_realistic_mix() -> None:
    school = load_demo(pupils=120, classes=4, staff=20).school
    seed_demo(school, timezone.now())
    pupils = list(Person.objects.filter(school=school, kind=PersonKind.PUPIL).values_list("pk", flat=True))
    states = current(school, pupils)
    values = [s.value for child in states.values() for s in child.values()]
    assert values.count(Decision.GIVEN) > values.count(Decision.WITHDRAWN) > 0
    assert values.count(NOT_ASKED) > 0
    amelia = Person.objects.get(school=school, first_name="Amelia", last_name="Hughes")
    assert (
        states[amelia.pk][Purpose.SOCIAL].value == Decision.WITHDRAWN
        and states[amelia.pk][Purpose.WEBSITE].given
    )
    count = ConsentRecord.objects.count()
    seed_demo(school, timezone.now())
    assert ConsentRecord.objects.count() == count
