"""The log's list filters, parsed by django-filter from the address (`?show=&reference=`).

Anything in the address is checked before it reaches a query: `show` is one of the list's views (for
those who deal with incidents; the others always see every concern they reported), anything else
shows them all; a reference is read as people type it ("k7q3 m2xp") and one that cannot be one finds
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone

from schoolgate.web.incidents.choices import Status
from schoolgate.web.incidents.models import Incident, IncidentQuerySet, Referral, reference_of

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User

# The list's views, for those who deal with incidents: "open" when none is asked for.
SHOW = (
    ("open", "Open"),
    ("overdue", "Referrals overdue"),
    ("mine", "Reported by me"),
    ("closed", "Closed"),
    ("archived", "Archived"),
    ("all", "All"),
)
REFERENCE_MAX = 40  # what is read of a typed reference


def overdue_referrals() -> Exists:
    """Whether an incident has a referral past its follow-up date with no answer recorded."""
    today = timezone.localdate()
    late = Referral.objects.filter(incident=OuterRef("pk"), completed_on__isnull=True, due_on__lt=today)
    return Exists(late)


class IncidentFilter(django_filters.FilterSet):  # type: ignore[misc]
    show = django_filters.ChoiceFilter(choices=SHOW, method="by_state")
    reference = django_filters.CharFilter(method="by_reference")

    class Meta:
        model = Incident
        fields: ClassVar[list[str]] = []

    def __init__(self, data: Any, queryset: IncidentQuerySet, *, user: User, in_charge: bool) -> None:
        asked = data.copy()
        show = str(asked.get("show", "open")) if in_charge else "all"
        asked["show"] = show if show in dict(SHOW) else "all"
        asked["reference"] = str(asked.get("reference", ""))[:REFERENCE_MAX].strip()
        super().__init__(asked, queryset)
        self.user = user

    def by_state(self, queryset: IncidentQuerySet, name: str, value: str) -> IncidentQuerySet:
        if value == "open":
            return queryset.open()
        if value == "closed":
            return queryset.filter(status=Status.CLOSED)
        if value == "archived":
            return queryset.filter(status=Status.ARCHIVED)
        if value == "overdue":
            return queryset.filter(overdue_referrals())
        if value == "mine":
            return queryset.filter(reported_by=self.user)
        return queryset.exclude(status=Status.ARCHIVED)

    def by_reference(self, queryset: IncidentQuerySet, name: str, value: str) -> IncidentQuerySet:
        reference = reference_of(value)
        return queryset.filter(reference=reference) if reference else queryset.none()

    def chosen(self) -> dict[str, str]:
        """What the list is showing, for the page's filter form."""
        data = self.form.cleaned_data
        return {"show": data.get("show") or "all", "reference": self.data.get("reference", "")}
