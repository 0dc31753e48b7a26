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


def staff_view(
    capability: Capability | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_verified():  # type: ignore[attr-defined]
                return redirect_to_login(request.get_full_path())
            school = getattr(request, "school", None)
            if school is None:
                return render(request, "core/no_school.html", status=403)
            if capability is not None and not user.can(capability, school):
                return render(request, "core/forbidden.html", {"capability": capability}, status=403)
            return view(cast(StaffRequest, request), *args, **kwargs)

        # What the permission matrix test reads: every page says what it needs.
        wrapped.staff_capability = capability  # type: ignore[attr-defined]
        wrapped.staff_view = True  # type: ignore[attr-defined]
        return wrapped

    return decorate
