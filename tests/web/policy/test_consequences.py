"""What a change to the groups would do, said before it is made: table tests over the Northfield rows
(tests/web/policy/helpers.small_policy) in real SQLite, each change held in memory and never written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.models import ClassGroup, YearGroup
from schoolgate.web.policy import consequences
from schoolgate.web.policy.choices import MemberKind, Verdict
from schoolgate.web.policy.models import FilterGroup, GroupMember
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Northfield, Paths, small_policy

Change = Callable[[Cast, Northfield], consequences.Consequences]


def _year6(cast: Cast, rows: Northfield, *, within: FilterGroup | None = None) -> FilterGroup:
    with acting_as(cast.nina):
        return FilterGroup.objects.create(school=cast.a, name="year-6", default=Verdict.ALLOW, within=within)


def _class_6b(group: FilterGroup) -> GroupMember:
    return GroupMember(
        school=group.school, group=group, kind=MemberKind.CLASS_GROUP,
        class_group=ClassGroup.objects.get(school=group.school, name="6B"),
    )  # fmt: skip


def add_6b_to_year6(cast: Cast, rows: Northfield) -> consequences.Consequences:
    return consequences.of_member_added(_class_6b(_year6(cast, rows)))


def add_6b_to_year6_within_ks2(cast: Cast, rows: Northfield) -> consequences.Consequences:
    return consequences.of_member_added(_class_6b(_year6(cast, rows, within=rows.ks2)))


def add_year_6_to_year6(cast: Cast, rows: Northfield) -> consequences.Consequences:
    year6 = _year6(cast, rows)
    member = GroupMember(
        school=cast.a, group=year6, kind=MemberKind.YEAR_GROUP,
        year_group=YearGroup.objects.get(school=cast.a, name="Year 6"),
    )  # fmt: skip
    return consequences.of_member_added(member)


def take_patel_out_of_nominated(cast: Cast, rows: Northfield) -> consequences.Consequences:
    return consequences.of_member_removed(GroupMember.objects.get(group=rows.nominated))


def remove_visitors(cast: Cast, rows: Northfield) -> consequences.Consequences:
    return consequences.of_group_removed(rows.visitors)


def put_year6_within_ks2(cast: Cast, rows: Northfield) -> consequences.Consequences:
    year6 = _year6(cast, rows)
    with acting_as(cast.nina):
        _class_6b(year6).save()
    year6.within = rows.ks2
    return consequences.of_group_saved(year6)


def take_year6_out_of_ks2(cast: Cast, rows: Northfield) -> consequences.Consequences:
    year6 = _year6(cast, rows, within=rows.ks2)
    with acting_as(cast.nina):
        _class_6b(year6).save()
    year6.within = None
    return consequences.of_group_saved(year6)


def safe_search_off_for_ks2(cast: Cast, rows: Northfield) -> consequences.Consequences:
    rows.ks2.safe_search = False
    return consequences.of_group_saved(rows.ks2)


def new_empty_group(cast: Cast, rows: Northfield) -> consequences.Consequences:
    return consequences.of_group_saved(FilterGroup(school=cast.a, name="ks1", within=rows.ks2))


def add_a_class_nobody_is_in(cast: Cast, rows: Northfield) -> consequences.Consequences:
    with acting_as(cast.nina):
        empty = ClassGroup.objects.create(school=cast.a, name="3C")
    member = GroupMember(school=cast.a, group=rows.visitors, kind=MemberKind.CLASS_GROUP, class_group=empty)
    return consequences.of_member_added(member)


CASES: list[tuple[Change, list[str]]] = [
    (add_6b_to_year6, [
        '1 pupil will move from "ks2" to "year-6" and will no longer get the rules of "ks2" '
        "(1 rule names it).",
    ]),
    (add_6b_to_year6_within_ks2, [
        '1 pupil will move from "ks2" to "year-6" and keep the rules of "ks2" ("year-6" is part of "ks2").',
    ]),
    (add_year_6_to_year6, [
        '2 pupils would be in both "ks2" and "year-6", claimed by each in the same way: publishing is '
        "refused until one of them lets go (make one group part of the other, or add them to one more "
        "specifically).",
    ]),
    (take_patel_out_of_nominated, [
        '1 member of staff will move from "nominated-staff" to "staff" and will no longer get the rules of '
        '"nominated-staff" (1 rule names it).',
    ]),
    (remove_visitors, [
        '1 device or address range will move from "visitors" to "default" (not identified) and will no '
        'longer get the rules of "visitors" (no rule names it yet); and will have the sites that no rule '
        "decides blocked.",
    ]),
    (put_year6_within_ks2, [
        'The 1 pupil in "year-6" will get the rules of "ks2" (1 rule names it) too, after the rules of '
        '"year-6".',
    ]),
    (take_year6_out_of_ks2, [
        'The 1 pupil in "year-6" will no longer get the rules of "ks2" (1 rule names it).',
    ]),
    (safe_search_off_for_ks2, ['The 2 pupils in "ks2" will have safe search off.']),
    (new_empty_group, []),
    (add_a_class_nobody_is_in, []),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_each_change_is_said_in_words(cast: Cast, paths: Paths, change: Change, expected: list[str]) -> None:
    rows = small_policy(cast)
    members, groups = GroupMember.objects.count(), FilterGroup.objects.count()
    said = change(cast, rows)
    assert said.sentences == expected
    assert said.nothing == (not expected)
    # Nothing was written by working it out (the scenario's own set-up aside).
    assert GroupMember.objects.count() - members <= 1 and FilterGroup.objects.count() - groups <= 1


def test_the_pages_ask_first_and_write_only_what_was_confirmed(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    year6 = _year6(cast, rows)
    with acting_as(cast.nina):
        _class_6b(year6).save()
    client = logged_in(cast.nina)
    edit = f"/policy/groups/{year6.pk}/edit/"
    posted = {
        "name": "year-6",
        "within": rows.ks2.pk,
        "default": "allow",
        "safe_search": "on",
        "youtube": "strict",
    }
    asked = client.post(edit, posted)
    assert asked.status_code == 200 and asked.context["sentences"] == [
        'The 1 pupil in "year-6" will get the rules of "ks2" (1 rule names it) too, after the rules of '
        '"year-6".'
    ]
    assert 'name="confirm"' in asked.content.decode()
    year6.refresh_from_db()
    assert year6.within is None  # nothing written yet
    # A confirmation of something else (the groups changed in between) is not taken: asked again.
    stale = client.post(edit, {**posted, "confirm": "0" * 24})
    assert stale.status_code == 200 and stale.context["stale"]
    assert client.post(edit, {**posted, "confirm": asked.context["fingerprint"]}).status_code == 302
    year6.refresh_from_db()
    assert year6.within == rows.ks2

    # Taking Patel out of "nominated-staff" moves him to "staff": asked first, then done.
    member = GroupMember.objects.get(group=rows.nominated)
    remove = f"/policy/groups/{rows.nominated.pk}/members/{member.pk}/remove/"
    asked = client.post(remove)
    assert asked.status_code == 200 and asked.context["sentences"][0].startswith(
        '1 member of staff will move from "nominated-staff" to "staff"'
    )
    assert GroupMember.objects.filter(pk=member.pk).exists()
    assert client.post(remove, {"confirm": asked.context["fingerprint"]}).status_code == 302
    assert not GroupMember.objects.filter(pk=member.pk).exists()
