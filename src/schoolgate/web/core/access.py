"""The access check every page goes through: logged in with both factors, working at a school, and
(for most pages) holding a role there that gives the page's capability."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

if TYPE_CHECKING:
    from schoolgate.web.accounts.choices import Capability
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


class StaffRequest(HttpRequest):
    """A request that passed `staff_view`: a verified user, working at `school`."""

    user: User
    school: School
    schools: list[School]


V = TypeVar("V", bound=Callable[..., HttpResponse])


def why_not_in(request: HttpRequest, needed: tuple[Capability, ...] | None) -> str | None:
    """Why a page needing `needed` (any one of them) turns the request away — "login" (not logged in
    with both factors), "school" (no school to work at), "capability" — or None when it lets it in."""
    user = request.user
    if not user.is_authenticated or not user.is_verified():  # type: ignore[attr-defined]
        return "login"
    school = getattr(request, "school", None)
    if school is None:
        return "school"
    if needed is not None and not any(user.can(c, school) for c in needed):
        return "capability"
    return None


def staff_view(
    capability: Capability | tuple[Capability, ...] | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The page needs `capability` at the current school (any one of them, given several)."""
    needed = (capability,) if capability is not None and not isinstance(capability, tuple) else capability

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            why = why_not_in(request, needed)
            if why == "login":
                return redirect_to_login(request.get_full_path())
            if why == "school":
                return render(request, "core/no_school.html", status=403)
            if why == "capability" and needed is not None:
                return render(request, "core/forbidden.html", {"capability": needed[0]}, status=403)
            return view(cast(StaffRequest, request), *args, **kwargs)

        # What the permission matrix test reads: every page says what it needs.
        wrapped.staff_capability = needed  # type: ignore[attr-defined]
        wrapped.staff_view = True  # type: ignore[attr-defined]
        return wrapped

    return decorate
