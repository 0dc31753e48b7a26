"""The change summary: every kind of difference between two policy files, in words (no database)."""

from __future__ import annotations

import pytest

from schoolgate.policyfile.load import PolicyFile, parse_policy
from schoolgate.web.policy.summary import Kind, RequestInfo, Sentence, by_section, summarise

BASE = """
schema_version = 1

[school]
name = "Northfield Primary"
timezone = "Europe/London"

[lists.ut1]
format = "squidguard"
path = "builtin:ut1-sample"

[groups.default]
default = "block"

[groups.pupils]
default = "allow"

[groups.staff]
default = "allow"
youtube = "moderate"

[[identities]]
group = "pupils"
users = ["p1", "p2", "p3"]

[[identities]]
group = "staff"
users = ["t1"]

[windows.lessons]
days = ["mon", "tue", "wed", "thu", "fri"]
times = ["09:00-15:00"]

[categories.games]
sources = ["ut1/games"]

[sites.curriculum]
domains = ["bbc.co.uk"]

[[rules]]
name = "no games"
groups = ["pupils"]
categories = ["games"]
action = "block"

[[rules]]
name = "curriculum"
sites = ["curriculum"]
action = "allow"
"""

GRANT = """
[[grants]]
name = "request 14: coolmathgames.com for class 6B"
request = 14
groups = ["request-14"]
domains = ["coolmathgames.com"]
window = "lessons"
expires = 2026-12-19T00:00:00
action = "allow"
"""

YEAR6 = """
[groups.year-6]
default = "allow"
within = "pupils"
"""


def _parse(text: str) -> PolicyFile:
    return parse_policy(text)


def _all(old: str | None, new: str, requests: dict[int, RequestInfo] | None = None) -> list[Sentence]:
    return summarise(_parse(old) if old is not None else None, _parse(new), requests=requests or {})


def _said(old: str | None, new: str, requests: dict[int, RequestInfo] | None = None) -> list[str]:
    return [s.text for s in _all(old, new, requests)]


def _grant_base() -> str:
    request_group = YEAR6.replace("year-6", "request-14")
    return BASE.replace("[[identities]]", YEAR6 + request_group + "\n[[identities]]", 1)


def test_nothing_changed_says_nothing() -> None:
    assert _said(BASE, BASE) == []
    # Layout and descriptions are not differences the filter makes.
    assert (
        _said(
            BASE, BASE.replace('default = "allow"\nyoutube', 'default = "allow"\ndescription = "x"\nyoutube')
        )
        == []
    )


def test_nothing_published_yet() -> None:
    assert _all(None, BASE) == [
        Sentence(
            "The whole policy is new, as nothing was published before it: "
            "3 groups, 2 rules, 0 approved requests.",
            Kind.ADDED,
            "The policy",
        )
    ]


def test_a_grant_in_words_with_its_approver_in_the_schools_time() -> None:
    old = _grant_base()
    said = _all(old, old + GRANT, {14: RequestInfo("P. Okafor")})
    assert said == [
        Sentence(
            "Class 6B may now visit coolmathgames.com in lessons until 19 December "
            "(request 14, approved by P. Okafor).",
            Kind.ADDED,
            "Requests",
        )
    ]


def test_a_teachers_own_unblock_says_it_was_not_approved() -> None:
    old = _grant_base()
    said = _said(old, old + GRANT, {14: RequestInfo("J. Hart", without_approval=True)})
    assert said == [
        "Class 6B may now visit coolmathgames.com in lessons until 19 December "
        "(request 14, made by J. Hart without approval)."
    ]


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (RequestInfo("P. Okafor", ended_by="A. Shah"), "Request 14 was ended early by A. Shah: "),
        (RequestInfo("P. Okafor"), "Request 14 has ended: "),
    ],
    ids=["early", "expired"],
)
def test_a_grant_that_ends_says_how(info: RequestInfo, expected: str) -> None:
    old = _grant_base()
    said = _all(old + GRANT, old, {14: info})
    assert said == [
        Sentence(
            expected + "it allowed class 6B to visit coolmathgames.com in lessons until 19 December.",
            Kind.REMOVED,
            "Requests",
        )
    ]


def test_a_grant_changed_in_place_is_one_sentence() -> None:
    old = _grant_base()
    longer = GRANT.replace("2026-12-19T00:00:00", "2026-12-20T00:00:00")
    assert _all(old + GRANT, old + longer) == [
        Sentence(
            "Class 6B may now visit coolmathgames.com in lessons until 20 December (request 14).",
            Kind.CHANGED,
            "Requests",
        )
    ]


def test_a_grant_for_everyone_with_no_lookup_still_names_the_request() -> None:
    grant = GRANT.replace('groups = ["request-14"]\n', "").replace(
        "expires = 2026-12-19T00:00:00", "expires = 2026-07-01T15:30:00"
    )
    assert _said(_grant_base(), _grant_base() + grant) == [
        "Everyone may now visit coolmathgames.com in lessons until 15:30, 1 July (request 14)."
    ]


def test_a_block_grant_for_a_group() -> None:
    grant = GRANT.replace('["request-14"]', '["year-6"]').replace('action = "allow"', 'action = "block"')
    assert _said(_grant_base(), _grant_base() + grant) == [
        "The group 'year-6' may no longer visit coolmathgames.com in lessons until 19 December (request 14)."
    ]


NO_GAMES = 'name = "no games"\ngroups = ["pupils"]\ncategories = ["games"]\naction = "block"'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            NO_GAMES,
            NO_GAMES.replace('["pupils"]', '["pupils", "year-6"]'),
            "Rule 1 'no games' now also applies to 'year-6'.",
        ),
        (
            NO_GAMES,
            NO_GAMES.replace('groups = ["pupils"]\n', ""),
            "Rule 1 'no games' now applies to everyone.",
        ),
        (
            'name = "curriculum"\nsites',
            'name = "curriculum"\ngroups = ["staff"]\nsites',
            "Rule 2 'curriculum' now applies only to 'staff'.",
        ),
        (
            NO_GAMES,
            NO_GAMES.replace('"block"', '"allow"\nwindow = "lessons"\nexpires = 2027-01-10T16:00:00'),
            "Rule 1 'no games' now allows what it blocked, and now applies only in lessons, "
            "and now lasts until 16:00, 10 January.",
        ),
        (
            NO_GAMES,
            NO_GAMES.replace('["games"]', '["games"]\ndomains = ["roblox.com"]\nalert = "high"'),
            "Rule 1 'no games' now also covers roblox.com, and now raises a high alert when it blocks.",
        ),
        (
            'sites = ["curriculum"]',
            'domains = ["nasa.gov"]',
            "Rule 2 'curriculum' now also covers nasa.gov, and no longer covers the site list 'curriculum'.",
        ),
    ],
    ids=["also-applies", "everyone", "only", "action-window-expiry", "covers-alert", "sites"],
)
def test_a_changed_rule_says_what_changed(old: str, new: str, expected: str) -> None:
    new_text = BASE.replace(old, new)
    assert new_text != BASE
    said = _all(BASE, new_text.replace("[[identities]]", YEAR6 + "\n[[identities]]", 1))
    rules = [s for s in said if s.section == "Rules"]
    assert rules == [Sentence(expected, Kind.CHANGED, "Rules")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '[[rules]]\nname = "curriculum"\nsites = ["curriculum"]\naction = "allow"\n',
            "",
            Sentence(
                "Rule 2 'curriculum' is taken out: it allowed everyone to visit the site list 'curriculum'.",
                Kind.REMOVED,
                "Rules",
            ),
        ),
        (
            '[[rules]]\nname = "curriculum"\n',
            '[[rules]]\nname = "maths"\ngroups = ["pupils"]\ndomains = ["a.org", "b.org", "c.org", "d.org"]\n'
            'window = "lessons"\naction = "allow"\n\n[[rules]]\nname = "curriculum"\n',
            Sentence(
                "New rule 2 'maths': the group 'pupils' may now visit a.org, b.org, c.org "
                "and 1 more in lessons.",
                Kind.ADDED,
                "Rules",
            ),
        ),
    ],
    ids=["removed", "added"],
)
def test_rules_added_and_taken_out(old: str, new: str, expected: Sentence) -> None:
    assert _all(BASE, BASE.replace(old, new)) == [expected]


def test_a_rule_moved() -> None:
    first = '[[rules]]\nname = "no games"\ngroups = ["pupils"]\ncategories = ["games"]\naction = "block"\n'
    moved = BASE.replace(first, "") + "\n" + first
    assert _said(BASE, moved) == [
        "Rule 2 'no games' moves: it now comes after 'curriculum' (the first rule that matches decides)."
    ]


def test_only_the_rule_that_moved_is_said_to_move() -> None:
    rules = "".join(
        f'\n[[rules]]\nname = "r{i}"\ndomains = ["r{i}.org"]\naction = "allow"\n' for i in range(5)
    )
    old = BASE + rules
    last = '\n[[rules]]\nname = "r4"\ndomains = ["r4.org"]\naction = "allow"\n'
    new = old.replace(last, "").replace('\n[[rules]]\nname = "r0"', last + '\n[[rules]]\nname = "r0"')
    assert _said(old, new) == [
        "Rule 3 'r4' moves: it now comes before 'r0' (the first rule that matches decides)."
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '[groups.staff]\ndefault = "allow"\nyoutube = "moderate"',
            '[groups.staff]\ndefault = "block"\nsafe_search = false\nyoutube = "strict"',
            [
                "For 'staff', sites no rule decides are now blocked.",
                "Safe search is now off for 'staff'.",
                "YouTube is now strict for 'staff'.",
            ],
        ),
        (
            '[groups.staff]\ndefault = "allow"\nyoutube = "moderate"',
            '[groups.staff]\ndefault = "allow"\nyoutube = "moderate"\n\n'
            '[groups.year-6]\ndefault = "allow"\nwithin = "pupils"',
            [
                "New group 'year-6' (part of 'pupils': it gets the rules of 'pupils' too): "
                "sites no rule decides are allowed, safe search on, YouTube strict."
            ],
        ),
        (
            '[groups.staff]\ndefault = "allow"\nyoutube = "moderate"',
            '[groups.staff]\ndefault = "allow"\nyoutube = "moderate"\nwithin = "pupils"',
            ["'staff' is now part of 'pupils': it gets the rules of 'pupils' too."],
        ),
    ],
    ids=["settings", "new-within", "within"],
)
def test_groups(old: str, new: str, expected: list[str]) -> None:
    assert _said(BASE, BASE.replace(old, new)) == expected


def test_a_group_no_longer_part_of_another_loses_its_rules() -> None:
    old = BASE.replace('youtube = "moderate"', 'youtube = "moderate"\nwithin = "pupils"')
    assert _all(old, BASE) == [
        Sentence(
            "'staff' is no longer part of 'pupils': it loses the rules of 'pupils'.", Kind.CHANGED, "Groups"
        )
    ]
    assert _said(
        BASE.replace("[groups.staff]", '[groups.visitors]\ndefault = "block"\n\n[groups.staff]'), BASE
    ) == ["The group 'visitors' is taken out."]


def test_who_is_in_which_group_by_counts() -> None:
    new = (
        _grant_base()
        .replace(
            'group = "pupils"\nusers = ["p1", "p2", "p3"]',
            'group = "pupils"\nusers = ["p1"]\n\n[[identities]]\ngroup = "year-6"\nusers = ["p2", "p3"]',
        )
        .replace('group = "staff"\nusers = ["t1"]', 'group = "staff"\nusers = ["t2", "t3"]')
    )
    assert _all(_grant_base(), new) == [
        Sentence("2 user names join 'staff'.", Kind.ADDED, "Who is in which group"),
        Sentence(
            "2 user names move from 'pupils' to 'year-6' and keep the rules of 'pupils' "
            "('year-6' is part of 'pupils').",
            Kind.CHANGED,
            "Who is in which group",
        ),
        Sentence(
            "1 user name leaves 'staff' and will be unidentified (the group 'default').",
            Kind.REMOVED,
            "Who is in which group",
        ),
    ]


def test_moving_to_a_group_that_is_not_part_of_the_old_one_loses_its_rules() -> None:
    new = (
        BASE.replace(
            'group = "pupils"\nusers = ["p1", "p2", "p3"]', 'group = "staff"\nusers = ["p1", "p2", "p3"]'
        )
        + '\n[[identities]]\ngroup = "pupils"\nnetworks = ["10.1.0.0/24"]\n'
    )
    assert _said(BASE, new) == [
        "1 network joins 'pupils'.",
        "3 user names move from 'pupils' to 'staff' and no longer get the rules of 'pupils'.",
    ]


def test_the_people_of_a_request_are_its_grants_business() -> None:
    people = '\n[[identities]]\ngroup = "request-14"\nusers = ["p2"]\nexpires = 2026-12-19T00:00:00\n'
    said = _said(_grant_base(), _grant_base() + people + GRANT)
    assert len(said) == 1 and said[0].startswith("Class 6B may now visit")


def test_timed_access() -> None:
    visitors = '\n[[identities]]\ngroup = "staff"\nusers = ["v1", "v2"]\nexpires = 2026-12-06T15:00:00\n'
    assert _said(BASE, BASE + visitors) == ["Access of 2 user names in 'staff' until 15:00, 6 December."]
    assert _all(BASE + visitors, BASE) == [
        Sentence(
            "Access of 2 user names in 'staff' until 15:00, 6 December is taken out.",
            Kind.REMOVED,
            "Who is in which group",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'times = ["09:00-15:00"]',
            'times = ["09:00-12:00"]',
            "The time window 'lessons' becomes Mon–Fri 09:00–12:00, Europe/London.",
        ),
        (
            'times = ["09:00-15:00"]',
            'times = ["09:00-15:00"]\nterms = ["2026-09-03..2026-12-18"]',
            "The term dates of 'lessons' change: added 3 September 2026 to 18 December 2026.",
        ),
        (
            'sources = ["ut1/games"]',
            'sources = ["ut1/games", "ut1/gambling"]',
            "The category 'games' now also covers ut1/gambling.",
        ),
        (
            'domains = ["bbc.co.uk"]',
            'domains = ["bbc.co.uk", "nasa.gov"]',
            "In the site list 'curriculum', nasa.gov is added.",
        ),
        (
            'name = "Northfield Primary"',
            'name = "Northfield School"',
            "The school's name becomes 'Northfield School'.",
        ),
        (
            'path = "builtin:ut1-sample"',
            'path = "builtin:ut1-sample"\n\n'
            '[lists.extra]\nformat = "squidguard"\npath = "builtin:ut1-sample"',
            "New list 'extra': the squidguard list at ",
        ),
    ],
    ids=["window", "terms", "category", "sites", "school", "lists"],
)
def test_other_parts(old: str, new: str, expected: str) -> None:
    said = _said(BASE, BASE.replace(old, new))
    if expected.endswith(" at "):  # a list's path is where the loader found it on this machine
        assert len(said) == 1 and said[0].startswith(expected) and said[0].endswith("ut1-sample.")
    else:
        assert said == [expected]


def test_sentences_come_under_headings_in_a_fixed_order() -> None:
    new = (
        BASE.replace('name = "Northfield Primary"', 'name = "X"')
        .replace('domains = ["bbc.co.uk"]', "domains = []")
        .replace('["09:00-15:00"]', '["09:00-15:30"]')
    )
    grouped = by_section(_all(BASE, new))
    assert [title for title, _ in grouped] == ["Time windows and term dates", "Site lists", "Settings"]
    assert [s.kind for _, said in grouped for s in said] == [Kind.CHANGED, Kind.CHANGED, Kind.CHANGED]
