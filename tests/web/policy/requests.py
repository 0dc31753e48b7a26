"""Approved requests made the way the requests app makes them (a FilterRequest and its Grant), for the
policy side's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource, RequestState
from schoolgate.web.filterrequests.models import FilterRequest, Grant
from schoolgate.web.policy.choices import Verdict
from tests.web.factories import Cast
from tests.web.policy.helpers import IN_LESSONS

GAME = "247webgames.com"  # in the sample lists' games category, which the small policy blocks


def grant(
    cast: Cast,
    audience: Audience,
    *,
    domains: tuple[str, ...] = (GAME,),
    made_at: dt.datetime = IN_LESSONS - dt.timedelta(hours=1),
    **fields: Any,
) -> Grant:
    """An approved request (numbered next) and its grant, made by nina."""
    school = cast.a
    number = FilterRequest.objects.filter(school=school).count() + 1
    with acting_as(cast.nina):
        request = FilterRequest.objects.create(
            school=school,
            number=number,
            kind=RequestKind.UNBLOCK,
            source=RequestSource.REQUEST_PAGE,
            state=RequestState.APPROVED,
            asked_at=made_at,
            asked_by=cast.nina,
            site=domains[0] if domains else "",
            audience=audience,
        )
        return Grant.objects.create(
            school=school,
            request=request,
            action=fields.pop("action", Verdict.ALLOW),
            audience=audience,
            domains=list(domains),
            made_by=cast.nina,
            made_at=made_at,
            **fields,
        )
