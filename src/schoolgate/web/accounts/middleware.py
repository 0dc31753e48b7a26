"""Which school a request works in: the one chosen in the session, else the user's first; and its time
zone, in which the pages show and read dates and times. And a login with a one-time password: nothing
opens until its person has chosen their own."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
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
                schools = list(
                    School.objects.filter(pk__in=sorted(ids)).select_related("trust").order_by("name")
                )
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


class PasswordChangeMiddleware:
    """A login made with a one-time password opens no page but "Change my password" (and logging out)
    until its person has chosen their own: whoever made the login knows the one-time one. Here rather
    than in the login view, so that no page, present or future, can be reached around it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = (reverse("accounts:my-password"), reverse("accounts:logout"))
            links = reverse("accounts:link", kwargs={"token": "-"})[:-2]  # a reset link sent meanwhile
            if request.path not in allowed and not request.path.startswith(links):
                return redirect("accounts:my-password")
        return self.get_response(request)
