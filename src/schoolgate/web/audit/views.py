from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.filters import AuditFilter
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import paginate

# The online safety log's records stay out of the list: even with its words as hashes, an entry would
# tell a reader of the trail that a concern about a member of staff exists. They are in the chain (and
# `schoolgate audit verify` checks them); each incident's chronology is its history for those who see it.
LOG_RECORDS = (
    "incidents.incident", "incidents.involvement", "incidents.event", "incidents.actiontaken",
    "incidents.illegalstepdone", "incidents.evidence", "incidents.referral", "incidents.parentcontact",
)  # fmt: skip


@staff_view(Capability.AUDIT_VIEW)
def list_view(request: StaffRequest) -> HttpResponse:
    readable = AuditEntry.objects.restrict(request.user, Capability.AUDIT_VIEW, request.school)
    filters = AuditFilter(request.GET, readable.exclude(object_type__in=LOG_RECORDS).order_by("-id"))
    page = paginate(request, filters.qs)
    types = (
        readable.exclude(object_type__in=LOG_RECORDS)
        .order_by("object_type")
        .values_list("object_type", flat=True).distinct()
    )  # fmt: skip
    return render(request, "audit/list.html", {"page": page, "types": list(types), **filters.chosen()})
