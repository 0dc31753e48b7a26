"""Tests for schoolgate.engine.policy: compiling a Policy against a list index, and the checks that
keep locked lists locked and the unidentified `default` group the most restrictive.

The small world built here (`tiny_index()`, `make_policy()`, `allow()`, `block()`) is shared with
test_decide.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schoolgate.engine.index import Index, SourceEntries, build_index
from schoolgate.engine.policy import (
    Action,
    Category,
    CompiledPolicy,
    Group,
    Network,
    Policy,
    PolicyError,
    Rule,
    SiteList,
    compile_policy,
)
from schoolgate.engine.windows import make_window

P = pytest.param
LONDON = ZoneInfo("Europe/London")

# ---------------------------------------------------------------------------------------------------------
# The small world: a few list sources, the categories over them, four groups and two time windows.

INDEX_SOURCES = [
    SourceEntries("t/gambling", domains=["bet.example", "casino.example"], urls=["games.example/poker/"]),
    SourceEntries("t/games", domains=["games.example", "bet.example"]),
    SourceEntries("t/adult", urls=["pics.example/adult/"], expressions=["porn"]),
    SourceEntries("t/social", domains=["social.example", "chat.example"]),
    SourceEntries("t/unused", domains=["unused.example"]),
    SourceEntries("iwf", domains=["abuse.example"], urls=["share.example/abuse/"]),
    SourceEntries("terror", domains=["terror.example"]),
]

CATEGORIES = {
    "gambling": Category("gambling", ("t/gambling",), uksic="gambling"),
    "games": Category("games", ("t/games",)),
    "pornography": Category("pornography", ("t/adult",), uksic="pornography"),
    "social-media": Category("social-media", ("t/social",)),
    # Locked by the category itself...
    "child-abuse": Category("child-abuse", ("iwf",), uksic="illegal", locked=True),
    # ...and locked because its list is locked (Policy.locked_sources), as the policy file does it.
    "terrorism": Category("terrorism", ("terror",), uksic="extremism"),
}

GROUPS = {
    "default": Group("default", Action.BLOCK, "anyone not identified"),
    "ks1": Group("ks1", Action.ALLOW),
    "ks2": Group("ks2", Action.ALLOW),
    "staff": Group("staff", Action.ALLOW),
}

USERS = {"amelia": "ks2", "mr.patel": "staff"}

NETWORKS = (
    # The broad range first: the most specific range must win whatever the order here.
    Network(ipaddress.ip_network("10.0.0.0/8"), "staff", "school LAN"),
    Network(ipaddress.ip_network("10.10.1.0/24"), "ks1", "KS1 tablets"),
    Network(ipaddress.ip_network("2001:db8:1::/48"), "ks2"),
)

WINDOWS = {
    "lessons": make_window(
        "lessons", LONDON, ["mon-fri"], ["08:45-12:00", "13:15-15:15"], terms=["2026-09-03..2026-12-18"]
    ),
    "lunchtime": make_window("lunchtime", LONDON, ["mon-fri"], ["12:00-13:15"]),
}

SITES = {
    "curriculum": SiteList("curriculum", domains=("bbc.co.uk",), urls=("games.example/maths/",)),
}


def tiny_index() -> Index:
    return Index(build_index(INDEX_SOURCES))


def allow(name: str, **fields: Any) -> Rule:
    """An allow rule; `make_policy` numbers the rules in order."""
    return Rule(0, name, Action.ALLOW, **fields)


def block(name: str, **fields: Any) -> Rule:
    return Rule(0, name, Action.BLOCK, **fields)


def make_policy(*rules: Rule, **fields: Any) -> Policy:
    """The small world's policy with these rules (numbered 1, 2, ...) and any field replaced."""
    values: dict[str, Any] = {
        "school": "Tiny Primary",
        "timezone": LONDON,
        "groups": GROUPS,
        "users": USERS,
        "networks": NETWORKS,
        "windows": WINDOWS,
        "categories": CATEGORIES,
        "sites": SITES,
        "rules": tuple(replace(rule, number=n) for n, rule in enumerate(rules, 1)),
        "locked_sources": frozenset({"terror"}),
    }
    values.update(fields)
    return Policy(**values)


def compiled(*rules: Rule, **fields: Any) -> CompiledPolicy:
    return compile_policy(make_policy(*rules, **fields), tiny_index())


def compile_problems(*rules: Rule, **fields: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """The problems compile_policy reports for this policy (it must report at least one)."""
    with pytest.raises(PolicyError) as raised:
        compiled(*rules, **fields)
    return list(raised.value.problems)


def without(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


LOCKED_RULE = "locked lists block for everyone and no rule can override them"

# ---------------------------------------------------------------------------------------------------------
# A good policy compiles


def test_a_good_policy_compiles_into_masks_for_each_category() -> None:
    policy = compiled(block("no gambling", categories=("gambling",)))
    index = policy.index
    assert policy.category_names == tuple(CATEGORIES)
    assert policy.category_source_masks == tuple(index.source_mask(c.sources) for c in CATEGORIES.values())
    assert policy.locked_mask == index.source_mask(["iwf", "terror"])


def test_every_group_gets_its_own_rules_and_the_rules_for_everyone_in_order() -> None:
    policy = compiled(
        block("everyone 1", categories=("gambling",)),
        allow("staff only", groups=("staff",), categories=("games",)),
        block("ks1 and ks2", groups=("ks1", "ks2", "default"), categories=("games",)),
        block("everyone 2", categories=("social-media",)),
    )
    numbers = {group: [c.rule.number for c in rules] for group, rules in policy.rules_by_group.items()}
    assert numbers == {"default": [1, 3, 4], "ks1": [1, 3, 4], "ks2": [1, 3, 4], "staff": [1, 2, 4]}


def test_a_block_rule_may_name_a_locked_category() -> None:
    policy = compiled(block("belt and braces", categories=("child-abuse", "terrorism")))
    assert policy.rules_by_group["ks2"][0].rule.name == "belt and braces"


def test_an_allow_rule_may_name_a_parent_of_a_locked_domain() -> None:
    """Allowing `example` does not allow the locked abuse.example below it: the locked list still wins."""
    policy = compiled(allow("parent", domains=("example",)))
    assert policy.rules_by_group["default"][0].rule.name == "parent"


# ---------------------------------------------------------------------------------------------------------
# Locked lists cannot be allowed


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        P(
            allow("let them in", categories=("games", "child-abuse")),
            (
                ("rules", 0, "categories", 1),
                f'rule 1 "let them in" would allow the locked category "child-abuse": {LOCKED_RULE}',
            ),
            id="category-marked-locked",
        ),
        P(
            allow("let them in", groups=("staff",), categories=("terrorism",)),
            (
                ("rules", 0, "categories", 0),
                f'rule 1 "let them in" would allow the locked category "terrorism": {LOCKED_RULE}',
            ),
            id="category-of-a-locked-list",
        ),
        P(
            allow("let them in", groups=("staff",), domains=("www.abuse.example",)),
            (
                ("rules", 0),
                'rule 1 "let them in" would allow www.abuse.example, which the locked list iwf blocks '
                f"(entry abuse.example): {LOCKED_RULE}",
            ),
            id="inline-domain-below-a-locked-domain",
        ),
        P(
            allow("let them in", groups=("staff",), domains=("*.terror.example",)),
            (
                ("rules", 0),
                'rule 1 "let them in" would allow *.terror.example, which the locked list terror blocks '
                f"(entry terror.example): {LOCKED_RULE}",
            ),
            id="inline-wildcard-domain",
        ),
        P(
            allow("let them in", groups=("staff",), urls=("http://share.example/abuse/x.jpg",)),
            (
                ("rules", 0),
                'rule 1 "let them in" would allow http://share.example/abuse/x.jpg, which the locked list '
                f"iwf blocks (entry share.example/abuse/): {LOCKED_RULE}",
            ),
            id="inline-url-below-a-locked-url",
        ),
        P(
            allow("let them in", groups=("staff",), urls=("abuse.example/page",)),
            (
                ("rules", 0),
                'rule 1 "let them in" would allow abuse.example/page, which the locked list iwf blocks '
                f"(entry abuse.example): {LOCKED_RULE}",
            ),
            id="inline-url-on-a-locked-domain",
        ),
        P(
            allow("trusted sites", groups=("staff",), sites=("trusted",)),
            (
                ("rules", 0),
                'rule 1 "trusted sites" would allow terror.example, which the locked list terror blocks '
                f"(entry terror.example): {LOCKED_RULE}",
            ),
            id="domain-of-a-site-list",
        ),
    ],
)
def test_an_allow_rule_that_would_allow_a_locked_list_is_a_compile_error(
    rule: Rule, problem: tuple[tuple[str | int, ...], str]
) -> None:
    sites = {**SITES, "trusted": SiteList("trusted", domains=("ok.example", "terror.example"))}
    assert compile_problems(rule, sites=sites) == [problem]


def test_policy_error_lists_every_problem_and_joins_them_in_its_message() -> None:
    with pytest.raises(PolicyError) as raised:
        compiled(
            allow("one", groups=("staff",), categories=("child-abuse",)),
            allow("two", groups=("staff",), domains=("terror.example",)),
        )
    messages = [message for _, message in raised.value.problems]
    assert len(messages) == 2
    assert messages[0].startswith('rule 1 "one" would allow the locked category "child-abuse"')
    assert messages[1].startswith('rule 2 "two" would allow terror.example, which the locked list terror')
    assert str(raised.value) == "; ".join(messages)


# ---------------------------------------------------------------------------------------------------------
# The default group: it must exist and be the most restrictive


def test_a_policy_without_a_default_group_is_a_compile_error() -> None:
    assert compile_problems(groups=without(GROUPS, "default")) == [
        (("groups",), 'there must be a group "default" for unidentified users')
    ]


def test_a_default_group_whose_default_is_allow_is_a_compile_error() -> None:
    groups = {**GROUPS, "default": Group("default", Action.ALLOW)}
    assert compile_problems(groups=groups) == [
        (
            ("groups", "default", "default"),
            'the "default" group is for unidentified users and must be the most restrictive: '
            'its default must be "block"',
        )
    ]


def test_an_allow_rule_naming_default_but_not_every_group_is_a_compile_error() -> None:
    assert compile_problems(allow("games", groups=("default", "ks2"), categories=("games",))) == [
        (
            ("rules", 0, "groups"),
            'rule 1 "games" allows "default" (unidentified users) more than ks1, staff: '
            "a rule that allows default must allow every group",
        )
    ]


def test_an_allow_rule_naming_default_and_every_group_compiles() -> None:
    policy = compiled(allow("games", groups=("default", "ks1", "ks2", "staff"), categories=("games",)))
    assert [c.rule.name for c in policy.rules_by_group["default"]] == ["games"]


def test_an_allow_rule_for_default_below_a_block_rule_that_spares_default_is_a_compile_error() -> None:
    problems = compile_problems(
        block("pupils may not gamble", groups=("ks1", "ks2"), categories=("gambling",)),
        allow("games for all", categories=("games",)),
    )
    assert problems == [
        (
            ("rules", 1, "groups"),
            'rule 2 "games for all" allows "default" (unidentified users) '
            'what rule 1 "pupils may not gamble" blocks for ks1, ks2: add default to rule 1',
        )
    ]


def test_an_allow_rule_for_default_below_a_block_rule_that_names_default_compiles() -> None:
    policy = compiled(
        block("pupils may not gamble", groups=("ks1", "ks2", "default"), categories=("gambling",)),
        allow("games for all", categories=("games",)),
    )
    assert [c.rule.number for c in policy.rules_by_group["default"]] == [1, 2]


def test_an_allow_rule_for_other_groups_below_a_block_rule_that_spares_default_compiles() -> None:
    policy = compiled(
        block("pupils may not gamble", groups=("ks1", "ks2"), categories=("gambling",)),
        allow("games for staff", groups=("staff",), categories=("games",)),
    )
    assert [c.rule.number for c in policy.rules_by_group["staff"]] == [2]


# ---------------------------------------------------------------------------------------------------------
# Everything a rule or category names must exist


def test_a_category_source_missing_from_the_index_is_a_compile_error() -> None:
    categories = {**CATEGORIES, "dating": Category("dating", ("t/dating", "t/social"))}
    assert compile_problems(categories=categories) == [
        (
            ("categories", "dating", "sources"),
            'list source "t/dating" is not in the compiled lists: run "schoolgate lists compile"',
        )
    ]


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        P(block("bad pattern", patterns=("(unclosed",)), ("rules", 0, "patterns", 0), id="pattern"),
        P(block("bad domain", domains=("ok.example", "bad_host!")), ("rules", 0, "domains", 1), id="domain"),
        P(block("bad url", urls=("bad_host!/x",)), ("rules", 0, "urls", 0), id="url"),
    ],
)
def test_a_rule_entry_that_does_not_parse_is_a_compile_error(rule: Rule, key: tuple[str | int, ...]) -> None:
    ((found_key, message),) = compile_problems(rule)
    assert found_key == key
    assert message.startswith("not a valid ")


def test_a_site_list_entry_that_does_not_parse_is_a_compile_error() -> None:
    sites = {"broken": SiteList("broken", domains=("bad_host!",))}
    assert compile_problems(sites=sites) == [
        (("sites", "broken", "domains", 0), "not a valid domain name: 'bad_host!'")
    ]


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        # Fail open: with the window unknown, the allow rule would be in force at every hour.
        P(
            allow("games at lunch", groups=("staff",), categories=("games",), window="lunchtme"),
            ("rules", 0, "window"),
            id="window",
        ),
        # Fail open: with the category unknown, the block rule would never match.
        P(block("no gambling", categories=("gamblng",)), ("rules", 0, "categories", 0), id="category"),
        P(block("no curriculum", sites=("curriculm",)), ("rules", 0, "sites", 0), id="site-list"),
        P(block("no games", groups=("ks3",), categories=("games",)), ("rules", 0, "groups", 0), id="group"),
    ],
)
def test_a_rule_naming_something_the_policy_does_not_define_is_a_compile_error(
    rule: Rule, key: tuple[str | int, ...]
) -> None:
    """The policy file checks names too, but a Policy built in Python (the web app) has only compile_policy
    between a typing mistake and a filter that fails open."""
    assert [found for found, _ in compile_problems(rule)] == [key]


@pytest.mark.parametrize(
    "identities",
    [
        P({"users": {**USERS, "bob": "ks3"}}, id="user"),
        P({"networks": (*NETWORKS, Network(ipaddress.ip_network("10.30.0.0/16"), "ks3"))}, id="network"),
    ],
)
def test_an_identity_in_a_group_the_policy_does_not_define_is_a_compile_error(
    identities: dict[str, Any],
) -> None:
    """Otherwise decide() raises KeyError for that user or address when no rule matches."""
    problems = compile_problems(**identities)
    assert len(problems) == 1
    assert '"ks3"' in problems[0][1]
