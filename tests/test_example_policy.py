"""The shipped example policy, examples/policy.toml, against the "User actions" table it encodes.

The table is in the Online Safety Policy of policies/002 (search "User actions:"); the header of
examples/policy.toml says which rules implement each row. Each row is one parametrized test here,
walked for the five kinds of user the example names and for a user the filter cannot identify, with
real entries of the UT1 sample shipped in src/schoolgate/data/ut1-sample and the test stand-ins of
the locked lists in examples/lists.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schoolgate.engine.decide import Decision, Reason, Request, decide
from schoolgate.engine.policy import Action, AlertLevel, CompiledPolicy, compile_policy
from schoolgate.lists.compile import compile_lists, open_index
from schoolgate.policyfile.load import load_policy

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "policy.toml"
LONDON = ZoneInfo("Europe/London")
ALLOW, BLOCK = Action.ALLOW, Action.BLOCK
P = pytest.param

# Monday 2 November 2026 is in the autumn term, after half term.
IN_LESSONS = datetime(2026, 11, 2, 10, 30, tzinfo=LONDON)
AT_LUNCH = datetime(2026, 11, 2, 12, 30, tzinfo=LONDON)

# Each kind of user: how they reach the filter, and the group the example policy gives them.
USERS: dict[str, tuple[Request, str]] = {
    "ks1-logon": (Request("", "ks1-class1"), "ks1"),
    "ks1-tablet": (Request("", None, "10.10.1.23"), "ks1"),
    "ks2": (Request("", "ks2-amelia"), "ks2"),
    "staff": (Request("", "mr.patel"), "staff"),
    "nominated": (Request("", "ms.okafor"), "nominated-staff"),
    "visitor": (Request("", None, "10.10.200.5"), "visitors"),
    "unidentified": (Request("", "new-supply-teacher", "172.16.5.9"), "default"),
}
NOMINATED = {"nominated"}
STAFF = {"staff", "nominated"}


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> CompiledPolicy:
    policy_file = load_policy(EXAMPLE)
    result = compile_lists(policy_file.lists, tmp_path_factory.mktemp("example") / "lists.sgidx")
    assert result.problems == []
    return compile_policy(policy_file.policy, open_index(result.path))


def ask(policy: CompiledPolicy, kind: str, url: str, at: datetime = IN_LESSONS) -> Decision:
    request, group = USERS[kind]
    decision = decide(policy, request._replace(url=url), at)
    assert decision.group == group
    return decision


@pytest.mark.parametrize(
    ("kind", "identity"),
    [
        P("ks1-logon", "user ks1-class1", id="ks1-class-logon"),
        P("ks1-tablet", "address 10.10.1.23 in 10.10.1.0/24 (KS1 classroom tablets)", id="ks1-tablet"),
        P("ks2", "user ks2-amelia", id="ks2-pupil"),
        P("staff", "user mr.patel", id="staff"),
        P("nominated", "user ms.okafor", id="nominated-staff"),
        P("visitor", "address 10.10.200.5 in 10.10.200.0/24 (guest Wi-Fi)", id="visitor"),
        P("unidentified", "unidentified", id="unidentified"),
    ],
)
def test_each_kind_of_user_is_identified(policy: CompiledPolicy, kind: str, identity: str) -> None:
    assert ask(policy, kind, "http://unlisted.example/").identity == identity


# ---------------------------------------------------------------------------------------------------------
# Row "Acceptable": on-line gaming (educational)

EDUCATIONAL_GAMES = {
    "educational-game": "http://www.primarygames.com/maths/",
    "educational-game-2": "https://logicieleducatif.fr/",
    "educational-game-url-entry": "http://www.cite-sciences.fr/juniors/moyen-age/jeu.html",
}


@pytest.mark.parametrize(
    ("kind", "url"),
    [P(kind, url, id=f"{kind}-{what}-allowed") for kind in USERS for what, url in EDUCATIONAL_GAMES.items()],
)
def test_acceptable_educational_games_are_allowed_for_everyone(
    policy: CompiledPolicy, kind: str, url: str
) -> None:
    decision = ask(policy, kind, url)
    assert (decision.verdict, decision.category, decision.rule) == (ALLOW, "educational-games", 2)


# ---------------------------------------------------------------------------------------------------------
# Row "Acceptable at certain times": on-line gaming (non-educational), on-line shopping

AT_CERTAIN_TIMES = {"games": "https://www.roblox.com/games", "shopping": "https://www.amazon.co.uk/basket"}


@pytest.mark.parametrize(
    ("kind", "category", "at", "verdict", "rule"),
    [
        P(
            kind,
            category,
            at,
            ALLOW if kind in STAFF and at is AT_LUNCH else BLOCK,
            12 if kind in STAFF and at is AT_LUNCH else 13,
            id=f"{kind}-{category}-{when}-{'allowed' if kind in STAFF and at is AT_LUNCH else 'blocked'}",
        )
        for kind in USERS
        for category in AT_CERTAIN_TIMES
        for when, at in (("in-lessons", IN_LESSONS), ("at-lunch", AT_LUNCH))
    ],
)
def test_acceptable_at_certain_times_games_and_shopping_are_for_staff_at_lunchtime(
    policy: CompiledPolicy, kind: str, category: str, at: datetime, verdict: Action, rule: int
) -> None:
    decision = ask(policy, kind, AT_CERTAIN_TIMES[category], at)
    assert (decision.verdict, decision.category, decision.rule) == (verdict, category, rule)
    assert decision.window == ("free-time" if rule == 12 else None)


def test_gambling_stays_blocked_for_staff_at_lunchtime_though_it_is_also_listed_as_a_game(
    policy: CompiledPolicy,
) -> None:
    decision = ask(policy, "staff", "https://www.bet365.com/", AT_LUNCH)
    assert (decision.verdict, decision.category, decision.rule) == (BLOCK, "gambling", 7)


# ---------------------------------------------------------------------------------------------------------
# Row "Acceptable for nominated users": social media, messaging apps, video broadcasting

FOR_NOMINATED_USERS = {
    "social-media": "https://www.tiktok.com/@school",
    "messaging": "https://www.livechat.com/",
    "video": "https://www.youtube.com/watch?v=abc",
}


@pytest.mark.parametrize(
    ("kind", "category", "verdict", "rule"),
    [
        P(
            kind,
            category,
            ALLOW if kind in NOMINATED else BLOCK,
            10 if kind in NOMINATED else 11,
            id=f"{kind}-{category}-{'allowed' if kind in NOMINATED else 'blocked'}",
        )
        for kind in USERS
        for category in FOR_NOMINATED_USERS
    ],
)
def test_acceptable_for_nominated_users_social_media_messaging_and_video(
    policy: CompiledPolicy, kind: str, category: str, verdict: Action, rule: int
) -> None:
    for at in (IN_LESSONS, AT_LUNCH):
        decision = ask(policy, kind, FOR_NOMINATED_USERS[category], at)
        assert (decision.verdict, decision.category, decision.rule) == (verdict, category, rule)


# ---------------------------------------------------------------------------------------------------------
# Row "Unacceptable": pornography, discrimination, violence, offensive material, unfair usage

# what -> (URL, category, rule, alert)
UNACCEPTABLE = {
    "pornography": (
        "http://bestsimilar.com/tag/821-sexploitation/page/2",
        "pornography",
        4,
        AlertLevel.HIGH,
    ),
    "discrimination": ("https://democratieparticipative.host/", "hate", 5, AlertLevel.HIGH),
    "violence": ("https://www.cheaperthandirt.com/guns/", "violence", 5, AlertLevel.HIGH),
    "drugs": ("http://dailydose.net/", "drugs", 6, AlertLevel.MEDIUM),
    "gambling": ("https://www.bet365.com/", "gambling", 7, AlertLevel.MEDIUM),
    "vpn": ("https://nordvpn.com/download/", "circumvention", 8, AlertLevel.MEDIUM),
    "misinformation": ("http://20minuts.com/", "misinformation", 9, AlertLevel.NONE),
    "dating": ("http://agreaterdate.com/", "adult-themes", 9, AlertLevel.NONE),
    "large-downloads": ("http://anyhub.net/file/1", "large-downloads", 9, AlertLevel.NONE),
}


@pytest.mark.parametrize(
    ("kind", "what"),
    [P(kind, what, id=f"{kind}-{what}-blocked") for kind in USERS for what in UNACCEPTABLE],
)
def test_unacceptable_sites_are_blocked_for_everyone_at_every_time(
    policy: CompiledPolicy, kind: str, what: str
) -> None:
    url, category, rule, alert = UNACCEPTABLE[what]
    for at in (IN_LESSONS, AT_LUNCH):
        decision = ask(policy, kind, url, at)
        assert (decision.verdict, decision.reason, decision.category, decision.rule, decision.alert) == (
            BLOCK,
            Reason.RULE,
            category,
            rule,
            alert,
        )


# ---------------------------------------------------------------------------------------------------------
# Row "Unacceptable and illegal": the locked lists, and malware, hacking and piracy

# what -> (URL, category, reason, rule)
ILLEGAL = {
    "child-abuse": ("http://iwf-test.example/", "child-abuse", Reason.LOCKED, None),
    "child-abuse-2": ("https://www.blocked-abuse-test.invalid/img/1.jpg", "child-abuse", Reason.LOCKED, None),
    "terrorism": ("http://terror-test.example/video", "terrorism", Reason.LOCKED, None),
    "terrorism-2": ("extremist-content-test.invalid:443", "terrorism", Reason.LOCKED, None),
    "piracy": ("https://1337x.to/search/film/1/", "piracy", Reason.RULE, 3),
    "hacking": ("http://www.darknet.org.uk/", "malware-hacking", Reason.RULE, 3),
    "malware": ("http://steamcommunfity.com/gift-card/937676467745", "malware-hacking", Reason.RULE, 3),
}


@pytest.mark.parametrize(
    ("kind", "what"),
    [P(kind, what, id=f"{kind}-{what}-blocked") for kind in USERS for what in ILLEGAL],
)
def test_unacceptable_and_illegal_sites_are_blocked_for_everyone_with_a_high_alert(
    policy: CompiledPolicy, kind: str, what: str
) -> None:
    url, category, reason, rule = ILLEGAL[what]
    for at in (IN_LESSONS, AT_LUNCH):
        decision = ask(policy, kind, url, at)
        assert (decision.verdict, decision.reason, decision.category, decision.rule, decision.alert) == (
            BLOCK,
            reason,
            category,
            rule,
            AlertLevel.HIGH,
        )


# ---------------------------------------------------------------------------------------------------------
# Outside the table: curriculum sites, and sites no list names


@pytest.mark.parametrize("kind", USERS)
def test_curriculum_sites_are_allowed_for_everyone(policy: CompiledPolicy, kind: str) -> None:
    decision = ask(policy, kind, "https://www.nationalgeographic.com/animals")
    assert (decision.verdict, decision.rule, decision.source, decision.entry) == (
        ALLOW,
        1,
        "site:curriculum",
        "nationalgeographic.com",
    )


@pytest.mark.parametrize("kind", USERS)
def test_uk_education_and_child_support_sites_are_allowed_for_everyone(
    policy: CompiledPolicy, kind: str
) -> None:
    for url, entry in (("https://www.childline.org.uk/get-support/", "childline.org.uk"),
                       ("https://www.bbc.co.uk/bitesize", "bbc.co.uk")):  # fmt: skip
        decision = ask(policy, kind, url, IN_LESSONS)
        assert (decision.verdict, decision.rule, decision.category, decision.entry) == (
            ALLOW,
            1,
            "uk-education",
            entry,
        )


@pytest.mark.parametrize(
    ("kind", "verdict"),
    [P(kind, BLOCK if kind == "unidentified" else ALLOW, id=kind) for kind in USERS],
)
def test_a_site_no_list_names_is_allowed_except_for_the_unidentified(
    policy: CompiledPolicy, kind: str, verdict: Action
) -> None:
    decision = ask(policy, kind, "https://unlisted.example/page")
    assert (decision.verdict, decision.reason, decision.rule) == (verdict, Reason.GROUP_DEFAULT, None)
