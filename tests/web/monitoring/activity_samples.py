"""Objects for the activity part's pages whose addresses need one (tests/web/sitemap.py SAMPLES): a
pupil of `school` (their timeline), a review request at `school`, and a shipped risk phrase (the same
at every school: its page names no school's object)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schoolgate.web.monitoring.models import ReviewRequest
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.monitoring.factories import review


def _pupil(cast: Cast, school: Any) -> dict[str, Any]:
    found = Person.objects.filter(school=school, kind=PersonKind.PUPIL).first()
    found = found or Person.objects.create(
        school=school, kind=PersonKind.PUPIL, first_name="Sample", last_name="Pupil"
    )
    return {"pk": found.pk}


def _review(cast: Cast, school: Any) -> dict[str, Any]:
    found = ReviewRequest.objects.filter(school=school).first() or review(school)
    return {"pk": found.pk}


def _phrase(cast: Cast, school: Any) -> dict[str, Any]:
    return {"text": "kill myself"}


ACTIVITY_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "monitoring:timeline": _pupil,
    "monitoring:review": _review,
    "monitoring:phrase": _phrase,
}
