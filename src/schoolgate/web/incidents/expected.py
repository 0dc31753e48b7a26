"""What the sanctions matrix expects for an incident: the actions of its row of misuse (and of the row
for continued infringements, when a person it is about was warned or sanctioned before), and which of
them were taken; and those earlier incidents, among the ones the viewer deals with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schoolgate.web.incidents.apps import IN_CHARGE
from schoolgate.web.incidents.choices import ANSWERING_ROLES, Status
from schoolgate.web.incidents.models import ActionTaken, Incident, Involvement
from schoolgate.web.sanctions.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User


@dataclass(frozen=True)
class Earlier:
    """An earlier incident of the same person, in which a warning or sanction was taken."""

    incident: Incident
    person_name: str
    sanctions: tuple[str, ...]


def earlier_sanctions(incident: Incident, viewer: User) -> list[Earlier]:
    """The earlier incidents (not archived, of the same kind, and among those `viewer` deals with) in
    which a person this one is about (its subject or alleged perpetrator) was also the one answering
    for it, and a warning or sanction was taken. What `viewer` may not open is not told here either."""
    people = {
        i.person_id: i.name
        for i in incident.involvements.all()
        if i.person_id is not None and i.role in ANSWERING_ROLES
    }
    if not people:
        return []
    before = (
        Involvement.objects.filter(
            school_id=incident.school_id,
            person_id__in=sorted(people),
            role__in=sorted(ANSWERING_ROLES),
            incident__reported_at__lt=incident.reported_at,
            incident__kind=incident.kind,
            incident__in=Incident.objects.restrict(viewer, IN_CHARGE, incident.school),
        )
        .exclude(incident_id=incident.pk)
        .exclude(incident__status=Status.ARCHIVED)
        .values_list("incident_id", "person_id")
    )
    by_incident: dict[int, set[int]] = {}
    for incident_id, person_id in before:
        by_incident.setdefault(incident_id, set()).add(person_id)
    if not by_incident:
        return []
    taken = (
        ActionTaken.objects.filter(incident_id__in=sorted(by_incident), action__is_sanction=True)
        .select_related("action", "incident", "involvement")
        .order_by("incident__reported_at", "taken_at")
    )
    found: dict[tuple[int, int], list[str]] = {}
    incidents: dict[int, Incident] = {}
    for action in taken:
        about = action.involvement.person_id if action.involvement is not None else None
        for person_id in by_incident[action.incident_id]:
            if about is None or about == person_id:
                found.setdefault((action.incident_id, person_id), []).append(action.action.name)
                incidents[action.incident_id] = action.incident
    return [
        Earlier(incidents[incident_id], people[person_id], tuple(dict.fromkeys(names)))
        for (incident_id, person_id), names in found.items()
    ]


@dataclass(frozen=True)
class Expected:
    action: SanctionAction
    because: str  # the matrix row that expects it
    taken: bool


def expected_actions(incident: Incident, earlier: list[Earlier]) -> list[Expected]:
    """The actions the matrix expects for the incident's misuse (and for continued infringements, when
    there were earlier warnings or sanctions), and whether each has been taken."""
    rows: list[Misuse] = []
    if incident.misuse_id is not None:
        rows.append(Misuse.objects.prefetch_related("expected").get(pk=incident.misuse_id))
    if earlier:
        rows += list(
            Misuse.objects.filter(school_id=incident.school_id, applies_to=incident.kind, is_continued=True)
            .exclude(pk__in=[r.pk for r in rows])
            .prefetch_related("expected")
        )
    taken = set(incident.actions_taken.values_list("action_id", flat=True))
    out: dict[int, Expected] = {}
    for row in rows:
        for action in row.expected.all():
            out.setdefault(action.pk, Expected(action, row.description, action.pk in taken))
    return sorted(out.values(), key=lambda e: (e.action.order, e.action.pk))
