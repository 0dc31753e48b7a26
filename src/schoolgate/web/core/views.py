from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from schoolgate.web.accounts import notices
from schoolgate.web.accounts.choices import Role
from schoolgate.web.core.access import StaffRequest, staff_view


@staff_view()
def home_view(request: StaffRequest) -> HttpResponse:
    """The user's roles here; for the DSL and the chair of governors, the changes to safeguarding roles
    of the last 30 days (who was given or lost which, by whom, when)."""
    held = list(request.user.memberships.filter(school=request.school))
    roles = [m.get_role_display() for m in held]
    changes = notices.recent(request.school) if notices.watches(Role(m.role) for m in held) else None
    return render(request, "core/home.html", {"roles": roles, "role_changes": changes})
