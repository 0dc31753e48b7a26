"""Groups within groups and people whose access ends, as the editor writes them into the policy file."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from schoolgate.engine.decide import Request, decide
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person, YearGroup
from schoolgate.web.policy import actions
from schoolgate.web.policy.choices import MemberKind, Verdict
from schoolgate.web.policy.forms import GroupForm
from schoolgate.web.policy.models import FilterGroup, GroupMember
from schoolgate.web.policy.render import load_rows, render
from tests.web.factories import Cast
from tests.web.policy.helpers import IN_LESSONS, LONDON, Northfield, Paths, compile_draft_lists, small_policy


def year6_group(cast: Cast, rows: Northfield, *, within: FilterGroup | None) -> FilterGroup:
    """A group `year-6` that claims Year 6 the same way ks2 does (by year group)."""
    with acting_as(cast.nina):
        year6 = FilterGroup.objects.create(school=cast.a, name="year-6", default=Verdict.ALLOW, within=within)
        GroupMember.objects.create(
            school=cast.a, group=year6, kind=MemberKind.YEAR_GROUP,
            year_group=YearGroup.objects.get(school=cast.a, name="Year 6"),
        )  # fmt: skip
    return year6


def test_within_is_written_and_the_narrower_group_wins_without_a_conflict(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    year6 = year6_group(cast, rows, within=rows.ks2)
    loaded = load_rows(cast.a)
    assert loaded.conflicts == []
    assert loaded.users["year-6"] == ["ks2-amelia", "ks2-oliver"] and "ks2" not in loaded.users
    data = tomllib.loads(render(loaded).text)
    assert data["groups"]["year-6"]["within"] == "ks2" and "within" not in data["groups"]["ks2"]
    compile_draft_lists(cast.a, paths)
    checked = actions.check_text(actions.check_draft(cast.a).text, cast.a)
    assert checked.compiled is not None and checked.problems == []
    casino = decide(checked.compiled, Request("http://0-casino.info/", "ks2-amelia"), IN_LESSONS)
    assert (casino.group, casino.verdict, casino.rule_name) == ("year-6", "block", "pupils may not gamble")
    # Without `within`, the two groups claim Year 6 the same way: a conflict, which stops a publish.
    with acting_as(cast.nina):
        year6.within = None
        year6.save()
    conflicts = load_rows(cast.a).conflicts
    assert len(conflicts) == 2 and all("ks2" in c.message and "year-6" in c.message for c in conflicts)


@pytest.mark.parametrize(
    ("group", "within", "allowed"),
    [
        ("year-6", "ks2", True),
        ("year-6", "staff", True),
        ("ks2", "year-6", False),  # year-6 is part of ks2: a circle
        ("year-6", "year-6", False),  # itself
        ("year-6", "default", False),  # the unidentified are part of nothing
        ("default", "ks2", False),
    ],
)
def test_a_group_may_be_part_of_another_but_never_in_a_circle_or_of_default(
    cast: Cast, paths: Paths, group: str, within: str, allowed: bool
) -> None:
    rows = small_policy(cast)
    year6_group(cast, rows, within=rows.ks2)
    chosen = FilterGroup.objects.get(school=cast.a, name=group)
    parent = FilterGroup.objects.get(school=cast.a, name=within)
    form = GroupForm(school=cast.a, instance=chosen)
    assert (parent in form.fields["within"].queryset) == (allowed and group != "default")  # type: ignore[attr-defined]
    chosen.within = parent
    if allowed:
        actions.do_save(chosen, actor=cast.nina)
        assert FilterGroup.objects.get(pk=chosen.pk).within == parent
    else:
        with pytest.raises(actions.ActionError):
            actions.do_save(chosen, actor=cast.nina)


def test_a_group_others_are_part_of_is_not_removed(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    year6_group(cast, rows, within=rows.ks2)
    with pytest.raises(actions.InUseError, match='other groups are part of it: "year-6"'):
        actions.do_delete(rows.ks2, actor=cast.nina)


def test_people_whose_access_ends_are_written_in_timed_blocks_and_leave_on_time(
    cast: Cast, paths: Paths
) -> None:
    rows = small_policy(cast)
    ends = IN_LESSONS + dt.timedelta(hours=3)
    with acting_as(cast.nina):
        for first, value, kind in (
            ("Vic", "vic", IdentityKind.USERNAME),
            ("Val", "10.10.7.7", IdentityKind.DEVICE),
        ):
            guest = Person.objects.create(
                school=cast.a, kind=PersonKind.SUPPLY, first_name=first, last_name="Supply", expires_at=ends
            )
            NetworkIdentity.objects.create(
                school=cast.a, person=guest, kind=kind, value=value, label="supply"
            )
        GroupMember.objects.create(
            school=cast.a, group=rows.visitors, kind=MemberKind.PERSON_KIND, person_kind=PersonKind.SUPPLY
        )
    text = render(load_rows(cast.a, IN_LESSONS)).text
    blocks = [b for b in tomllib.loads(text)["identities"] if b["group"] == "visitors"]
    assert blocks == [
        {"group": "visitors", "networks": ["10.10.200.0/24"], "label": "guest Wi-Fi"},
        {"group": "visitors", "users": ["vic"], "expires": ends.astimezone(LONDON)},
        {"group": "visitors", "networks": ["10.10.7.7"], "label": "supply", "expires": ends},
    ]
    compile_draft_lists(cast.a, paths)
    checked = actions.check_text(actions.check_draft(cast.a, at=IN_LESSONS).text, cast.a)
    assert checked.compiled is not None and checked.problems == []
    for user, address in (("vic", None), (None, "10.10.7.7")):
        before = decide(checked.compiled, Request("http://example.org/", user, address), IN_LESSONS)
        after = decide(checked.compiled, Request("http://example.org/", user, address), ends)
        assert (before.group, after.group) == ("visitors", "default")
    # Once they have gone, they are not written at all.
    assert "vic" not in render(load_rows(cast.a, ends)).text
