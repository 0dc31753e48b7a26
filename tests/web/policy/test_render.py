"""render.py: a school's policy rows as the policy file's text: the golden file, the real loader,
escaping, determinism, and how people and identities come into groups."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path

from schoolgate.policyfile.load import parse_policy
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy import actions
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.models import FilterGroup, GroupMember
from schoolgate.web.policy.render import compress_days, render_policy
from tests.web.factories import Cast
from tests.web.policy.helpers import EXAMPLE_LISTS, IN_LESSONS, small_policy

GOLDEN = Path(__file__).parent / "golden" / "northfield.toml"
INDEX = Path("/srv/schoolgate/lists.sgidx")


def test_the_small_policy_renders_exactly_as_the_golden_file(cast: Cast) -> None:
    small_policy(cast)
    text = render_policy(cast.a, index_path=INDEX, at=IN_LESSONS).text
    if os.environ.get("SCHOOLGATE_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_rendered_text_loads_with_the_real_loader(cast: Cast, tmp_path: Path) -> None:
    policy_rows = small_policy(cast)
    text = render_policy(cast.a, index_path=INDEX, at=IN_LESSONS).text
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "iwf-test.txt").write_text((EXAMPLE_LISTS / "iwf-test.txt").read_text())
    loaded = parse_policy(text, str(tmp_path / "policy.toml"), tmp_path)
    policy = loaded.policy
    assert policy.school == "Northfield Primary"
    assert sorted(policy.groups) == ["default", "ks2", "nominated-staff", "staff", "visitors"]
    assert policy.groups["ks2"].description == 'Key Stage 2 — "Year 5" and Year 6 pupils\\own user names'
    assert policy.sites["curriculum"].description == "Sites every lesson needs,\nwhatever the categories say"
    # Who is in which group: by year group, by kind, one person (more specific than the kind), an
    # identity named directly; user names in lower case; the pupil who left is not there.
    assert dict(policy.users) == {
        "ks2-amelia": "ks2",
        "ks2-oliver": "ks2",
        "mrs.jones": "staff",
        "mr.patel": "nominated-staff",
    }
    assert sorted((str(n.network), n.group, n.label) for n in policy.networks) == [
        ("10.10.200.0/24", "visitors", "guest Wi-Fi"),
        ("10.10.5.20/32", "nominated-staff", "Mr Patel's laptop"),
    ]
    assert [r.name for r in policy.rules] == [r.name for r in policy_rows.rules]
    unblock = policy.rules[1]
    assert unblock.groups == ("ks2",) and unblock.expires == dt.datetime(2026, 12, 18, 15, 30, tzinfo=dt.UTC)
    assert policy.rules[3].window == "free-time" and policy.rules[3].groups == ("nominated-staff", "staff")
    lessons = policy.windows["lessons"]
    assert lessons.contains(IN_LESSONS) and not lessons.contains(
        dt.datetime(2026, 10, 27, 10, 30, tzinfo=IN_LESSONS.tzinfo)
    )
    assert policy.categories["child-abuse"].locked and loaded.lists["iwf"].locked


def test_the_same_rows_give_the_same_bytes_whatever_order_they_were_made_in(cast: Cast) -> None:
    small_policy(cast)
    first = render_policy(cast.a, at=IN_LESSONS).text
    # The same groups made again in the other order (new ids) give the same text.
    with acting_as(cast.nina):
        groups = list(FilterGroup.objects.filter(school=cast.a).order_by("-name"))
        for group in groups:
            members = list(group.members.all())
            rules = list(group.rules.all())
            group.pk = None
            group.name = group.name + "-x"
            group.save()
            for member in members:
                member.pk = None
                member.group = group
                member.save()
            for rule in rules:
                rule.groups.add(group)
        for group in groups:
            old = FilterGroup.objects.get(school=cast.a, name=group.name.removesuffix("-x"))
            old.delete()
            group.name = group.name.removesuffix("-x")
            group.save()
    assert render_policy(cast.a, at=IN_LESSONS).text == first
    assert render_policy(cast.a, at=IN_LESSONS).text == first


def test_days_are_written_as_ranges_where_they_run_on() -> None:
    assert compress_days(["fri", "mon", "tue", "wed", "thu"]) == ["mon-fri"]
    assert compress_days(["sat", "sun"]) == ["sat", "sun"]
    assert compress_days(["mon", "wed", "thu", "fri", "sun"]) == ["mon", "wed-fri", "sun"]


def test_the_most_specific_way_into_a_group_wins(cast: Cast) -> None:
    rows = small_policy(cast)
    with acting_as(cast.nina):
        GroupMember.objects.create(school=cast.a, group=rows.nominated, kind=MemberKind.CLASS_GROUP,
                                   class_group=rows.amelia.class_group)  # fmt: skip
    text = render_policy(cast.a, at=IN_LESSONS).text
    users = {u: e["group"] for e in tomllib.loads(text)["identities"] for u in e.get("users", [])}
    assert users["ks2-amelia"] == "nominated-staff"  # her class (more specific than her year group)
    assert users["ks2-oliver"] == "ks2"


def test_two_groups_claiming_one_identity_the_same_way_stop_a_publish(cast: Cast, paths: object) -> None:
    rows = small_policy(cast)
    with acting_as(cast.nina):
        GroupMember.objects.create(school=cast.a, group=rows.visitors, kind=MemberKind.PERSON_KIND,
                                   person_kind=PersonKind.STAFF)  # fmt: skip
    draft = actions.check_draft(cast.a)
    messages = [p.message for p in draft.problems]
    assert any('user name mrs.jones (Mair Jones) would be in the groups "staff"' in m for m in messages), (
        messages
    )
    conflict = next(p for p in draft.problems if "mrs.jones" in p.message)
    assert conflict.where == 'Who is in group "staff"' and conflict.url == rows.staff.get_absolute_url()


def test_an_expired_visitor_and_an_archived_pupil_are_left_out(cast: Cast) -> None:
    rows = small_policy(cast)
    with acting_as(cast.nina):
        visitor = Person.objects.create(
            school=cast.a, kind=PersonKind.VISITOR, first_name="Vic", last_name="Visitor",
            expires_at=IN_LESSONS - dt.timedelta(hours=1),
        )  # fmt: skip
        NetworkIdentity.objects.create(school=cast.a, person=visitor, kind=IdentityKind.USERNAME, value="vic")
        GroupMember.objects.create(school=cast.a, group=rows.visitors, kind=MemberKind.PERSON, person=visitor)
    text = render_policy(cast.a, at=IN_LESSONS).text
    assert '"vic"' not in text and "ks2-noah" not in text
    assert '"vic"' in render_policy(cast.a, at=IN_LESSONS - dt.timedelta(hours=2)).text
