"""Who has accepted this school year's agreement: the counts per audience (read by the annual review and
the governors' report), and who is still to accept (the chase list, the home page).

A few queries whatever the size of the school: the versions in force, the current people as plain rows,
the acceptances of those versions in the year; the audience of each person is worked out here, not
asked of the database person by person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.models import _KINDS, _PUPIL_STAGES, Acceptance, AgreementVersion
from schoolgate.web.core.coverage import Coverage
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person, PersonQuerySet

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School


# `models.audience_of`'s tables keyed by plain strings: a lookup each, for thousands of rows (the
# enums' own `values` builds a list on every call).
_BY_STAGE: dict[str, Audience] = {str(k): a for k, a in _PUPIL_STAGES.items()}
_BY_KIND: dict[str, Audience] = {str(k): a for k, a in _KINDS.items()}


def audience_for(kind: str, key_stage: str | None) -> Audience | None:
    """As `models.audience_of`, from the person's kind and their year group's key stage (None: no
    year group), so that a list of people needs no query each."""
    if kind == PersonKind.PUPIL:
        return _BY_STAGE.get(key_stage) if key_stage else None
    return _BY_KIND.get(kind)


def in_force(school: School, day: dt.date) -> dict[Audience, AgreementVersion]:
    """Each audience's version in force on `day` (one query), as `AgreementVersionQuerySet.in_force`
    chooses: the newest started and not ended."""
    found: dict[Audience, AgreementVersion] = {}
    versions = (
        AgreementVersion.objects.filter(school=school, in_force_from__lte=day)
        .exclude(in_force_until__lt=day)
        .order_by("-in_force_from", "-number")
    )
    for version in versions:
        found.setdefault(Audience(version.audience), version)
    return found


def current_on(school: School, day: dt.date) -> PersonQuerySet:
    """The school's people on `day`: not archived, and their access not ended before that day."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    people: PersonQuerySet = Person.objects.filter(school=school).unarchived()
    return people.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=start))


def accepted(
    school: School,
    versions: dict[Audience, AgreementVersion],
    year: int,
    people: list[int] | None = None,
) -> set[tuple[int, int]]:
    """(person id, version id) of each acceptance of one of `versions` in school year `year` (of
    `people` only, when given: a class or a team, rather than the whole school's)."""
    found = Acceptance.objects.filter(
        school=school, school_year=year, version__in=[v.pk for v in versions.values()]
    )
    if people is not None:
        found = found.filter(person_id__in=people)
    return set(found.values_list("person_id", "version_id"))


@dataclass(frozen=True)
class Standing:
    """Who should accept on a day, and who has: `people[audience]` their ids; `accepted` the ids of
    those who accepted their version in force; `no_year_group` the pupils with no audience yet."""

    versions: dict[Audience, AgreementVersion]
    people: dict[Audience, list[int]]
    accepted: set[int]
    no_year_group: list[int]


def standing(school: School, on: dt.date) -> Standing:
    """Three queries: the versions in force on `on`, the people current then, their acceptances."""
    versions = in_force(school, on)
    people: dict[Audience, list[int]] = {}
    no_year_group: list[int] = []
    rows = current_on(school, on).values_list("pk", "kind", "year_group__key_stage")
    for pk, kind, stage in rows:
        audience = audience_for(kind, stage)
        if audience is None:
            if kind == PersonKind.PUPIL:
                no_year_group.append(pk)
            continue
        people.setdefault(audience, []).append(pk)
    pairs = accepted(school, versions, school_year(on)) if versions else set()
    done = {
        pk
        for audience, ids in people.items()
        if audience in versions
        for pk in ids
        if (pk, versions[audience].pk) in pairs
    }
    return Standing(versions, people, done, no_year_group)


def agreements_coverage(school: School, on: dt.date) -> list[Coverage]:
    """One line per audience with a version in force on `on` (in the order of `Audience`): its current
    people, and how many of them accepted that version in the school year of `on`."""
    state = standing(school, on)
    lines = []
    for audience in Audience:
        if audience not in state.versions:
            continue
        ids = state.people.get(audience, [])
        lines.append(Coverage(audience.label, len(ids), sum(1 for pk in ids if pk in state.accepted)))
    return lines
