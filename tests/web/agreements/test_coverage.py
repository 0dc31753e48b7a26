"""Coverage and the chase list: counts by audience, who is left out (archived, expired, another
school's, a pupil with no year group), the grouping by class and team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from schoolgate.web.agreements.actions import do_accept
from schoolgate.web.agreements.chase import NO_CLASS, NO_TEAM, Row, chase, group
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.coverage import agreements_coverage
from schoolgate.web.core.coverage import Coverage
from schoolgate.web.people.choices import PersonKind
from tests.web.agreements.conftest import School1, today, version
from tests.web.factories import Cast, person

pytestmark = pytest.mark.django_db


def test_coverage_counts_each_audience_with_a_version(cast: Cast, school: School1) -> None:
    now = timezone.now()
    do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=now, actor=cast.alice)
    do_accept(school.ta, school.staff, how=HowAccepted.PAPER, at=now, actor=cast.alice)
    archived = person(cast.a, PersonKind.STAFF, first_name="Old", last_name="Gone", archived_at=now)
    do_accept(archived, school.staff, how=HowAccepted.PAPER, at=now, actor=cast.alice)
    person(
        cast.a,
        PersonKind.SUPPLY,
        first_name="Past",
        last_name="Supply",
        expires_at=now - dt.timedelta(days=2),
    )
    person(cast.a, PersonKind.SUPPLY, first_name="Now", last_name="Supply")  # staff's agreement, current
    person(cast.b, PersonKind.STAFF, first_name="Zed", last_name="Other")
    assert agreements_coverage(cast.a, today()) == [
        Coverage(Audience.KS1.label, 2, 1),
        Coverage(Audience.KS2.label, 1, 0),
        Coverage(Audience.STAFF.label, 4, 1),  # teacher, TA, cook, the current supply
    ]


def test_coverage_counts_only_the_version_in_force(cast: Cast, school: School1) -> None:
    do_accept(school.ava, school.ks2, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    school.ks2.in_force_until = today()
    school.ks2.save()
    newer = version(cast.a, Audience.KS2, 2, in_force_from=today() + dt.timedelta(days=1))
    assert Coverage(Audience.KS2.label, 1, 1) in agreements_coverage(cast.a, today())
    after = agreements_coverage(cast.a, newer.in_force_from)
    assert Coverage(Audience.KS2.label, 1, 0) in after


def test_coverage_is_a_few_queries(
    cast: Cast, school: School1, django_assert_max_num_queries: object
) -> None:
    for n in range(30):
        person(cast.a, first_name=f"P{n}", last_name="Pupil", year_group=school.ava.year_group)
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        agreements_coverage(cast.a, today())


def _row(pk: int, kind: str, stage: str | None = None, cls: str = "", team: str = "") -> Row:
    return Row(pk, f"Person {pk:02d}", kind, stage, pk if cls else None, cls, team)


@pytest.mark.parametrize(
    ("rows", "done", "expected"),
    [
        (  # classes first (a pupil in no class last of them), then teams ("No team" last), then the rest
            [
                _row(1, "staff", team="Teaching"),
                _row(2, "pupil", "ks2", cls="5B"),
                _row(3, "pupil", "ks2"),
                _row(4, "staff"),
                _row(5, "pupil", "eyfs", cls="RA"),
                _row(6, "supply", team="Teaching"),
            ],
            set(),
            [("5B", "class", 1, 1), ("RA", "class", 1, 1), (NO_CLASS, "class", 1, 1),
             ("Teaching", "team", 2, 2), (NO_TEAM, "team", 1, 1)],
        ),
        (  # accepted people counted but not listed; an audience with no version left out; no year group too
            [_row(1, "pupil", "ks2", cls="5B"), _row(2, "pupil", "ks2", cls="5B"), _row(3, "parent"),
             _row(4, "pupil", None, cls="5B"), _row(5, "governor")],
            {(1, 20)},
            [("5B", "class", 2, 1), (Audience.VOLUNTEERS.label, "audience", 1, 1)],
        ),
        (  # an acceptance of another version does not count
            [_row(1, "pupil", "ks2", cls="5B")],
            {(1, 10)},
            [("5B", "class", 1, 1)],
        ),
    ],
)  # fmt: skip
def test_the_chase_list_groups(
    rows: list[Row], done: set[tuple[int, int]], expected: list[tuple[str, str, int, int]]
) -> None:
    versions = {Audience.KS1: 10, Audience.KS2: 20, Audience.STAFF: 30, Audience.VOLUNTEERS: 40}
    groups = group(rows, versions, done)
    assert [(g.label, g.kind, g.people, len(g.missing)) for g in groups] == expected


def test_the_chase_list_of_a_school(cast: Cast, school: School1) -> None:
    do_accept(school.leo, school.ks1, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    found = chase(cast.a, today())
    listed = {g.label: [r.name for r in g.missing] for g in found.groups}
    assert listed == {"RA": ["Ruby Adams"], "5B": ["Ava Clark"], "Teaching": ["Tom Teach"],
                      "Support": ["Tia Support"], NO_TEAM: ["Cal Cook"]}  # fmt: skip
    assert [r.name for r in found.no_year_group] == ["Nia Drew"]
    assert found.missing == 5
    only = chase(cast.a, today(), team=NO_TEAM)
    assert [g.label for g in only.groups] == [NO_TEAM] and not only.no_year_group
    assert [g.label for g in chase(cast.a, today(), class_pk=school.b5.pk).groups] == ["5B"]
    assert [g.label for g in chase(cast.a, today(), audience=Audience.KS1).groups] == ["RA"]
