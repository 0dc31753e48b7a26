"""What every app's pages share, and the home page.

The shape of a page that changes something, in every app:

    @staff_view(Capability.PEOPLE_CHANGE)
    @GET_POST
    def archive_view(request, pk):
        person = get_restricted(Person, request, Capability.PEOPLE_CHANGE, pk=pk)
        form = ReasonForm(posted(request))
        return form_page(
            request, form, lambda: actions.do_archive(person, actor=request.user, reason=...),
            done=lambda _: redirect(...), template="people/archive.html", context={"person": person},
        )

Records come through `restrict` (another school's are not found: 404, never "forbidden"); the action
checks the permission itself (PermissionDenied, which Django answers with the 403 page) and refuses bad
input with ValidationError, which `form_page` puts on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from schoolgate.web.accounts import notices
from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.agreements.home import today as agreement_today
from schoolgate.web.annualreview.reminders import panel as review_panel
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.nav import app_of
from schoolgate.web.filterrequests.home import today as requests_today
from schoolgate.web.monitoring.home import today as monitoring_today
from schoolgate.web.tenancy import notices as trust_notices
from schoolgate.web.tenancy.querysets import SchoolQuerySet

__all__ = [
    "GET_POST",
    "PER_PAGE",
    "form_page",
    "get_restricted",
    "paginate",
    "posted",
    "render_page",
    "restricted",
    "say_and_go",
]

GET_POST = require_http_methods(["GET", "POST"])
PER_PAGE = 50

T = TypeVar("T")


def render_page(
    request: StaffRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a page of an app, with `can` (what the user may do there, from the app's
    `NavApp.can`) for its buttons. The navigation comes from `core.context.navigation`."""
    match = getattr(request, "resolver_match", None)
    app = app_of(match.app_name) if match is not None and match.app_name else None
    can = app.can(request.user, request.school) if app is not None else {}
    return render(request, template, {"can": can, **context}, status=status)


def posted(request: HttpRequest) -> Any:
    """The form's data when the form was sent, even empty (so that an empty form says what it lacks);
    None for a GET, so that the form starts unbound."""
    return request.POST if request.method == "POST" else None


def restricted(
    model: type[models.Model], request: StaffRequest, capability: Capability
) -> SchoolQuerySet[Any]:
    """The current school's records of `model` that the user's `capability` opens: the only way pages
    fetch a school's records."""
    queryset = cast(SchoolQuerySet[Any], model._default_manager.all())
    return queryset.restrict(request.user, capability, request.school)


def get_restricted(
    model: type[models.Model] | SchoolQuerySet[Any],
    request: StaffRequest,
    capability: Capability,
    **lookup: Any,
) -> Any:
    """One record through `restricted` (or a queryset made from it), or 404: another school's record,
    or one the user's roles do not open, is not found."""
    if isinstance(model, models.QuerySet):
        queryset = model.restrict(request.user, capability, request.school)
    else:
        queryset = restricted(model, request, capability)
    return get_object_or_404(queryset, **lookup)


def paginate(request: HttpRequest, queryset: Any, per_page: int = PER_PAGE) -> Page[Any]:
    """The page of a list that `?page=` asks for (the first for anything that is not a page number,
    the last for one past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def form_page(
    request: StaffRequest,
    form: forms.BaseForm,
    act: Callable[[], T],
    *,
    done: Callable[[T], HttpResponse],
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The form on a page; when it is sent and valid, `act()` (an action), then `done(its result)`
    (a message and a redirect). The action's ValidationError is shown on the form; its
    PermissionDenied is left to Django, which answers 403."""
    if request.method == "POST" and form.is_valid():
        try:
            result = act()
        except ValidationError as error:
            add_errors(form, error)
        else:
            return done(result)
    return render_page(request, template, {**(context or {}), "form": form})


def say_and_go(
    request: HttpRequest, message: Callable[[T], str], to: Callable[[T], str]
) -> Callable[[T], HttpResponse]:
    """The usual end of a change, as `form_page`'s `done`: a success message, then the page to go to,
    both made from what the action returned."""

    def done(result: T) -> HttpResponse:
        messages.success(request, message(result))
        return HttpResponseRedirect(to(result))

    return done


@staff_view()
def home_view(request: StaffRequest) -> HttpResponse:
    """The user's roles here; for the DSL and the chair of governors, the changes to safeguarding roles
    of the last 30 days (who was given or lost which, by whom, when); for the headteacher, the DSL
    and the chair of governors of a school in a trust, the schools added to the trust in the last 30
    days, with each one's first login (`tenancy.notices`); and what the monitoring needs of them today
    (`monitoring.home`: new alerts, new review requests, a worker gone quiet, the weekly report); and
    the filter change requests waiting for them, their own decided, and teachers' own lesson unblocks
    (`filterrequests.home`)."""
    held = list(request.user.memberships.filter(school=request.school))
    roles = [m.get_role_display() for m in held]
    changes = notices.recent(request.school) if notices.watches(Role(m.role) for m in held) else None
    trust = request.school.trust
    added = None
    if trust is not None and any(Role(m.role) in trust_notices.WATCHERS for m in held):
        added = trust_notices.recent(trust)
    now = timezone.now()
    monitoring = monitoring_today(request.user, request.school, now)
    context = {
        "roles": roles,
        "role_changes": changes,
        "schools_added": added,
        "trust": trust,
        "monitoring": monitoring,
        "requests_panel": requests_today(request.user, request.school, now),
        "review_panel": review_panel(request.user, request.school, now),
        "agreement_panel": agreement_today(request.user, request.school, timezone.localdate(now)),
    }
    return render(request, "core/home.html", context)
