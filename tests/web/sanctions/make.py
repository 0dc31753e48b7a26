"""What the sanctions matrix's tests share: a table as its keys, a page as its words, the edit form's
data as the page fills it, a row or action by its key, and what an incident expects by key."""

from __future__ import annotations

from typing import Any

from schoolgate.web.incidents import expected
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction


def table_of(school: Any, applies_to: AppliesTo) -> dict[str, set[str]]:
    rows = Misuse.objects.filter(school=school, applies_to=applies_to).prefetch_related("expected")
    return {m.key: {a.key for a in m.expected.all()} for m in rows}


def form_data(school: Any, applies_to: AppliesTo, **changes: Any) -> dict[str, Any]:
    """The edit form's data as the page fills it, with `changes` (field name -> value) made."""
    data: dict[str, Any] = {"new-description": "", "new-expected": [], "action-new-name": ""}
    for misuse in Misuse.objects.filter(school=school, applies_to=applies_to).prefetch_related("expected"):
        data[f"{misuse.pk}-description"] = misuse.description
        data[f"{misuse.pk}-expected"] = [a.key for a in misuse.expected.all()]
        if misuse.retired:
            data[f"{misuse.pk}-retired"] = "on"
    for action in SanctionAction.objects.filter(school=school, applies_to=applies_to):
        data[f"action-{action.pk}-name"] = action.name
        if action.is_sanction:
            data[f"action-{action.pk}-is_sanction"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def row_of(school: Any, key: str, applies_to: AppliesTo = AppliesTo.PUPILS) -> Misuse:
    return Misuse.objects.get(school=school, applies_to=applies_to, key=key)


def action_of(school: Any, key: str, applies_to: AppliesTo = AppliesTo.PUPILS) -> SanctionAction:
    return SanctionAction.objects.get(school=school, applies_to=applies_to, key=key)


def expected_keys(incident: Any, viewer: Any) -> list[str]:
    earlier = expected.earlier_sanctions(incident, viewer)
    return [e.action.key for e in expected.expected_actions(incident, earlier)]
