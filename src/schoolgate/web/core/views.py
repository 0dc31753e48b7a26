from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from schoolgate.web.core.access import StaffRequest, staff_view


@staff_view()
def home_view(request: StaffRequest) -> HttpResponse:
    roles = [m.get_role_display() for m in request.user.memberships.filter(school=request.school)]
    return render(request, "core/home.html", {"roles": roles})
