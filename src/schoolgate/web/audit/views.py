from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.access import StaffRequest, staff_view

# The online safety log's records stay out of the list: even with its words as hashes, an entry would
# tell a reader of the trail that a concern about a member of staff exists. They are in the chain (and
# `schoolgate audit verify` checks them); each incident's chronology is its history for those who see it.
LOG_RECORDS = (
    "incidents.incident", "incidents.involvement", "incidents.event", "incidents.actiontaken",
    "incidents.illegalstepdone", "incidents.evidence", "incidents.referral", "incidents.parentcontact",
)  # fmt: skip


@staff_view(Capability.AUDIT_VIEW)
def list_view(request: StaffRequest) -> HttpResponse:
    entries = (
        AuditEntry.objects.filter(school=request.school).exclude(object_type__in=LOG_RECORDS).order_by("-id")
    )
    kind = request.GET.get("type", "")
    if kind:
        entries = entries.filter(object_type=kind)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    types = (
        AuditEntry.objects.filter(school=request.school).exclude(object_type__in=LOG_RECORDS)
        .order_by("object_type")
        .values_list("object_type", flat=True).distinct()
    )  # fmt: skip
    return render(request, "audit/list.html", {"page": page, "kind": kind, "types": list(types)})
