"""What every page of the online safety log renders with: its sub-navigation, and what the user may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest
from schoolgate.web.incidents import access

# Every page of the log, for staff_view: reporting, or dealing with some incidents.
ANY_INCIDENTS = (
    Capability.INCIDENT_REPORT,
    Capability.INCIDENT_MANAGE,
    Capability.ALLEGATIONS,
    Capability.ALLEGATIONS_HEAD,
)
IN_CHARGE = (Capability.INCIDENT_MANAGE, Capability.ALLEGATIONS, Capability.ALLEGATIONS_HEAD)


def render_page(
    request: StaffRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    user, school = request.user, request.school
    can = {
        "report": user.can(Capability.INCIDENT_REPORT, school),
        "in_charge": access.any_in_charge(user, school),
        "matrix": user.can(Capability.SANCTIONS_CHANGE, school),
    }
    sections = [
        ("Incidents", reverse("incidents:list"), True),
        ("Report a concern", reverse("incidents:report"), can["report"]),
        ("Sanctions matrix", reverse("incidents:matrix"), can["in_charge"] or can["matrix"]),
    ]
    path = request.path
    current = max((url for _, url, shown in sections if shown and path.startswith(url)), key=len, default="")
    subnav = [
        {"label": label, "url": url, "current": url == current} for label, url, shown in sections if shown
    ]
    return render(request, template, {**context, "can": can, "subnav": subnav}, status=status)
