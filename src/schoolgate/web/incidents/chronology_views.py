"""A person's chronology: every line of every incident they are part of, across incidents, in time
order, to read or print (for a pupil; for a member of staff, the allegations about them).

It shows only incidents the user deals with (`access.managed`), so the DSL team sees a pupil's, the
headteacher a member of staff's, and nobody learns from it of an incident they could not open. Each
incident shown is logged as looked at.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.incidents import access
from schoolgate.web.incidents.choices import Role, Status
from schoolgate.web.incidents.models import Event, Involvement, RecordView
from schoolgate.web.incidents.pages import IN_CHARGE, render_page
from schoolgate.web.people.models import Person

GET_POST = require_http_methods(["GET", "POST"])


def _role_name(role: str) -> str:
    return Role(role).label.split(" (")[0]  # "Subject (the concern is about them)": "Subject"


@staff_view(IN_CHARGE)
@GET_POST
def chronology_view(request: StaffRequest, pk: int) -> HttpResponse:
    # Not through `restrict(PEOPLE_VIEW)`: the chair of governors deals with concerns about the
    # headteacher without seeing the school's records. What decides is the incidents below.
    person = get_object_or_404(Person.objects.filter(school=request.school), pk=pk)
    found = list(
        access.managed(request.user, request.school)
        .filter(involvements__person=person)
        .distinct()
        .order_by("occurred_at", "pk")
        .prefetch_related(
            Prefetch(
                "involvements",
                queryset=Involvement.objects.filter(person=person).order_by("role"),
                to_attr="parts",
            )
        )
    )
    if not found:
        raise Http404("no incident of theirs that you deal with")
    # Archived incidents were raised in error: they are left out (and said to be).
    incidents = [i for i in found if i.status != Status.ARCHIVED]
    roles = {i.pk: ", ".join(_role_name(p.role) for p in i.parts) for i in incidents}  # type: ignore[attr-defined]
    by_pk = {i.pk: i for i in incidents}
    events = Event.objects.filter(incident_id__in=sorted(by_pk)).select_related("by").order_by("at", "pk")
    lines = [(event, by_pk[event.incident_id], roles[event.incident_id]) for event in events]
    now = timezone.now()
    RecordView.objects.bulk_create(
        RecordView(
            school_id=i.school_id, incident=i, user=request.user, at=now, what=f"chronology of {person.pk}"
        )
        for i in incidents
    )
    context = {
        "person": person,
        "incidents": [(i, roles[i.pk]) for i in incidents],
        "lines": lines,
        "archived": len(found) - len(incidents),
        "now": now,
        "can_see_person": request.user.can(Capability.PEOPLE_VIEW, request.school),
    }
    return render_page(request, "incidents/chronology.html", context)
