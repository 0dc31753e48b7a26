"""The demo school's agreements: some accepted, some not, the class teacher asked on the home page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.agreements import home
from schoolgate.web.agreements.coverage import agreements_coverage
from schoolgate.web.agreements.demo import seed_demo
from schoolgate.web.agreements.models import AgreementVersion
from schoolgate.web.demo import load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_agreements_partly_accepted() -> None:
    school = load_demo(pupils=60, classes=7, staff=20).school
    now = timezone.now()
    seed_demo(school, now)
    seed_demo(school, now)  # a second time adds nothing
    assert AgreementVersion.objects.filter(school=school).count() == 4
    lines = {line.label: line for line in agreements_coverage(school, timezone.localdate(now))}
    assert set(lines) == {
        "Pupils in Reception and Key Stage 1",
        "Pupils in Key Stage 2",
        "Staff",
        "Parents and carers",
    }
    for line in lines.values():
        assert 0 < line.done < line.people, line
    teacher = school.memberships.get(user__username="r.patel").user
    assert home.today(teacher, school, timezone.localdate(now)).shown
