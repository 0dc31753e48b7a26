from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps

from schoolgate.web.audit.models import AuditEntry

register = template.Library()


@register.filter
def changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field that differs; every field of a new or removed record."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    out = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old != new:
            out.append((key, old, new))
    return out


# Models that moved to another app: their earlier entries keep the label they were written with (the
# chain is never rewritten), and are named as the model is now.
MOVED = {"incidents.misuse": "sanctions.misuse", "incidents.sanctionaction": "sanctions.sanctionaction"}


@register.filter
def record_kind(object_type: str) -> str:
    """ "people.person" -> "person": the model's own name for itself, in words."""
    try:
        model = apps.get_model(MOVED.get(object_type, object_type))
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
