"""The audit trail's filter, parsed by django-filter from the address (`?type=people.person`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters

from schoolgate.web.audit.models import AuditEntry


class AuditFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The kind of record an entry is about (its model's label, as the entries store it)."""

    type = django_filters.CharFilter(field_name="object_type", max_length=100)

    class Meta:
        model = AuditEntry
        fields: ClassVar[list[str]] = []

    def chosen(self) -> dict[str, Any]:
        data = self.form.cleaned_data if self.is_bound else {}
        return {"kind": data.get("type") or ""}
