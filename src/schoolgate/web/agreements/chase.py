"""The chase list: who has not accepted this school year's agreement, by class (pupils), by staff team
(`Person.team`), and by audience for everyone else (volunteers, visitors, parents).

One query for the people (plain rows), one for the versions in force, one for the acceptances; the
grouping is `group` (a pure function, tested by table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q

from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.coverage import accepted, audience_for, current_on, in_force
from schoolgate.web.agreements.models import _KINDS, _PUPIL_STAGES, AgreementVersion
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import PersonKind

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

NO_TEAM = "No team"
NO_CLASS = "No class"
FEW = 500  # people of a narrowed list, few enough to ask only their acceptances
STAFF_KINDS = frozenset({PersonKind.STAFF, PersonKind.SUPPLY})


@dataclass(frozen=True)
class Row:
    """One person, as the list needs them."""

    pk: int
    name: str
    kind: str
    key_stage: str | None
    class_pk: int | None
    class_name: str
    team: str
    audience: Audience | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "audience", audience_for(self.kind, self.key_stage))

    @property
    def group(self) -> tuple[int, str]:
        """(order, label) of the group the person is listed in: classes, then teams, then the rest."""
        if self.kind == PersonKind.PUPIL:
            return (0, self.class_name or NO_CLASS)
        if self.kind in STAFF_KINDS:
            return (1, self.team or NO_TEAM)
        audience = self.audience
        return (2, audience.label if audience else PersonKind(self.kind).label)


@dataclass
class Group:
    """A class, a team, or an audience: how many should accept, and who has not."""

    label: str
    kind: str  # "class", "team", "audience"
    people: int = 0
    missing: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Chase:
    groups: list[Group]
    no_year_group: list[Row]
    versions: dict[Audience, AgreementVersion]

    @property
    def missing(self) -> int:
        return sum(len(g.missing) for g in self.groups)


_KINDS_OF_GROUP = ("class", "team", "audience")


def group(rows: Iterable[Row], versions: dict[Audience, int], done: set[tuple[int, int]]) -> list[Group]:
    """The groups of `rows` whose audience has a version in force (`versions`: audience -> version id),
    each with its count and the people without an acceptance of their version (`done`: (person id,
    version id)); groups in order (classes, teams, the rest, each by name), people by name."""
    groups: dict[tuple[int, str], Group] = {}
    for row in rows:
        audience = row.audience
        if audience is None or audience not in versions:
            continue
        key = row.group
        found = groups.setdefault(key, Group(key[1], _KINDS_OF_GROUP[key[0]]))
        found.people += 1
        if (row.pk, versions[audience]) not in done:
            found.missing.append(row)
    for found in groups.values():
        found.missing.sort(key=lambda r: r.name.casefold())
    return [groups[key] for key in sorted(groups, key=lambda k: (k[0], k[1] in (NO_CLASS, NO_TEAM), k[1]))]


def rows(school: School, on: dt.date, narrowed: Q | None = None) -> list[Row]:
    """The school's current people on `on` (those `narrowed` picks, if given), as rows."""
    people = current_on(school, on)
    if narrowed is not None:
        people = people.filter(narrowed)
    found = people.values_list(
        "pk",
        "first_name",
        "preferred_name",
        "last_name",
        "kind",
        "year_group__key_stage",
        "class_group_id",
        "class_group__name",
        "team",
    )
    return [
        Row(pk, f"{preferred or first} {last}".strip(), kind, stage, class_pk, class_name or "", team or "")
        for pk, first, preferred, last, kind, stage, class_pk, class_name, team in found
    ]


def of_audience(audience: Audience) -> Q:
    """The people whose agreement is `audience`'s, as a query."""
    stages = [str(k) for k, a in _PUPIL_STAGES.items() if a == audience]
    if stages:
        return Q(kind=PersonKind.PUPIL, year_group__key_stage__in=stages)
    return Q(kind__in=[str(k) for k, a in _KINDS.items() if a == audience])


def chase(
    school: School,
    on: dt.date,
    *,
    audience: Audience | None = None,
    class_pk: int | None = None,
    team: str | None = None,
) -> Chase:
    """Who has not accepted their agreement in force on `on`, in the school year of `on`, by group;
    narrowed to one audience, one class, or one staff team (`NO_TEAM` for those with none): the
    narrowing is done by the database, so that one class reads only its pupils."""
    narrowed = Q()
    if audience is not None:
        narrowed &= of_audience(audience)
    if class_pk is not None:
        narrowed &= Q(kind=PersonKind.PUPIL, class_group_id=class_pk)
    if team is not None:
        narrowed &= Q(kind__in=[str(k) for k in STAFF_KINDS], team="" if team == NO_TEAM else team)
    versions = in_force(school, on)
    everyone = rows(school, on, narrowed)
    few = [r.pk for r in everyone] if len(everyone) <= FEW else None
    done = accepted(school, versions, school_year(on), few) if versions else set()
    no_year_group = [r for r in everyone if r.kind == PersonKind.PUPIL and r.audience is None]
    ids = {a: v.pk for a, v in versions.items()}
    return Chase(group(everyone, ids, done), no_year_group, versions)


def teams(school: School, on: dt.date) -> list[str]:
    """The staff teams of the school's current staff, by name, with `NO_TEAM` last if anyone has none."""
    found = set(
        current_on(school, on).filter(kind__in=list(STAFF_KINDS)).values_list("team", flat=True).distinct()
    )
    named = sorted({t for t in found if t}, key=str.casefold)
    return named + ([NO_TEAM] if "" in found else [])
