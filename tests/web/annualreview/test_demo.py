"""The demo's reviews: last year's signed, this year's in progress; nothing twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.annualreview import actions, reminders
from schoolgate.web.annualreview.demo import seed_demo
from schoolgate.web.annualreview.models import Review, ReviewState
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db


def test_the_demo_has_last_years_review_signed_and_this_years_in_progress(cast: Cast) -> None:
    now = timezone.now()
    seed_demo(cast.a, now)
    seed_demo(cast.a, now)
    year = actions.current_year(now)
    last, this = (
        Review.objects.get(school=cast.a, year=year - 1),
        Review.objects.get(school=cast.a, year=year),
    )
    assert last.state == ReviewState.SIGNED and last.evidence and last.signoffs.count() == 3
    assert last.actions.get().done_at is not None
    assert this.state == ReviewState.IN_PROGRESS and this.answers.count() == 4 and this.actions.count() == 1
    assert reminders.next_due(cast.a).day is not None
    seed_demo(cast.b, now)  # Southgate has nobody to sign: nothing made
    assert not Review.objects.filter(school=cast.b).exists()
