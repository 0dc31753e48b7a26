"""Which school a request works in: the one chosen in the session, else the user's first; and its time
zone, in which the pages show and read dates and times."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from schoolgate.web.tenancy.models import School

SESSION_KEY = "schoolgate_school"


class SchoolMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.school = None  # type: ignore[attr-defined]
        request.schools = []  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            ids = user.school_ids()
            if ids:
                schools = list(School.objects.filter(pk__in=sorted(ids)).order_by("name"))
                chosen = request.session.get(SESSION_KEY)
                current = next((s for s in schools if s.pk == chosen), schools[0])
                request.school = current  # type: ignore[attr-defined]
                request.schools = schools  # type: ignore[attr-defined]
                try:
                    timezone.activate(ZoneInfo(current.timezone))
                except (ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()  # the site's (Europe/London)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
