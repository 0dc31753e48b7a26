"""Who sees which incident: the rules behind `Incident.objects.restrict(user, capability, school)`,
through which every page, action and report of the log fetches incidents, so that a page that forgot a
check still shows nothing it should not.

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

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.incidents.apps import IN_CHARGE
from schoolgate.web.incidents.choices import ANSWERING_ROLES, NAMING_ROLES, IncidentKind
from schoolgate.web.incidents.models import Incident, Involvement
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


def rule(user: User, school_id: int, capabilities: Iterable[Capability]) -> Q | None:
    """Which incidents at the school `capabilities` open to `user` (None: none at all), for
    `IncidentQuerySet.restrict`, the one way the log's incidents are fetched for someone:

    - `incidents.report` opens what the log lists for them: the concerns they reported (not one that
      turned out to be about them), and every incident they deal with;
    - the capabilities of those in charge (`apps.IN_CHARGE`) open the incidents they deal with: see
      and change. What one deals with follows from all one's roles at the school together (a
      restricted pupil incident only with `incidents.restricted` too), never an incident that names
      them.
    Only capabilities the user holds there count."""
    held = _capabilities(user, school_id)
    given = set(capabilities)
    in_charge = _in_charge(held) if given.intersection(IN_CHARGE) else None
    found: Q | None = None
    if Capability.INCIDENT_REPORT in given and (
        Capability.INCIDENT_REPORT in held or _in_charge(held) is not None
    ):
        found = Q(reported_by=user) & ~Q(naming(user, ANSWERING_ROLES))
        in_charge = _in_charge(held)
    if in_charge is not None:
        dealt = in_charge & ~Q(naming(user))
        found = dealt if found is None else found | dealt
    return found


def deals_with(user: User, incident: Incident) -> bool:
    """Whether `user` deals with `incident` (the check the actions make): their role deals with its
    kind, and it does not name them."""
    found = _in_charge(_capabilities(user, incident.school_id))
    return found is not None and Incident.objects.filter(found, ~naming(user), pk=incident.pk).exists()


def named_in(user: User, incident: Incident) -> bool:
    """Whether `incident` names `user` (in any part but its reporter)."""
    return Incident.objects.filter(naming(user), pk=incident.pk).exists()


def any_in_charge(user: User, school: School) -> bool:
    return _in_charge(_capabilities(user, school.pk)) is not None
