"""A person's chronology: every line of every incident they are part of, across incidents, in time
order, to read or print (for a pupil; for a member of staff, the allegations about them).

It shows only incidents the user deals with (`access.managed`), so the DSL team sees a pupil's, the
headteacher a member of staff's, and nobody learns from it of an incident they could not open. Each
incident shown is logged as looked at.

It does not miss an incident quietly: one that names someone by a name that may be the person's, not
linked to anyone, is said to ("1 record names someone called Mia Jones without linking them"), so
that whoever reads it can open the record and see.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST, render_page
from schoolgate.web.incidents.apps import IN_CHARGE
from schoolgate.web.incidents.choices import Role, Status
from schoolgate.web.incidents.models import Event, Incident, Involvement, RecordView
from schoolgate.web.incidents.names import person_keys
from schoolgate.web.people.models import Person


def _role_name(role: str) -> str:
    return Role(role).label.split(" (")[0]  # "Subject (the concern is about them)": "Subject"


def _unlinked(involvements: list[Involvement]) -> dict[str, object] | None:
    """The records that name someone by a name that may be the person's, linked to nobody: how many,
    the names as written, and the records (once each)."""
    if not involvements:
        return None
    incidents = list({i.incident_id: i.incident for i in involvements}.values())
    names = list(dict.fromkeys(i.name for i in involvements))
    return {"count": len(incidents), "names": names, "incidents": incidents}


@staff_view(IN_CHARGE)
@GET_POST
def chronology_view(request: StaffRequest, pk: int) -> HttpResponse:
    # Not through `restrict(PEOPLE_VIEW)`: the chair of governors deals with concerns about the
    # headteacher without seeing the school's records. What decides is the incidents below.
    person = get_object_or_404(Person.objects.filter(school=request.school), pk=pk)
    managed = Incident.objects.restrict(request.user, IN_CHARGE, request.school)
    unlinked = list(
        Involvement.objects.filter(
            school=request.school, person__isnull=True, user__isnull=True,
            name_key__in=sorted(person_keys(person)), incident__in=managed.exclude(status=Status.ARCHIVED),
        )
        .exclude(role=Role.REPORTER)
        .select_related("incident")
        .order_by("incident__occurred_at", "incident_id", "pk")
    )  # fmt: skip
    found = list(
        managed.filter(involvements__person=person)
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
    if not found and not unlinked:
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
        "unlinked": _unlinked(unlinked),
        "now": now,
        "can_see_person": request.user.can(Capability.PEOPLE_VIEW, request.school),
    }
    return render_page(request, "incidents/chronology.html", context)
