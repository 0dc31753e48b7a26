from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person


@staff_view(Capability.PEOPLE_VIEW)
def list_view(request: StaffRequest) -> HttpResponse:
    people = (
        Person.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school)
        .current()
        .select_related("year_group", "class_group")
    )
    kind = request.GET.get("kind", "")
    if kind in PersonKind.values:
        people = people.filter(kind=kind)
    query = request.GET.get("q", "").strip()
    if query:
        for word in query.split():
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(mis_id__iexact=word)
            )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(
        request, "people/list.html", {"page": page, "kind": kind, "q": query, "kinds": PersonKind.choices}
    )


@staff_view(Capability.PEOPLE_VIEW)
def detail_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school).select_related(
            "year_group", "class_group", "host"
        ),
        pk=pk,
    )
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "guardians": person.guardian_links.select_related("guardian"),
            "children": person.child_links.select_related("child"),
            "identities": person.identities.all(),
        },
    )
