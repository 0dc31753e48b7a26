"""Sample objects for the permission matrix (tests/web/sitemap.py): url name -> arguments.

A review's address is its school year at its school: each sample is a review of a year of its own
(long past, so never the current year, whose page exists without a review), so that one school's
sample names no review at the other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.accounts.models import Membership
from schoolgate.web.annualreview.models import Review, ReviewAction
from tests.web.factories import Cast

_years = count(1950)


def review(cast: Cast, school: Any) -> Review:
    return Review.objects.create(school=school, year=next(_years), started_at=timezone.now())


def _year(cast: Cast, school: Any) -> dict[str, Any]:
    return {"year": review(cast, school).year}


def _point(cast: Cast, school: Any) -> dict[str, Any]:
    return {"year": review(cast, school).year, "point": "roles-dsl"}


def _action(cast: Cast, school: Any) -> dict[str, Any]:
    made = review(cast, school)
    owner = Membership.objects.filter(school=school).first()
    assert owner is not None
    action = ReviewAction.objects.create(
        school=school, review=made, what="Check the guest Wi-Fi", owner=owner.user, due=dt.date(2030, 1, 1),
        added_by=owner.user, added_at=timezone.now(),
    )  # fmt: skip
    return {"year": made.year, "pk": action.pk}


ANNUALREVIEW_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "annualreview:year": _year,
    "annualreview:answer": _point,
    "annualreview:action-add": _year,
    "annualreview:action-done": _action,
    "annualreview:sign": _year,
    "annualreview:pdf": _year,
}
