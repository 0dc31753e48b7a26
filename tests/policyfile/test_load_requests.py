"""Tests for the keys filter change requests add to the policy file: `[groups.X] within`, `[[grants]]`,
and `starts`/`expires` on `[[identities]]`. Every new problem message, with its line and key, and the
Policy a good file gives. Snippets go between test_load's HEAD and TABLES (they start on line 2).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from pathlib import Path

import pytest

from schoolgate.engine.policy import EVERYONE, Action, Network, TimedIdentity
from schoolgate.policyfile.errors import Problem
from schoolgate.policyfile.load import parse_policy
from tests.policyfile.test_load import HEAD, LONDON, TABLES, P, base, problems_of

__all__ = ["base"]  # the fixture, used by name

GRANT = '[[grants]]\nrequest = 14\ndomains = ["maths.example"]\naction = "allow"\n'


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        pytest.param(
            '[groups.year-6]\nwithin = "pupil"\n',
            [
                P(
                    3,
                    "groups.year-6.within",
                    'group "year-6" is within "pupil", which is not defined (did you mean "pupils"?)',
                )
            ],
            id="within-unknown",
        ),
        pytest.param(
            '[groups.year-6]\nwithin = "year-6"\n',
            [P(3, "groups.year-6.within", 'group "year-6" cannot be within itself')],
            id="within-itself",
        ),
        pytest.param(
            '[groups.a]\nwithin = "b"\n\n[groups.b]\nwithin = "a"\n',
            [
                P(
                    3,
                    "groups.a.within",
                    'groups cannot be within each other in a circle: "a" within "b" within "a"',
                ),
                P(
                    6,
                    "groups.b.within",
                    'groups cannot be within each other in a circle: "b" within "a" within "b"',
                ),
            ],
            id="within-circle",
        ),
        pytest.param(
            '[groups.year-6]\nwithin = "default"\n',
            [
                P(
                    3,
                    "groups.year-6.within",
                    'group "year-6" cannot be within "default": that group is for unidentified users, '
                    "and no group is part of it",
                )
            ],
            id="within-default",
        ),
        pytest.param(
            "[groups.year-6]\nwithin = 6\n",
            [P(3, "groups.year-6.within", "expected text, found a number")],
            id="within-not-text",
        ),
        pytest.param(
            '[[identities]]\ngroup = "pupils"\nusers = ["vic"]\nstarts = 2026-12-06T15:00:00\n'
            "expires = 2026-12-06T09:00:00\n",
            [P(6, "identities[1].expires", "the identity expires before it starts")],
            id="identity-expires-before-start",
        ),
        pytest.param(
            '[[identities]]\ngroup = "pupils"\nusers = ["vic"]\nexpires = "tomorrow"\n',
            [
                P(
                    5,
                    "identities[1].expires",
                    "expected a date or date-time such as 2026-12-18T15:30:00, found text",
                )
            ],
            id="identity-expires-not-a-date",
        ),
        pytest.param(
            '[[grants]]\ndomains = ["maths.example"]\naction = "allow"\n',
            [P(2, "grants[1]", 'missing "request": the number of the request this grant was approved for')],
            id="grant-no-request",
        ),
        pytest.param(
            GRANT.replace("14", "0"),
            [P(3, "grants[1].request", "expected a request number (1 or more), found 0")],
            id="grant-request-zero",
        ),
        pytest.param(
            GRANT.replace("14", '"14"'),
            [P(3, "grants[1].request", "expected a request number (1 or more), found '14'")],
            id="grant-request-text",
        ),
        pytest.param(
            GRANT + "groups = []\n",
            [P(6, "grants[1].groups", 'an empty "groups": name the groups, or leave it out for everyone')],
            id="grant-empty-groups",
        ),
        pytest.param(
            GRANT.replace("14", "true"),
            [P(3, "grants[1].request", "expected a request number (1 or more), found True")],
            id="grant-request-bool",
        ),
        pytest.param(
            GRANT + 'categories = ["gambling"]\nalert = "high"\n',
            [
                P(
                    6,
                    "grants[1].categories",
                    'a grant may name only domains and urls, not "categories": it is narrow by design '
                    "(write a [[rules]] entry for more)",
                ),
                P(
                    7,
                    "grants[1].alert",
                    'a grant may name only domains and urls, not "alert": it is narrow by design '
                    "(write a [[rules]] entry for more)",
                ),
            ],
            id="grant-rule-keys",
        ),
        pytest.param(
            GRANT + "all_sites = true\n",
            [
                P(
                    6,
                    "grants[1].all_sites",
                    'a grant may name only domains and urls, not "all_sites": it is narrow by design '
                    "(write a [[rules]] entry for more)",
                )
            ],
            id="grant-all-sites",
        ),
        pytest.param(
            GRANT + 'colour = "red"\n',
            [P(6, "grants[1].colour", 'unknown key "colour"')],
            id="grant-unknown-key",
        ),
        pytest.param(
            '[[grants]]\nname = "request 3: nothing"\nrequest = 3\naction = "allow"\n',
            [P(2, "grants[1]", 'grant "request 3: nothing" names no site: give domains or urls')],
            id="grant-no-site",
        ),
        pytest.param(
            '[[grants]]\nrequest = 3\ndomains = ["maths.example"]\n',
            [P(2, "grants[1]", 'missing "action": "allow" or "block"')],
            id="grant-no-action",
        ),
        pytest.param(
            GRANT + 'groups = ["pupil"]\n',
            [P(6, "grants[1].groups[1]", 'unknown group "pupil" (did you mean "pupils"?)')],
            id="grant-unknown-group",
        ),
        pytest.param(
            GRANT + 'window = "lesson"\n',
            [P(6, "grants[1].window", 'unknown window "lesson" (did you mean "lessons"?)')],
            id="grant-unknown-window",
        ),
        pytest.param(
            GRANT + "starts = 2026-12-07\nexpires = 2026-12-07\n",
            [P(7, "grants[1].expires", "the grant expires before it starts")],
            id="grant-expires-before-start",
        ),
        pytest.param(
            "grants = 3\n",
            [P(2, "grants", "expected [[grants]] entries")],
            id="grants-not-a-list",
        ),
    ],
)
def test_a_bad_policy_names_the_line_the_key_and_the_fix(
    snippet: str, expected: list[Problem], base: Path
) -> None:
    assert problems_of(HEAD + snippet + TABLES, base) == expected


GOOD = (
    HEAD
    + TABLES
    + """
[groups.year-6]
default = "allow"
within = "pupils"

[[identities]]
group = "pupils"
users = ["amy", "Vic"]

[[identities]]
group = "year-6"
users = ["vic", "amy"]
networks = ["10.6.0.0/16"]
label = "year 6 laptops"
expires = 2026-12-06T15:00:00

[[identities]]
group = "default"
users = ["vic"]
starts = 2026-12-07

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"

[[grants]]
name = "request 14: maths.example for year 6"
request = 14
groups = ["year-6"]
domains = ["maths.example"]
urls = ["games.example/maths/"]
window = "lessons"
starts = 2026-12-01T09:00:00
expires = 2026-12-19T15:30:00
action = "allow"

[[grants]]
request = 15
domains = ["bad.example"]
action = "block"
"""
)


def test_a_good_file_gives_the_grants_groups_and_timed_identities_it_describes(base: Path) -> None:
    policy = parse_policy(GOOD, "policy.toml", base).policy
    assert policy.groups["year-6"].within == "pupils"
    assert policy.groups["pupils"].within is None
    # A name may be in one block without times and any number with them; the untimed ones are `users`.
    assert dict(policy.users) == {"amy": "pupils", "vic": "pupils"}
    assert policy.networks == ()
    assert policy.timed_identities == (
        TimedIdentity(
            "year-6",
            ("vic", "amy"),
            (Network(ipaddress.ip_network("10.6.0.0/16"), "year-6", "year 6 laptops"),),
            None,
            datetime(2026, 12, 6, 15, 0, tzinfo=LONDON),
            "year 6 laptops",
        ),
        TimedIdentity("default", ("vic",), (), datetime(2026, 12, 7, 0, 0, tzinfo=LONDON), None, ""),
    )
    first, second = policy.grants
    assert (first.number, first.request, first.name, first.action) == (
        2,
        14,
        "request 14: maths.example for year 6",
        Action.ALLOW,
    )
    assert (first.groups, first.domains, first.urls, first.window) == (
        ("year-6",),
        ("maths.example",),
        ("games.example/maths/",),
        "lessons",
    )
    assert (first.starts, first.expires) == (
        datetime(2026, 12, 1, 9, 0, tzinfo=LONDON),
        datetime(2026, 12, 19, 15, 30, tzinfo=LONDON),
    )
    assert (second.number, second.request, second.name, second.groups) == (3, 15, "request 15", (EVERYONE,))
    assert [r.number for r in policy.rules] == [1]
    assert policy.rule(3) is second and policy.rule(1) is policy.rules[0]
