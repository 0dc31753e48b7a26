"""Tests for what filter change requests add to the engine: groups `within` others, grants (checked
before every rule, after the locked lists) and timed identities (in force between their start and
expiry, winning over the untimed block meanwhile).

The small world of test_policy.py: `ks2` (amelia, by user name), `ks1` (10.10.1.0/24), `staff`
(mr.patel, 10.0.0.0/8) and `default`. 2 November 2026 is a Monday in term.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from schoolgate.engine.decide import (
    Decision,
    Reason,
    Request,
    decide,
    decide_many,
    explain,
    timed_rules_in_force,
)
from schoolgate.engine.policy import (
    Action,
    CompiledPolicy,
    Group,
    Network,
    Rule,
    TimedIdentity,
    compile_policy,
)
from tests.engine.test_policy import GROUPS, LONDON, allow, block, make_policy, tiny_index

P = pytest.param
ALLOW, BLOCK = Action.ALLOW, Action.BLOCK


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


LESSON = london("2026-11-02 10:30")
AMELIA = Request("", "amelia")

# year-6 is part of ks2, and 6b part of year-6: a rule for ks2 reaches both.
WITHIN_GROUPS = {
    **GROUPS,
    "year-6": Group("year-6", Action.BLOCK, within="ks2", safe_search=False),
    "6b": Group("6b", Action.ALLOW, within="year-6"),
}
WITHIN_USERS = {"amelia": "ks2", "mr.patel": "staff", "yusuf": "year-6", "zara": "6b"}


def grant(request: int, action: Action = ALLOW, **fields: Any) -> Rule:
    """A grant as the loader makes it (numbered by `policy_with`)."""
    fields.setdefault("domains", ("games.example",))
    return Rule(0, f"request {request}: a site", action, request=request, **fields)


def policy_with(rules: tuple[Rule, ...] = (), grants: tuple[Rule, ...] = (), **fields: Any) -> CompiledPolicy:
    """The small world with these rules (1..n) and grants (n+1..), compiled."""
    numbered = tuple(replace(g, number=len(rules) + n) for n, g in enumerate(grants, 1))
    return compile_policy(make_policy(*rules, grants=numbered, **fields), tiny_index())


def problems_of(rules: tuple[Rule, ...] = (), grants: tuple[Rule, ...] = (), **fields: Any) -> list[str]:
    from schoolgate.engine.policy import PolicyError

    with pytest.raises(PolicyError) as raised:
        policy_with(rules, grants, **fields)
    return [message for _, message in raised.value.problems]


def ask(
    policy: CompiledPolicy,
    url: str,
    user: str | None = "amelia",
    at: datetime = LESSON,
    ip: str | None = None,
) -> Decision:
    return decide(policy, Request(url, user, ip), at)


# ---------------------------------------------------------------------------------------------------------
# within: a rule applies to a group when it names it, a group it is within, or no group


@pytest.mark.parametrize(
    ("rule_groups", "who", "verdict", "rule"),
    [
        P(("ks2",), "amelia", BLOCK, 1, id="parent-rule-parent"),
        P(("ks2",), "yusuf", BLOCK, 1, id="parent-rule-child"),
        P(("ks2",), "zara", BLOCK, 1, id="parent-rule-grandchild"),
        P(("ks2",), "mr.patel", ALLOW, None, id="parent-rule-not-staff"),
        P(("year-6",), "amelia", ALLOW, None, id="child-rule-not-parent"),
        P(("year-6",), "yusuf", BLOCK, 1, id="child-rule-child"),
        P(("year-6",), "zara", BLOCK, 1, id="child-rule-grandchild"),
        P(("6b",), "yusuf", BLOCK, None, id="grandchild-rule-not-child: year-6's own default blocks"),
        P(("everyone",), "yusuf", BLOCK, 1, id="everyone-rule-child"),
        P(("everyone",), "mr.patel", BLOCK, 1, id="everyone-rule-staff"),
    ],
)
def test_a_rule_applies_to_the_groups_it_names_and_the_groups_within_them(
    rule_groups: tuple[str, ...], who: str, verdict: Action, rule: int | None
) -> None:
    policy = policy_with(
        (block("no social media", groups=rule_groups, categories=("social-media",)),),
        groups=WITHIN_GROUPS,
        users=WITHIN_USERS,
    )
    decision = ask(policy, "http://social.example/", who)
    assert (decision.verdict, decision.rule) == (verdict, rule)
    assert decision.group == WITHIN_USERS[who]  # the person's own group, whichever rule decided


def test_the_first_rule_in_file_order_wins_whoever_it_names() -> None:
    policy = policy_with(
        (
            allow("ks2 may play", groups=("ks2",), categories=("games",)),
            block("year 6 may not", groups=("year-6",), categories=("games",)),
        ),
        groups=WITHIN_GROUPS,
        users=WITHIN_USERS,
    )
    assert ask(policy, "http://games.example/", "yusuf").rule == 1
    reordered = policy_with(
        (
            block("year 6 may not", groups=("year-6",), categories=("games",)),
            allow("ks2 may play", groups=("ks2",), categories=("games",)),
        ),
        groups=WITHIN_GROUPS,
        users=WITHIN_USERS,
    )
    assert (
        ask(reordered, "http://games.example/", "yusuf").verdict,
        ask(reordered, "http://games.example/").rule,
    ) == (
        BLOCK,
        2,
    )


def test_a_group_within_another_keeps_its_own_default_and_settings() -> None:
    policy = policy_with((), groups=WITHIN_GROUPS, users=WITHIN_USERS)
    assert ask(policy, "http://nothing.example/", "amelia").verdict is ALLOW  # ks2's default
    assert ask(policy, "http://nothing.example/", "yusuf").verdict is BLOCK  # year-6's own
    assert policy.policy.groups["year-6"].safe_search is False
    assert policy.policy.lineage("6b") == ("6b", "year-6", "ks2")


def test_an_allow_rule_for_default_must_cover_every_group_counting_those_within() -> None:
    everyone_but_parts = ("default", "ks1", "ks2", "staff")
    policy = policy_with(
        (allow("open", groups=everyone_but_parts, domains=("open.example",)),),
        groups=WITHIN_GROUPS,
        users=WITHIN_USERS,
    )
    assert ask(policy, "http://open.example/", "zara").rule == 1


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        P(
            {"year-6": Group("year-6", ALLOW, within="ks3")},
            'group "year-6" is within "ks3", which is not defined',
            id="unknown",
        ),
        P(
            {"year-6": Group("year-6", ALLOW, within="year-6")},
            'group "year-6" cannot be within itself',
            id="itself",
        ),
        P(
            {"a": Group("a", ALLOW, within="b"), "b": Group("b", ALLOW, within="a")},
            'groups cannot be within each other in a circle: "a" within "b" within "a"',
            id="circle",
        ),
        P(
            {"year-6": Group("year-6", ALLOW, within="default")},
            'group "year-6" cannot be within "default": that group is for unidentified users, '
            "and no group is part of it",
            id="within-default",
        ),
        P(
            {"default": Group("default", BLOCK, within="ks2")},
            'the "default" group is for unidentified users and cannot be part of another group',
            id="default-within",
        ),
        P(
            {"year-6": Group("year-6", ALLOW, within="everyone")},
            'group "year-6" cannot be within "everyone": rules naming no group apply to every group',
            id="within-everyone",
        ),
    ],
)
def test_a_bad_within_is_a_compile_error(groups: dict[str, Group], problem: str) -> None:
    assert problem in problems_of(groups={**GROUPS, **groups})


def test_a_circle_is_reported_once_for_each_group_in_it_not_for_those_hanging_from_it() -> None:
    groups = {
        **GROUPS,
        "a": Group("a", ALLOW, within="b"),
        "b": Group("b", ALLOW, within="a"),
        "c": Group("c", ALLOW, within="a"),
    }
    assert problems_of(groups=groups) == [
        'groups cannot be within each other in a circle: "a" within "b" within "a"',
        'groups cannot be within each other in a circle: "b" within "a" within "b"',
    ]


# ---------------------------------------------------------------------------------------------------------
# Grants: checked before every rule, after the locked lists; numbered after the rules


def test_a_grant_is_checked_before_every_rule_and_named_by_its_request() -> None:
    policy = policy_with(
        (block("no games", categories=("games",)), block("nothing else", all_sites=True)),
        (grant(14, groups=("ks2",)),),
    )
    decision = ask(policy, "http://games.example/")
    assert (decision.verdict, decision.reason, decision.rule) == (ALLOW, Reason.RULE, 3)
    assert decision.rule_name == "request 14: a site"
    assert 'rule 3 "request 14: a site"' in explain(decision)
    assert ask(policy, "http://games.example/", "mr.patel").rule == 1  # not granted to staff


def test_a_grant_whose_name_does_not_say_its_request_is_shown_with_it() -> None:
    policy = policy_with((), (replace(grant(9, groups=("ks2",)), name="maths games"),))
    assert ask(policy, "http://games.example/").rule_name == "request 9: maths games"
    assert policy.policy.rule(1) is not None and policy.policy.rule(1).request == 9  # type: ignore[union-attr]
    assert policy.policy.rule(2) is None


@pytest.mark.parametrize(
    ("grants", "url", "expected"),
    [
        P((grant(1), grant(2, BLOCK)), "http://games.example/", (ALLOW, 1), id="first-grant-wins"),
        P((grant(1, BLOCK), grant(2)), "http://games.example/", (BLOCK, 1), id="first-block-wins"),
        P(
            (grant(1, urls=("games.example/maths/",), domains=()),),
            "http://games.example/maths/x",
            (ALLOW, 1),
            id="url",
        ),
        P(
            (grant(1, urls=("games.example/maths/",), domains=()),),
            "http://games.example/poker/",
            (BLOCK, None),
            id="url-other",
        ),
        P((grant(1, groups=("staff",)),), "http://games.example/", (BLOCK, None), id="other-group"),
    ],
)
def test_grants_in_file_order(
    grants: tuple[Rule, ...], url: str, expected: tuple[Action, int | None]
) -> None:
    policy = policy_with((), grants, groups={**GROUPS, "ks2": Group("ks2", BLOCK)})
    decision = ask(policy, url)
    assert (decision.verdict, decision.rule) == expected


def test_a_grant_for_a_parent_reaches_the_groups_within_it() -> None:
    policy = policy_with(
        (block("no games", categories=("games",)),),
        (grant(5, groups=("ks2",)),),
        groups=WITHIN_GROUPS,
        users=WITHIN_USERS,
    )
    assert [
        ask(policy, "http://games.example/", who).rule for who in ("amelia", "yusuf", "zara", "mr.patel")
    ] == [
        2,
        2,
        2,
        1,
    ]


@pytest.mark.parametrize(
    "domain", [P("abuse.example", id="locked-category"), P("terror.example", id="locked-list")]
)
def test_a_locked_list_still_wins_over_a_grant(domain: str) -> None:
    policy = policy_with((), (grant(7, domains=(domain,)),))  # no error: the locked list simply wins
    for who in ("amelia", "mr.patel", None):
        decision = ask(policy, f"http://{domain}/", who)
        assert (decision.verdict, decision.reason, decision.rule) == (BLOCK, Reason.LOCKED, None)


@pytest.mark.parametrize(
    ("fields", "at", "in_force"),
    [
        P({"expires": london("2026-11-02 11:00")}, LESSON, True, id="before-expiry"),
        P({"expires": london("2026-11-02 10:30")}, LESSON, False, id="at-expiry"),
        P({"starts": london("2026-11-02 10:31")}, LESSON, False, id="before-start"),
        P({"starts": london("2026-11-02 10:30")}, LESSON, True, id="at-start"),
        P({"window": "lessons"}, LESSON, True, id="in-window"),
        P({"window": "lessons"}, london("2026-11-02 12:30"), False, id="out-of-window"),
    ],
)
def test_a_grant_is_in_force_only_at_its_times(fields: dict[str, Any], at: datetime, in_force: bool) -> None:
    policy = policy_with((block("no games", categories=("games",)),), (grant(3, groups=("ks2",), **fields),))
    assert ask(policy, "http://games.example/", at=at).rule == (2 if in_force else 1)
    assert (2 in timed_rules_in_force(policy, at)) is in_force


def test_a_grant_for_everyone_reaches_the_unidentified() -> None:
    policy = policy_with((), (grant(4),))
    assert ask(policy, "http://games.example/", None).verdict is ALLOW


@pytest.mark.parametrize(
    ("grants", "problem"),
    [
        P(
            (grant(4, groups=("default", "ks2")),),
            'the grant of request 4 "request 4: a site" allows "default" (unidentified users) more than '
            "ks1, staff: a rule that allows default must allow every group",
            id="default-not-everyone",
        ),
        P(
            (grant(1, BLOCK, groups=("ks2",)), grant(2)),
            'the grant of request 2 "request 2: a site" allows "default" (unidentified users) what the '
            'grant of request 1 "request 1: a site" blocks for ks2: add default to the grant of request 1 '
            '"request 1: a site"',
            id="default-past-a-block-grant",
        ),
        P(
            (grant(8, groups=("ks3",)),),
            'the grant of request 8 "request 8: a site": unknown group "ks3"',
            id="unknown-group",
        ),
        P(
            (grant(8, window="assembly"),),
            'the grant of request 8 "request 8: a site": unknown window "assembly"',
            id="unknown-window",
        ),
        P(
            (grant(8, domains=("not a domain",)),),
            "not a valid domain name: 'not a domain'",
            id="bad-domain",
        ),
    ],
)
def test_a_bad_grant_is_a_compile_error(grants: tuple[Rule, ...], problem: str) -> None:
    assert problem in problems_of((), grants)


def test_a_grant_problem_points_at_the_grant() -> None:
    from schoolgate.engine.policy import PolicyError

    with pytest.raises(PolicyError) as raised:
        policy_with((block("x", categories=("games",)),), (grant(1), grant(2, domains=("bad domain",))))
    assert [key for key, _ in raised.value.problems] == [("grants", 1, "domains", 0)]


# ---------------------------------------------------------------------------------------------------------
# Timed identities: in force between starts and expires, winning over the untimed block meanwhile

START, END = london("2026-11-02 09:00"), london("2026-11-02 15:00")
BEFORE, DURING, AFTER = START - timedelta(seconds=1), LESSON, END


def visitors(*blocks: TimedIdentity, **fields: Any) -> CompiledPolicy:
    groups = {**GROUPS, "visitors": Group("visitors", BLOCK)}
    return policy_with(
        (allow("visitors' sites", groups=("visitors",), domains=("visit.example",)),),
        groups=groups,
        timed_identities=blocks,
        **fields,
    )


def net(text: str, group: str = "visitors", label: str = "") -> Network:
    return Network(ipaddress.ip_network(text), group, label)


@pytest.mark.parametrize(
    ("user", "at", "group"),
    [
        P("amelia", BEFORE, "ks2", id="untimed-and-timed-before"),
        P("amelia", DURING, "visitors", id="untimed-and-timed-during"),
        P("amelia", AFTER, "ks2", id="untimed-and-timed-after"),
        P("vic", BEFORE, "default", id="timed-only-before"),
        P("vic", DURING, "visitors", id="timed-only-during"),
        P("VIC", DURING, "visitors", id="timed-only-any-case"),
        P("vic", AFTER, "default", id="timed-only-after"),
    ],
)
def test_a_timed_block_wins_while_in_force_and_does_not_exist_outside(
    user: str, at: datetime, group: str
) -> None:
    policy = visitors(TimedIdentity("visitors", ("amelia", "vic"), starts=START, expires=END))
    decision = ask(policy, "http://visit.example/", user, at)
    assert decision.group == group
    assert decision.identity == ("unidentified" if group == "default" else f"user {user}")
    assert decision.verdict is (ALLOW if group != "default" else BLOCK)
    assert policy.identify(user, None, at)[0] == group


def test_of_two_timed_blocks_in_force_the_first_in_file_order_wins() -> None:
    first = TimedIdentity("staff", ("vic",), expires=END)
    second = TimedIdentity("visitors", ("vic",), starts=START)
    policy = visitors(first, second)
    assert ask(policy, "http://x.example/", "vic", BEFORE).group == "staff"
    assert ask(policy, "http://x.example/", "vic", DURING).group == "staff"
    assert ask(policy, "http://x.example/", "vic", AFTER).group == "visitors"


@pytest.mark.parametrize(
    ("ip", "at", "group", "identity"),
    [
        P(
            "10.10.1.5",
            DURING,
            "visitors",
            "address 10.10.1.5 in 10.10.1.0/24 (hall)",
            id="same-range-during",
        ),
        P(
            "10.10.1.5",
            AFTER,
            "ks1",
            "address 10.10.1.5 in 10.10.1.0/24 (KS1 tablets)",
            id="same-range-after",
        ),
        P(
            "10.20.0.9",
            DURING,
            "visitors",
            "address 10.20.0.9 in 10.20.0.0/16 (hall)",
            id="more-specific-than-lan",
        ),
        P("10.20.0.9", BEFORE, "staff", "address 10.20.0.9 in 10.0.0.0/8 (school LAN)", id="lan-before"),
        P(
            "192.168.7.7",
            DURING,
            "visitors",
            "address 192.168.7.7 in 192.168.7.0/24 (hall)",
            id="new-range-during",
        ),
        P("192.168.7.7", AFTER, "default", "unidentified", id="new-range-after"),
    ],
)
def test_a_timed_network_counts_only_while_in_force(ip: str, at: datetime, group: str, identity: str) -> None:
    block_ = TimedIdentity(
        "visitors",
        networks=(
            net("10.10.1.0/24", label="hall"),
            net("10.20.0.0/16", label="hall"),
            net("192.168.7.0/24", label="hall"),
        ),
        starts=START,
        expires=END,
        label="hall",
    )
    policy = visitors(block_)
    decision = ask(policy, "http://visit.example/", None, at, ip)
    assert (decision.group, decision.identity) == (group, identity)


def test_a_user_name_still_comes_before_a_timed_network() -> None:
    policy = visitors(TimedIdentity("visitors", networks=(net("10.10.1.0/24"),), expires=END))
    assert ask(policy, "http://x.example/", "amelia", DURING, "10.10.1.5").group == "ks2"


def test_decide_many_agrees_with_decide_and_reuses_one_view_per_set_in_force() -> None:
    policy = visitors(TimedIdentity("visitors", ("amelia",), starts=START, expires=END))
    requests = [Request("http://visit.example/", "amelia"), Request("http://visit.example/", "mr.patel")]
    for at in (BEFORE, DURING, AFTER, DURING):
        assert decide_many(policy, requests, at) == [decide(policy, r, at) for r in requests]
    assert len(policy._views) == 2  # the set in force before/after (none) and during (the block)
    assert policy.at_instant(DURING) is policy.at_instant(DURING + timedelta(minutes=1))


def test_a_policy_without_timed_identities_is_its_own_view() -> None:
    policy = policy_with(())
    assert policy.at_instant(DURING) is policy
    assert policy.identify("amelia", None, DURING) == ("ks2", "user amelia")


def test_a_timed_identity_in_an_unknown_group_is_a_compile_error() -> None:
    assert 'a timed identity is in the group "ks9", which is not defined' in problems_of(
        timed_identities=(TimedIdentity("ks9", ("vic",), expires=END),)
    )


def test_check_policy_reports_the_new_problems_without_any_list() -> None:
    from schoolgate.engine.policy import check_policy

    policy = make_policy(
        groups={**GROUPS, "year-6": Group("year-6", ALLOW, within="ks3")},
        grants=(replace(grant(2, groups=("ks9",)), number=1),),
        timed_identities=(TimedIdentity("ks8", ("vic",)),),
    )
    assert [message for _, message in check_policy(policy)] == [
        'a timed identity is in the group "ks8", which is not defined',
        'the grant of request 2 "request 2: a site": unknown group "ks9"',
        'group "year-6" is within "ks3", which is not defined',
    ]
