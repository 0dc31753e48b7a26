"""Who sees which incident. Every page fetches incidents through these two functions, so a page that
forgot a check still shows nothing it should not.

- Any member of staff sees the concerns they reported themselves (what they wrote, and where it is),
  unless the concern turned out to be about them.
- The DSL team (`incidents.manage`) sees every pupil incident, and works on it; a restricted one only
  with `incidents.restricted` (the DSL and deputies).
- A concern about a member of staff goes to the headteacher (`incidents.allegations`) only, and one
  about the headteacher to the chair of governors (`incidents.allegations-head`) only.
- Nobody deals with a concern that names them (in any part but its reporter): linked to their record
  or their login, or by a name that may be theirs (`names.user_keys`), whether that name was typed or
  is that of a record picked from the list (their record as a parent, or their staff record that
  nothing links to their login). Others deal with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.incidents.choices import ANSWERING_ROLES, NAMING_ROLES, IncidentKind
from schoolgate.web.incidents.models import Incident, IncidentQuerySet, Involvement
from schoolgate.web.incidents.names import partial, user_keys, user_name_keys
from schoolgate.web.people.choices import PersonKind

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


def _in_charge(capabilities: frozenset[Capability]) -> Q | None:
    """The incidents a holder of `capabilities` deals with (None: none at all)."""
    parts: list[Q] = []
    if Capability.INCIDENT_MANAGE in capabilities:
        pupil = Q(kind=IncidentKind.PUPIL)
        if Capability.INCIDENT_RESTRICTED not in capabilities:
            pupil &= Q(restricted=False)
        parts.append(pupil)
    if Capability.ALLEGATIONS in capabilities:
        parts.append(Q(kind=IncidentKind.STAFF, concerns_headteacher=False))
    if Capability.ALLEGATIONS_HEAD in capabilities:
        parts.append(Q(kind=IncidentKind.STAFF, concerns_headteacher=True))
    if not parts:
        return None
    found = parts[0]
    for part in parts[1:]:
        found |= part
    return found


def _capabilities(user: User, school_id: int) -> frozenset[Capability]:
    if not user.is_authenticated:
        return frozenset()
    return user.capabilities_by_school().get(school_id, frozenset())


def naming(user: User, roles: frozenset[str] = NAMING_ROLES) -> Exists:
    """Whether an incident names `user` in one of `roles`: linked to their record or login, or by a
    name that may be theirs, linked to a record or not (every involvement keeps its name's key)."""
    named = Q(person__user=user) | Q(user=user) | Q(name_key__in=sorted(user_keys(user)))
    for key in sorted(user_name_keys(user)):
        for initial, last in partial(key):
            named |= _answering(initial, last)
    return Exists(Involvement.objects.filter(named, incident=OuterRef("pk"), role__in=sorted(roles)))


def _answering(initial: str, last: str) -> Q:
    """The names that answer to one given only in part, "Mrs Evans" (no `initial`) or "M. Evans": an
    adult's full name with that last name (and a first name of that initial). A key is its two words
    in alphabetical order, so the last name may come first or second."""
    if initial:
        found = Q(name_key__startswith=f"{last} {initial}") | Q(
            name_key__startswith=initial, name_key__endswith=f" {last}"
        )
    else:
        found = Q(name_key__startswith=f"{last} ") | Q(name_key__endswith=f" {last}")
    return found & ~Q(person__kind=PersonKind.PUPIL)


def managed(user: User, school: School) -> IncidentQuerySet:
    """The incidents at `school` that `user` deals with: sees in full and may change. Not one that
    names them, whatever their role."""
    rule = _in_charge(_capabilities(user, school.pk))
    if rule is None:
        return Incident.objects.none()
    return Incident.objects.filter(rule, ~naming(user), school=school)


def visible(user: User, school: School) -> IncidentQuerySet:
    """`managed`, and the concerns `user` reported at `school`."""
    capabilities = _capabilities(user, school.pk)
    if Capability.INCIDENT_REPORT not in capabilities and _in_charge(capabilities) is None:
        return Incident.objects.none()
    # Not a concern that turned out to be about the one who reported it.
    rule: Q = Q(reported_by=user) & ~Q(naming(user, ANSWERING_ROLES))
    in_charge = _in_charge(capabilities)
    if in_charge is not None:
        rule |= in_charge & ~Q(naming(user))
    return Incident.objects.filter(rule, school=school)


def deals_with(user: User, incident: Incident) -> bool:
    """Whether `user` deals with `incident` (the check the actions make): their role deals with its
    kind, and it does not name them."""
    rule = _in_charge(_capabilities(user, incident.school_id))
    return rule is not None and Incident.objects.filter(rule, ~naming(user), pk=incident.pk).exists()


def named_in(user: User, incident: Incident) -> bool:
    """Whether `incident` names `user` (in any part but its reporter)."""
    return Incident.objects.filter(naming(user), pk=incident.pk).exists()


def any_in_charge(user: User, school: School) -> bool:
    return _in_charge(_capabilities(user, school.pk)) is not None
