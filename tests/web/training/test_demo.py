"""The demo's training: every course in use has people in date and people due or overdue, a few
staff answered the needs questions; seeding twice adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.demo import load_demo
from schoolgate.web.training.coverage import training_coverage
from schoolgate.web.training.demo import seed_demo
from schoolgate.web.training.matrix import build
from schoolgate.web.training.models import Attendance, NeedsAssessment

pytestmark = pytest.mark.django_db


def test_the_demo_school_has_a_realistic_mix() -> None:
    school = load_demo(pupils=20, classes=2, staff=24).school
    now = timezone.now()
    seed_demo(school, now)
    lines = {line.label: line for line in training_coverage(school, now.date())}
    assert all(0 < line.done < line.people for line in lines.values()), lines
    totals = build(school, now.date()).totals
    assert sum(t.overdue for t in totals) > 0 and sum(t.never for t in totals) > 0
    assert 0 < NeedsAssessment.objects.filter(school=school).count() <= 6
    count = Attendance.objects.count()
    seed_demo(school, now)
    assert Attendance.objects.count() == count
