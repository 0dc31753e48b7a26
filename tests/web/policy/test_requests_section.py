"""The requests section: approved requests' grants written after the base policy, decided by the real
engine against real compiled lists, and published on their own (never the editor's draft)."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from django.utils import timezone

from schoolgate.engine.decide import Request, decide, explain
from schoolgate.engine.policy import Action, CompiledPolicy
from schoolgate.policyfile.sections import REQUESTS_MARKER, split_requests
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.filterrequests.choices import Audience
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy import actions
from schoolgate.web.policy.choices import MemberKind, Verdict
from schoolgate.web.policy.models import FilterGroup, GroupMember, PolicyVersion
from schoolgate.web.policy.requests_section import join_requests, reach
from tests.web.factories import Cast
from tests.web.policy.helpers import IN_LESSONS, Northfield, Paths, compile_draft_lists, small_policy
from tests.web.policy.requests import GAME, grant

HOUR = dt.timedelta(hours=1)


def compiled_draft(cast: Cast, paths: Paths, at: dt.datetime = IN_LESSONS) -> CompiledPolicy:
    """The draft (rows and requests section) checked and compiled against the real lists."""
    compile_draft_lists(cast.a, paths)
    draft = actions.check_draft(cast.a, at=at)
    assert draft.ok, draft.problems
    checked = actions.check_text(draft.text, cast.a)
    assert checked.compiled is not None and not checked.problems
    return checked.compiled


def section(text: str) -> dict[str, Any]:
    part = split_requests(text)[1]
    assert part.startswith(REQUESTS_MARKER + "\n")
    return tomllib.loads(part)


def test_with_no_grant_in_force_the_draft_is_the_rows_alone(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    grant(cast, Audience.PERSON, person=rows.amelia, expires=IN_LESSONS - HOUR)  # over already
    text = actions.check_draft(cast.a, at=IN_LESSONS).text
    assert REQUESTS_MARKER not in text and split_requests(text)[1] == ""


def test_a_persons_grant_lets_them_alone_reach_the_site_until_it_expires(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    grant(cast, Audience.PERSON, person=rows.amelia, expires=IN_LESSONS + HOUR)
    compiled = compiled_draft(cast, paths)
    amelia = decide(compiled, Request(f"http://{GAME}/", "ks2-amelia"), IN_LESSONS)
    assert amelia.verdict == Action.ALLOW and amelia.group == "request-1"
    assert amelia.rule == len(rows.rules) + 1 and "request 1" in explain(amelia)
    # Her group is within ks2: she keeps every rule of ks2 (gambling blocked, the curriculum open).
    casino = decide(compiled, Request("http://0-casino.info/", "ks2-amelia"), IN_LESSONS)
    assert casino.verdict == Action.BLOCK and casino.rule_name == "pupils may not gamble"
    oliver = decide(compiled, Request(f"http://{GAME}/", "ks2-oliver"), IN_LESSONS)
    assert oliver.verdict == Action.BLOCK and oliver.group == "ks2"
    # When it expires, without any publish, she is back in ks2 and the site is blocked again.
    later = decide(compiled, Request(f"http://{GAME}/", "ks2-amelia"), IN_LESSONS + 2 * HOUR)
    assert later.verdict == Action.BLOCK and later.group == "ks2"


def test_the_file_names_nobody_and_copies_the_settings_of_the_group_people_are_in(
    cast: Cast, paths: Paths
) -> None:
    rows = small_policy(cast)
    grant(cast, Audience.PERSON, person=rows.amelia, starts=IN_LESSONS, expires=IN_LESSONS + HOUR)
    text = actions.check_draft(cast.a, at=IN_LESSONS).text
    assert "Amelia" not in split_requests(text)[1] and "Hughes" not in split_requests(text)[1]
    data = section(text)
    group = data["groups"]["request-1"]
    assert (group["within"], group["default"], group["safe_search"], group["youtube"]) == (
        "ks2",
        rows.ks2.default,
        rows.ks2.safe_search,
        rows.ks2.youtube,
    )
    [identities] = data["identities"]
    assert identities["users"] == ["ks2-amelia"]
    assert (identities["starts"], identities["expires"]) == (IN_LESSONS, IN_LESSONS + HOUR)
    [entry] = data["grants"]
    assert entry["name"] == f"request 1: {GAME} for one person" and entry["request"] == 1
    assert entry["groups"] == ["request-1"] and entry["domains"] == [GAME]


def test_a_class_in_several_groups_gets_a_group_within_each(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    assert rows.amelia.class_group is not None
    with acting_as(cast.nina):
        guest = Person.objects.create(
            school=cast.a, kind=PersonKind.PUPIL, first_name="Ada", last_name="Guest",
            class_group=rows.amelia.class_group,
        )  # fmt: skip
        NetworkIdentity.objects.create(
            school=cast.a, person=guest, kind=IdentityKind.DEVICE, value="10.10.9.9"
        )
        GroupMember.objects.create(school=cast.a, group=rows.visitors, kind=MemberKind.PERSON, person=guest)
    grant(cast, Audience.CLASS, class_group=rows.amelia.class_group, window=rows.lessons)
    data = section(actions.check_draft(cast.a, at=IN_LESSONS).text)
    assert {name: g["within"] for name, g in data["groups"].items()} == {
        "request-1-ks2": "ks2",
        "request-1-visitors": "visitors",
    }
    [entry] = data["grants"]
    assert entry["name"] == f"request 1: {GAME} for class 6B" and entry["window"] == "lessons"
    assert entry["groups"] == ["request-1-ks2", "request-1-visitors"]
    compiled = compiled_draft(cast, paths)
    device = decide(compiled, Request(f"http://{GAME}/", None, "10.10.9.9"), IN_LESSONS)
    assert device.verdict == Action.ALLOW and device.group == "request-1-visitors"


def test_a_person_in_two_grants_is_in_one_group_that_both_grants_name(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    assert rows.amelia.class_group is not None
    grant(cast, Audience.PERSON, person=rows.amelia, expires=IN_LESSONS + HOUR)
    grant(cast, Audience.CLASS, class_group=rows.amelia.class_group, domains=("1001jeux.fr",))
    data = section(actions.check_draft(cast.a, at=IN_LESSONS).text)
    assert list(data["groups"]) == ["request-1"]
    assert [g["groups"] for g in data["grants"]] == [["request-1"], ["request-1"]]
    # She stays in it while either grant lasts: the second has no end, so her block has none either.
    [identities] = data["identities"]
    assert "expires" not in identities and identities["starts"] == IN_LESSONS - HOUR
    compiled = compiled_draft(cast, paths)
    later = IN_LESSONS + 2 * HOUR
    assert decide(compiled, Request("http://1001jeux.fr/", "ks2-amelia"), later).verdict == Action.ALLOW
    assert decide(compiled, Request(f"http://{GAME}/", "ks2-amelia"), later).verdict == Action.BLOCK


def test_groups_everyone_and_a_block_are_written_as_asked(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    grant(cast, Audience.GROUP, group=rows.staff, urls=["www.youtube.com/watch?v=lesson"], domains=())
    grant(cast, Audience.EVERYONE, action=Verdict.BLOCK, domains=("bbc.co.uk",))
    data = section(actions.check_draft(cast.a, at=IN_LESSONS).text)
    assert "groups" not in data and "identities" not in data
    staff, everyone = data["grants"]
    assert staff["groups"] == ["staff"] and staff["urls"] == ["www.youtube.com/watch?v=lesson"]
    assert "groups" not in everyone and everyone["action"] == "block"
    assert everyone["name"] == "request 2: block bbc.co.uk for everyone"
    compiled = compiled_draft(cast, paths)
    # Grants come before every rule: the curriculum rule allows bbc.co.uk, the grant blocks it.
    bbc = decide(compiled, Request("http://bbc.co.uk/", "mrs.jones"), IN_LESSONS)
    assert bbc.verdict == Action.BLOCK and bbc.rule == len(rows.rules) + 2


def test_a_grant_the_section_cannot_carry_is_left_out_and_said(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    with acting_as(cast.nina):
        nobody = Person.objects.create(
            school=cast.a, kind=PersonKind.PUPIL, first_name="No", last_name="Login"
        )
    grant(cast, Audience.PERSON, person=nobody)
    draft = actions.check_draft(cast.a, at=IN_LESSONS)
    assert draft.ok and draft.requests_left_out == [
        f"request 1: {GAME} for one person: it reaches nobody the filter can identify"
    ]
    # Left out, not written for everyone.
    assert "grants" not in section(draft.text)
    assert f"# Not in force: request 1: {GAME} for one person" in draft.text
    del rows


# ---------------------------------------------------------------------------------------------------------
# Reach


def visitor(cast: Cast, rows: Northfield) -> Person:
    with acting_as(cast.nina):
        guest = Person.objects.create(
            school=cast.a, kind=PersonKind.VISITOR, first_name="Vic", last_name="Visitor",
            expires_at=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
        NetworkIdentity.objects.create(school=cast.a, person=guest, kind=IdentityKind.USERNAME, value="vic")
        GroupMember.objects.create(school=cast.a, group=rows.visitors, kind=MemberKind.PERSON, person=guest)
    return guest


def test_reach_says_whom_a_grant_reaches_and_whom_not_and_why(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    guest = visitor(cast, rows)
    with acting_as(cast.nina):
        nobody = Person.objects.create(
            school=cast.a, kind=PersonKind.PUPIL, first_name="No", last_name="Login"
        )
    amelia = reach(cast.a, Audience.PERSON, person=rows.amelia)
    assert (amelia.people, amelia.identities, amelia.groups, amelia.unreachable) == (
        (rows.amelia,), 1, ("ks2",), ()
    )  # fmt: skip
    assert amelia.words == 'It reaches 1 person (1 user name or device), now in "ks2".'
    patel = reach(cast.a, Audience.PERSON, person=rows.patel)
    assert (patel.identities, patel.groups) == (2, ("nominated-staff",))
    missed = reach(cast.a, Audience.PERSON, person=nobody)
    assert missed.unreachable == ((nobody, "no user name or device is kept for them"),)
    assert missed.words.startswith("It reaches nobody")
    timed = reach(cast.a, Audience.PERSON, person=guest)
    assert timed.identities == 0 and "time-limited" in timed.unreachable[0][1]
    staff = reach(cast.a, Audience.GROUP, group=rows.staff)
    assert {p.last_name for p in staff.people} == {"Jones"}  # Mr Patel is in nominated-staff, not within it
    assert reach(cast.a, Audience.EVERYONE).words == "Everyone, identified or not, gets it."


# ---------------------------------------------------------------------------------------------------------
# Publishing the requests on their own


def test_publish_requests_needs_a_published_policy(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    with pytest.raises(actions.PublishError, match="publish the policy once first"):
        actions.publish_requests(cast.a, actor=cast.nina, reason="request 1 approved")


def test_publish_requests_publishes_the_running_base_and_never_the_draft(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    first = actions.do_publish(
        cast.a, actor=cast.nina, reason="start", expected_sha256=actions.check_draft(cast.a).rendered.sha256
    )
    with acting_as(cast.nina):  # an unfinished edit in the draft
        rows.rules[0].name = "half-finished edit"
        rows.rules[0].save()
        FilterGroup.objects.create(school=cast.a, name="new-group", default=Verdict.ALLOW)
    grant(cast, Audience.PERSON, person=rows.amelia, expires=timezone.now() + HOUR)
    version = actions.publish_requests(cast.a, actor=cast.nina, reason="request 1 approved")
    assert version is not None and version.number == 2 and version.published_by == cast.nina
    base, part = split_requests(version.text)
    assert base.rstrip("\n") == first.text.rstrip("\n") and "half-finished" not in version.text
    assert 'groups = ["request-1"]' in part
    assert paths.snapshot(cast.a).read_text() == version.text
    assert AuditEntry.objects.filter(action="publish", object_id=str(version.pk)).exists()
    # Nothing changed since: nothing to publish.
    assert actions.publish_requests(cast.a, actor=None, reason="again") is None
    # A grant for a group the running policy does not have yet is left out, in words, not an error.
    grant(cast, Audience.GROUP, group=FilterGroup.objects.get(name="new-group"))
    worker = actions.publish_requests(
        cast.a, actor=None, reason="request 2", actor_name="Schoolgate (requests)"
    )
    assert worker is not None and worker.published_by is None
    assert worker.publisher == "Schoolgate (requests)"
    assert 'the group "new-group" is not in the policy' in worker.text
    assert PolicyVersion.objects.filter(school=cast.a).count() == 3


def test_the_published_draft_carries_the_requests_and_test_a_url_names_the_grant(
    cast: Cast, paths: Paths
) -> None:
    rows = small_policy(cast)
    grant(cast, Audience.PERSON, person=rows.amelia, expires=timezone.now() + HOUR)
    draft = actions.check_draft(cast.a)
    version = actions.do_publish(
        cast.a, actor=cast.nina, reason="start", expected_sha256=draft.rendered.sha256
    )
    assert split_requests(version.text)[1] == split_requests(draft.text)[1] != ""
    assert version.text == join_requests(*split_requests(version.text))
    [running, in_draft] = actions.try_url(
        cast.a, f"http://{GAME}/", user="ks2-amelia", at=timezone.now(), draft=True
    )
    for outcome in (running, in_draft):
        assert outcome.decision is not None and outcome.decision.verdict == Action.ALLOW, outcome
        assert "request 1" in outcome.explanation
    assert in_draft.rule_url is None  # a grant is not a rule of the editor


def test_a_persons_grant_never_moves_an_address_range_others_share(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    NetworkIdentity.objects.create(
        school=cast.a, person=rows.amelia, kind=IdentityKind.NETWORK, value="10.77.1.0/24", label="Wi-Fi"
    )
    grant(cast, Audience.PERSON, person=rows.amelia, expires=IN_LESSONS + HOUR)
    compiled = compiled_draft(cast, paths)
    amelia = decide(compiled, Request(f"http://{GAME}/", "ks2-amelia"), IN_LESSONS)
    assert amelia.verdict == Action.ALLOW and amelia.group == "request-1"
    stranger = decide(compiled, Request(f"http://{GAME}/", None, "10.77.1.77"), IN_LESSONS)
    assert stranger.verdict == Action.BLOCK and not stranger.group.startswith("request-")
    assert "10.77.1.0/24" not in split_requests(actions.check_draft(cast.a, at=IN_LESSONS).text)[1]
