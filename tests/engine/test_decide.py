"""Tests for schoolgate.engine.decide: `decide(policy, request, at) -> Decision` and `explain()`.

Each test builds a small policy over the tiny index of test_policy.py; the instants are aware
datetimes in Europe/London unless a test is about another zone. 2 November 2026 is a Monday in term.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schoolgate.engine.decide import Decision, Reason, Request, decide, explain
from schoolgate.engine.policy import Action, AlertLevel, CompiledPolicy
from tests.engine.test_policy import LONDON, USERS, allow, block, compiled

P = pytest.param
ALLOW, BLOCK = Action.ALLOW, Action.BLOCK


def london(text: str) -> datetime:
    """A wall-clock time in the school's zone, e.g. london("2026-11-02 10:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


MONDAY_LESSON = london("2026-11-02 10:30")
MONDAY_LUNCH = london("2026-11-02 12:30")

# Who is asking: (user, client address) for each kind of requester in the small world.
AMELIA = Request("", "amelia")  # ks2 by user name
PATEL = Request("", "mr.patel")  # staff by user name
TABLET = Request("", None, "10.10.1.5")  # ks1 by address
NOBODY = Request("")  # unidentified


def ask(policy: CompiledPolicy, url: str, who: Request = AMELIA, at: datetime = MONDAY_LESSON) -> Decision:
    return decide(policy, who._replace(url=url), at)


# ---------------------------------------------------------------------------------------------------------
# Locked lists block first


def test_a_locked_list_blocks_with_its_category_entry_and_a_high_alert() -> None:
    policy = compiled(allow("everything", all_sites=True))
    assert ask(policy, "http://www.abuse.example/page") == Decision(
        verdict=BLOCK,
        reason=Reason.LOCKED,
        group="ks2",
        identity="user amelia",
        category="child-abuse",
        uksic="illegal",
        source="iwf",
        entry="abuse.example",
        rule=None,
        rule_name=None,
        window=None,
        alert=AlertLevel.HIGH,
        host="www.abuse.example",
    )


@pytest.mark.parametrize(
    "who",
    [P(AMELIA, id="ks2"), P(PATEL, id="staff"), P(TABLET, id="ks1"), P(NOBODY, id="unidentified")],
)
@pytest.mark.parametrize(
    ("url", "category", "entry"),
    [
        P("http://abuse.example/", "child-abuse", "abuse.example", id="locked-domain"),
        P("https://cdn.abuse.example/x.jpg", "child-abuse", "abuse.example", id="locked-subdomain"),
        P("http://share.example/abuse/1.jpg", "child-abuse", "share.example/abuse/", id="locked-url"),
        P("abuse.example:443", "child-abuse", "abuse.example", id="locked-connect"),
        P("http://terror.example/", "terrorism", "terror.example", id="locked-list-not-category"),
    ],
)
def test_locked_lists_block_every_group_before_an_allow_rule(
    who: Request, url: str, category: str, entry: str
) -> None:
    policy = compiled(
        allow("everything for staff", groups=("staff",), all_sites=True),
        allow("curriculum", sites=("curriculum",)),
        allow("games", groups=("ks1", "ks2", "staff", "default"), categories=("games",)),
    )
    decision = ask(policy, url, who)
    assert (decision.verdict, decision.reason, decision.category, decision.entry) == (
        BLOCK,
        Reason.LOCKED,
        category,
        entry,
    )
    assert (decision.rule, decision.rule_name, decision.alert) == (None, None, AlertLevel.HIGH)


def test_a_locked_list_that_no_category_names_still_blocks_and_names_its_list() -> None:
    """t/unused is in no category: the decision must not borrow another category's name."""
    policy = compiled(locked_sources=frozenset({"terror", "t/unused"}))
    decision = ask(policy, "http://unused.example/")
    assert (decision.verdict, decision.reason, decision.alert) == (BLOCK, Reason.LOCKED, AlertLevel.HIGH)
    assert (decision.category, decision.uksic) == (None, None)
    assert (decision.source, decision.entry) == ("t/unused", "unused.example")


# ---------------------------------------------------------------------------------------------------------
# The first matching rule wins


def test_a_rule_decision_carries_the_rule_category_entry_window_and_alert() -> None:
    policy = compiled(
        block("no gambling in lessons", categories=("gambling",), window="lessons", alert=AlertLevel.MEDIUM)
    )
    assert ask(policy, "https://www.bet.example/odds") == Decision(
        verdict=BLOCK,
        reason=Reason.RULE,
        group="ks2",
        identity="user amelia",
        category="gambling",
        uksic="gambling",
        source="t/gambling",
        entry="bet.example",
        rule=1,
        rule_name="no gambling in lessons",
        window="lessons",
        alert=AlertLevel.MEDIUM,
        host="www.bet.example",
    )


@pytest.mark.parametrize(
    ("gambling_first", "url", "verdict", "rule", "category"),
    [
        # bet.example is listed under both gambling and games: whichever rule comes first decides.
        P(True, "http://bet.example/", BLOCK, 1, "gambling", id="block-above-allow-blocks"),
        P(False, "http://bet.example/", ALLOW, 1, "games", id="allow-above-block-allows"),
        P(True, "http://games.example/", ALLOW, 2, "games", id="only-the-lower-rule-matches"),
        P(True, "http://games.example/poker/holdem", BLOCK, 1, "gambling", id="url-entry-matches-first-rule"),
        P(
            False,
            "http://games.example/poker/holdem",
            ALLOW,
            1,
            "games",
            id="domain-entry-matches-first-rule",
        ),
    ],
)
def test_the_first_matching_rule_wins(
    gambling_first: bool, url: str, verdict: Action, rule: int, category: str
) -> None:
    gambling = block("no gambling", categories=("gambling",))
    games = allow("games", categories=("games",))
    policy = compiled(*((gambling, games) if gambling_first else (games, gambling)))
    decision = ask(policy, url)
    assert (decision.verdict, decision.reason, decision.rule, decision.category) == (
        verdict,
        Reason.RULE,
        rule,
        category,
    )


def test_a_rule_that_does_not_match_the_request_is_passed_over() -> None:
    policy = compiled(
        block("no gambling", categories=("gambling",)), block("no social", categories=("social-media",))
    )
    assert ask(policy, "http://chat.example/").rule_name == "no social"


@pytest.mark.parametrize(
    ("who", "group", "verdict", "rule"),
    [
        P(PATEL, "staff", ALLOW, 1, id="staff-get-their-own-rule"),
        P(AMELIA, "ks2", BLOCK, 2, id="ks2-skip-the-staff-rule"),
        P(TABLET, "ks1", BLOCK, 2, id="ks1-skip-the-staff-rule"),
        P(NOBODY, "default", BLOCK, 2, id="unidentified-skip-the-staff-rule"),
    ],
)
def test_rules_for_other_groups_are_skipped(who: Request, group: str, verdict: Action, rule: int) -> None:
    policy = compiled(
        allow("games for staff", groups=("staff",), categories=("games",)),
        block("no games", categories=("games",)),
    )
    decision = ask(policy, "http://games.example/", who)
    assert (decision.group, decision.verdict, decision.rule) == (group, verdict, rule)
    assert decision.reason is Reason.RULE


# ---------------------------------------------------------------------------------------------------------
# Time: windows, starts and expiry


@pytest.mark.parametrize(
    ("at", "verdict", "rule", "window"),
    [
        P(london("2026-11-02 10:30"), BLOCK, 2, None, id="monday-in-lessons"),
        P(london("2026-11-02 12:00"), ALLOW, 1, "lunchtime", id="monday-lunch-starts"),
        P(london("2026-11-02 12:30"), ALLOW, 1, "lunchtime", id="monday-lunch"),
        P(london("2026-11-02 13:15"), BLOCK, 2, None, id="monday-lunch-has-ended"),
        P(london("2026-11-07 12:30"), BLOCK, 2, None, id="saturday-at-lunchtime"),
        # 11:30 UTC in June is 12:30 in London (BST): the window is judged in school time.
        P(datetime(2026, 6, 1, 11, 30, tzinfo=UTC), ALLOW, 1, "lunchtime", id="utc-instant-in-bst-lunch"),
        P(datetime(2026, 6, 1, 12, 30, tzinfo=UTC), BLOCK, 2, None, id="utc-instant-after-bst-lunch"),
        P(datetime(2026, 12, 7, 12, 30, tzinfo=UTC), ALLOW, 1, "lunchtime", id="utc-instant-in-gmt-lunch"),
    ],
)
def test_a_rule_with_a_window_applies_only_inside_it(
    at: datetime, verdict: Action, rule: int, window: str | None
) -> None:
    policy = compiled(
        allow("social media at lunch", groups=("ks2",), categories=("social-media",), window="lunchtime"),
        block("no social media", categories=("social-media",)),
    )
    decision = ask(policy, "http://social.example/feed", AMELIA, at)
    assert (decision.verdict, decision.rule, decision.window) == (verdict, rule, window)


@pytest.mark.parametrize(
    ("at", "verdict", "rule"),
    [
        P(london("2026-11-02 08:59"), BLOCK, 2, id="before-it-starts"),
        P(london("2026-11-02 09:00"), ALLOW, 1, id="as-it-starts"),
        P(london("2026-11-02 09:59"), ALLOW, 1, id="during-the-lesson"),
        P(london("2026-11-02 10:00"), BLOCK, 2, id="as-it-expires"),
        P(london("2026-11-03 09:30"), BLOCK, 2, id="the-next-day"),
        P(datetime(2026, 11, 2, 9, 30, tzinfo=UTC), ALLOW, 1, id="same-instant-in-utc"),
    ],
)
def test_a_temporary_unblock_applies_between_its_start_and_its_expiry(
    at: datetime, verdict: Action, rule: int
) -> None:
    policy = compiled(
        allow(
            "social.example for 5B's lesson",
            groups=("ks2",),
            domains=("social.example",),
            starts=london("2026-11-02 09:00"),
            expires=london("2026-11-02 10:00"),
        ),
        block("no social media", categories=("social-media",)),
    )
    decision = ask(policy, "https://social.example/lesson", AMELIA, at)
    assert (decision.verdict, decision.rule) == (verdict, rule)


def test_an_expired_temporary_unblock_no_longer_applies() -> None:
    policy = compiled(
        allow(
            "unblock chat for a week",
            groups=("ks2",),
            domains=("chat.example",),
            expires=london("2026-10-01 00:00"),
        ),
        block("no social media", categories=("social-media",)),
    )
    decision = ask(policy, "http://chat.example/")
    assert (decision.verdict, decision.rule, decision.rule_name) == (BLOCK, 2, "no social media")


# ---------------------------------------------------------------------------------------------------------
# What a rule matches: site lists, inline domains and URLs, every site, patterns


@pytest.mark.parametrize(
    ("url", "verdict", "rule", "source", "entry"),
    [
        P("http://www.bbc.co.uk/bitesize", ALLOW, 1, "site:curriculum", "bbc.co.uk", id="site-list-domain"),
        P(
            "http://games.example/maths/times-tables",
            ALLOW,
            1,
            "site:curriculum",
            "games.example/maths/",
            id="site-list-url",
        ),
        P("http://pics.example/holiday", BLOCK, 2, "rule:2", "pics.example", id="inline-domain"),
        P(
            "http://www.news.example/sport/football",
            BLOCK,
            2,
            "rule:2",
            "news.example/sport/",
            id="inline-url-www-stripped",
        ),
        P("http://news.example/weather", ALLOW, None, None, None, id="beside-the-inline-url"),
        P("http://games.example/other", BLOCK, 3, "t/games", "games.example", id="outside-the-site-list"),
    ],
)
def test_site_lists_and_inline_entries_match_like_list_entries(
    url: str, verdict: Action, rule: int | None, source: str | None, entry: str | None
) -> None:
    policy = compiled(
        allow("curriculum", sites=("curriculum",)),
        block("not these", domains=("pics.example",), urls=("news.example/sport/",)),
        block("no games", categories=("games",)),
    )
    decision = ask(policy, url)
    assert (decision.verdict, decision.rule, decision.source, decision.entry) == (
        verdict,
        rule,
        source,
        entry,
    )


@pytest.mark.parametrize(
    ("url", "verdict", "rule", "category"),
    [
        P("http://www.bbc.co.uk/", ALLOW, 1, None, id="the-allowed-site"),
        P("http://unlisted.example/", BLOCK, 2, None, id="an-unlisted-site"),
        P("http://games.example/", BLOCK, 2, "games", id="a-listed-site-still-names-its-category"),
    ],
)
def test_an_all_sites_rule_matches_every_request(
    url: str, verdict: Action, rule: int, category: str | None
) -> None:
    policy = compiled(
        allow("ks1 curriculum", groups=("ks1",), sites=("curriculum",)),
        block("ks1 nothing else", groups=("ks1",), all_sites=True),
    )
    decision = ask(policy, url, TABLET)
    assert (decision.verdict, decision.rule, decision.category, decision.group) == (
        verdict,
        rule,
        category,
        "ks1",
    )


@pytest.mark.parametrize(
    ("url", "verdict", "reason"),
    [
        P("https://www.google.com/search?q=best+vape+flavours", BLOCK, Reason.RULE, id="matching-query"),
        P("https://www.google.com/search?hl=en&q=VAPE", BLOCK, Reason.RULE, id="case-insensitive"),
        P("https://www.google.com/search?q=vapour+trails", ALLOW, Reason.GROUP_DEFAULT, id="other-query"),
        P("https://www.google.com/vape", ALLOW, Reason.GROUP_DEFAULT, id="not-in-the-query"),
    ],
)
def test_a_pattern_rule_searches_the_host_and_target(url: str, verdict: Action, reason: Reason) -> None:
    policy = compiled(block("no vape searches", patterns=(r"[?&]q=[^&]*\bvape\b",), alert=AlertLevel.LOW))
    decision = ask(policy, url)
    assert (decision.verdict, decision.reason) == (verdict, reason)
    if reason is Reason.RULE:
        assert (decision.rule, decision.alert, decision.host) == (1, AlertLevel.LOW, "www.google.com")


def test_a_list_expression_gives_the_request_its_category() -> None:
    policy = compiled(block("no pornography", categories=("pornography",), alert=AlertLevel.HIGH))
    decision = ask(policy, "http://any.example/PORN/page")
    assert (decision.verdict, decision.category, decision.uksic, decision.source, decision.entry) == (
        BLOCK,
        "pornography",
        "pornography",
        "t/adult",
        "porn",
    )


# ---------------------------------------------------------------------------------------------------------
# The group's default


@pytest.mark.parametrize(
    ("who", "url", "verdict", "category"),
    [
        P(AMELIA, "http://unlisted.example/", ALLOW, None, id="ks2-unlisted-allowed"),
        P(AMELIA, "http://games.example/", ALLOW, "games", id="ks2-listed-allowed-with-its-category"),
        P(NOBODY, "http://unlisted.example/", BLOCK, None, id="unidentified-unlisted-blocked"),
        P(NOBODY, "http://games.example/", BLOCK, "games", id="unidentified-listed-blocked"),
    ],
)
def test_the_group_default_applies_when_no_rule_matches(
    who: Request, url: str, verdict: Action, category: str | None
) -> None:
    policy = compiled(block("no gambling", categories=("gambling",)))
    decision = ask(policy, url, who)
    assert (decision.verdict, decision.reason, decision.category) == (verdict, Reason.GROUP_DEFAULT, category)
    assert (decision.rule, decision.rule_name, decision.window, decision.alert) == (
        None,
        None,
        None,
        AlertLevel.NONE,
    )


# ---------------------------------------------------------------------------------------------------------
# Who is asking


@pytest.mark.parametrize(
    ("user", "address", "group", "identity"),
    [
        P("amelia", None, "ks2", "user amelia", id="user"),
        P("AMELIA", None, "ks2", "user AMELIA", id="user-in-capitals"),
        P("Mr.Patel", "10.10.1.5", "staff", "user Mr.Patel", id="user-before-address"),
        P(
            "stranger",
            "10.10.1.5",
            "ks1",
            "address 10.10.1.5 in 10.10.1.0/24 (KS1 tablets)",
            id="unknown-user-then-address",
        ),
        P(
            None,
            "10.10.1.5",
            "ks1",
            "address 10.10.1.5 in 10.10.1.0/24 (KS1 tablets)",
            id="most-specific-network",
        ),
        P(None, "10.20.0.1", "staff", "address 10.20.0.1 in 10.0.0.0/8 (school LAN)", id="broader-network"),
        P(
            None,
            "2001:db8:1::5",
            "ks2",
            "address 2001:db8:1::5 in 2001:db8:1::/48",
            id="ipv6-network-no-label",
        ),
        P(None, "[2001:db8:1::5]", "ks2", "address [2001:db8:1::5] in 2001:db8:1::/48", id="bracketed-ipv6"),
        P("stranger", None, "default", "unidentified", id="unknown-user"),
        P(None, "192.168.0.1", "default", "unidentified", id="unknown-address"),
        P(None, "not-an-address", "default", "unidentified", id="unreadable-address"),
        P("", "", "default", "unidentified", id="empty-user-and-address"),
        P(None, None, "default", "unidentified", id="nothing-known"),
    ],
)
def test_the_group_comes_from_the_user_then_the_address_else_default(
    user: str | None, address: str | None, group: str, identity: str
) -> None:
    policy = compiled()
    decision = decide(policy, Request("http://unlisted.example/", user, address), MONDAY_LESSON)
    assert (decision.group, decision.identity) == (group, identity)


def test_an_unidentified_request_gets_the_default_groups_block() -> None:
    decision = ask(compiled(), "http://unlisted.example/", Request("", "stranger", "192.168.0.1"))
    assert decision == Decision(
        BLOCK, Reason.GROUP_DEFAULT, "default", identity="unidentified", host="unlisted.example"
    )


def test_user_names_in_the_policy_are_matched_case_insensitively_too() -> None:
    """A Policy built by the web app may keep a user name as typed: Ms.Okafor must still be staff."""
    policy = compiled(users={**USERS, "Ms.Okafor": "staff"})
    for user in ("Ms.Okafor", "ms.okafor", "MS.OKAFOR"):
        assert ask(policy, "http://unlisted.example/", Request("", user)).group == "staff"


@pytest.mark.parametrize("user", ["\u212as.okafor", "Ms.\u212ekafor", "m\uff53.okafor"])
def test_a_look_alike_of_a_user_name_is_not_that_user(user: str) -> None:
    """Unicode lowers the Kelvin sign to "k": a directory account written with it is not ks.okafor."""
    policy = compiled(users={**USERS, "ks.okafor": "staff", "ms.okafor": "staff"})
    decision = ask(policy, "http://unlisted.example/", Request("", user))
    assert decision.group != "staff"


def test_user_names_outside_ascii_still_match_in_any_case() -> None:
    policy = compiled(users={**USERS, "JOSÉ.ÁLVAREZ": "staff"})
    for user in ("josé.álvarez", "José.Álvarez", "JOSÉ.ÁLVAREZ"):
        assert ask(policy, "http://unlisted.example/", Request("", user)).group == "staff"


# ---------------------------------------------------------------------------------------------------------
# Unparsable requests


@pytest.mark.parametrize("action", [P(BLOCK, id="block"), P(ALLOW, id="allow")])
@pytest.mark.parametrize("url", ["http://bad host/", "", "http://example.com:99999/", "http://[::1/"])
def test_an_unparsable_url_gets_the_policys_unparsable_action(action: Action, url: str) -> None:
    policy = compiled(allow("everything", all_sites=True), unparsable_action=action)
    assert ask(policy, url) == Decision(action, Reason.UNPARSABLE, "ks2", identity="user amelia")


# ---------------------------------------------------------------------------------------------------------
# explain()


def test_explain_a_blocked_decision() -> None:
    policy = compiled(
        block("no gambling in lessons", categories=("gambling",), window="lessons", alert=AlertLevel.MEDIUM)
    )
    assert explain(ask(policy, "https://www.bet.example/odds")) == (
        "blocked — category gambling (UKSIC: gambling), entry bet.example in list t/gambling, "
        'rule 1 "no gambling in lessons", group ks2 (user amelia), window lessons, alert medium'
    )


def test_explain_an_allowed_decision() -> None:
    policy = compiled(allow("curriculum", sites=("curriculum",)))
    assert explain(ask(policy, "http://www.bbc.co.uk/bitesize", PATEL)) == (
        'allowed — entry bbc.co.uk in site list curriculum, rule 1 "curriculum", group staff (user mr.patel)'
    )


def test_explain_a_group_default_decision() -> None:
    assert explain(ask(compiled(), "http://games.example/", TABLET)) == (
        "allowed — category games, entry games.example in list t/games, "
        "no rule matched: the group's default, group ks1 (address 10.10.1.5 in 10.10.1.0/24 (KS1 tablets))"
    )


def test_explain_a_locked_decision() -> None:
    assert explain(ask(compiled(), "http://www.abuse.example/page", NOBODY)) == (
        "blocked — category child-abuse (UKSIC: illegal), entry abuse.example in list iwf, "
        "locked list (no rule can override it), group default (unidentified), alert high"
    )


def test_explain_an_unparsable_decision() -> None:
    assert explain(ask(compiled(), "http://bad host/")) == (
        "blocked — the request could not be read as a URL, group ks2 (user amelia)"
    )


def test_blocked_is_true_only_for_a_block_verdict() -> None:
    policy = compiled()
    assert ask(policy, "http://unlisted.example/", NOBODY).blocked
    assert not ask(policy, "http://unlisted.example/", AMELIA).blocked
