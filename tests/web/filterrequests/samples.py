"""Sample records for the requests pages whose addresses need one, for tests/web/sitemap.py's SAMPLES
(the permission matrix and the accessibility checks walk every page). Each call makes a fresh record of
`school`, since some pages change the one they are given. A request's address is its number at its
school: the samples' numbers are unique across schools, so that one school's sample number names no
request at the other."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from django.utils import timezone

from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.people.models import ClassGroup
from tests.web.factories import Cast

_numbers = count(100_001)


def _request(cast: Cast, school: Any) -> dict[str, Any]:
    number = next(_numbers)
    FilterRequest.objects.create(
        school=school,
        number=number,
        kind=RequestKind.UNBLOCK,
        source=RequestSource.REQUEST_PAGE,
        asked_at=timezone.now(),
        asked_by=cast.users["olu"] if school == cast.a else cast.users["zack"],
        audience=Audience.EVERYONE,
        site="coolmathgames.com",
        reason="For the maths lesson",
        explanation="Blocked: the category games is blocked for pupils.",
    )
    return {"number": number}


def _class(cast: Cast, school: Any) -> dict[str, Any]:
    return {"pk": ClassGroup.objects.create(school=school, name=f"Sample {next(_numbers)}").pk}


REQUEST_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "filterrequests:request": _request,
    "filterrequests:request-approve": _request,
    "filterrequests:request-refuse": _request,
    "filterrequests:request-ask": _request,
    "filterrequests:request-answer": _request,
    "filterrequests:request-withdraw": _request,
    "filterrequests:request-end": _request,
    "filterrequests:teachers": _class,
}
