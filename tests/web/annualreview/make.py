"""What the review's tests share: answering every point, and signing every slot."""

from __future__ import annotations

import datetime as dt

from schoolgate.web.annualreview import actions, standards
from schoolgate.web.annualreview.models import Judgement, Review, Slot
from tests.web.factories import Cast


def this_year() -> int:
    from django.utils import timezone

    return actions.current_year(timezone.now())


def answer_all(cast: Cast, year: int | None = None, now: dt.datetime | None = None) -> Review:
    """Olu (the coordinator) answers every point of Northfield's review: met."""
    year = this_year() if year is None else year
    for key in standards.POINTS:
        actions.do_answer(cast.a, year, key, actor=cast.olu, judgement=Judgement.MET, now=now)
    return Review.objects.get(school=cast.a, year=year)


def sign_all(cast: Cast, year: int | None = None, now: dt.datetime | None = None) -> Review:
    """Hana, Alice and Gina sign their slots."""
    year = this_year() if year is None else year
    for slot, who in ((Slot.HEADTEACHER, cast.hana), (Slot.DSL, cast.alice), (Slot.GOVERNOR, cast.gina)):
        actions.do_sign(cast.a, year, slot, actor=who, now=now)
    return Review.objects.get(school=cast.a, year=year)
