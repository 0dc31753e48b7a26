"""Tests for schoolgate.policyfile.sections: the requests section split off a policy file, and expired
blocks taken out of one, on text laid out by Schoolgate's writer (TomlWriter)."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from schoolgate.policyfile.load import LISTS_NOT_READ, parse_policy
from schoolgate.policyfile.sections import REQUESTS_MARKER, SectionError, drop_expired, split_requests
from schoolgate.policyfile.write import TomlValue, TomlWriter

P = pytest.param
LONDON = ZoneInfo("Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def block(w: TomlWriter, section: str, **pairs: TomlValue) -> None:
    w.header(section, array=True)
    for key, value in pairs.items():
        w.pair(key, value)


def written(*, requests: bool = True) -> str:
    """A policy as the web editor writes it: base, then the requests section."""
    w = TomlWriter()
    w.comment("Filtering policy for Test School, written by Schoolgate's policy editor.")
    w.blank()
    w.pair("schema_version", 1)
    w.header("school")
    w.pair("name", "Test School")
    w.pair("timezone", "Europe/London")
    for name, default in (("default", "block"), ("pupils", "allow"), ("visitors", "block")):
        w.header("groups", name)
        w.pair("default", default)
    block(w, "identities", group="pupils", users=["amy", "bob"])
    block(
        w,
        "identities",
        group="visitors",
        users=["vic", "val"],
        expires=at("2026-12-06 15:00"),
    )
    block(
        w,
        "identities",
        group="visitors",
        networks=["192.168.7.0/24"],
        label="hall",
        expires=at("2026-12-06 17:00"),
    )
    w.blank()
    w.comment("Rules: the first that matches wins (after the locked lists, which always win).")
    block(
        w,
        "rules",
        name="Visitors' Wi-Fi",
        groups=["visitors"],
        domains=["wifi.example"],
        expires=at("2026-12-06 15:00"),
        action="allow",
    )
    block(
        w,
        "rules",
        name="Long list",
        domains=[f"site{n}.example" for n in range(12)],  # written one a line
        starts=at("2026-12-01 09:00"),
        expires=at("2026-12-06 16:00"),
        action="allow",
    )
    block(w, "rules", name="no games", domains=["games.example"], action="block")
    if requests:
        w.blank()
        w.comment(REQUESTS_MARKER[2:])
        w.header("groups", "request-14")
        w.pair("default", "allow")
        w.pair("within", "pupils")
        block(w, "identities", group="request-14", users=["amy"], expires=at("2026-12-19 15:30"))
        block(
            w,
            "grants",
            name="request 14: games.example for Amy",
            request=14,
            groups=["request-14"],
            domains=["games.example"],
            expires=at("2026-12-19 15:30"),
            action="allow",
        )
        block(
            w,
            "grants",
            name="ads",
            request=15,
            urls=["ads.example/x"],
            expires=at("2026-12-06 15:00"),
            action="block",
        )
    return w.text()


TEXT = written()


def test_the_text_is_a_good_policy() -> None:
    policy = parse_policy(TEXT, roots=LISTS_NOT_READ).policy
    assert (len(policy.rules), len(policy.grants), len(policy.timed_identities)) == (3, 2, 3)


@pytest.mark.parametrize(
    ("text", "requests"),
    [
        P(TEXT, TEXT[TEXT.index(REQUESTS_MARKER) :], id="written"),
        P(written(requests=False), "", id="no-requests"),
        P("", "", id="empty"),
        P(f"a = 1\n  {REQUESTS_MARKER}\nb = 2\n", "", id="indented-is-not-the-marker"),
        P(f"a = 1\n{REQUESTS_MARKER} (really)\nb = 2\n", "", id="longer-is-not-the-marker"),
        P(f'a = "{REQUESTS_MARKER}"\n', "", id="in-a-string"),
        P(f"a = 1\r\n{REQUESTS_MARKER}\r\nb = 2\r\n", f"{REQUESTS_MARKER}\r\nb = 2\r\n", id="crlf"),
        P(f"{REQUESTS_MARKER}\n", f"{REQUESTS_MARKER}\n", id="marker-first"),
    ],
)
def test_split_requests(text: str, requests: str) -> None:
    base, found = split_requests(text)
    assert found == requests
    assert base + found == text


@pytest.mark.parametrize(
    ("instant", "said"),
    [
        P(at("2026-12-06 14:59"), [], id="nothing-yet"),
        P(
            at("2026-12-06 15:00"),
            [
                'access of 2 user names in group "visitors" (ended 15:00, 6 December)',
                """rule "Visitors' Wi-Fi" (ended 15:00, 6 December)""",
                'grant "request 15: ads" (ended 15:00, 6 December)',
            ],
            id="at-expiry",
        ),
        P(
            at("2026-12-06 17:30"),
            [
                'access of 2 user names in group "visitors" (ended 15:00, 6 December)',
                'access of 1 network (hall) in group "visitors" (ended 17:00, 6 December)',
                """rule "Visitors' Wi-Fi" (ended 15:00, 6 December)""",
                'rule "Long list" (ended 16:00, 6 December)',
                'grant "request 15: ads" (ended 15:00, 6 December)',
            ],
            id="evening",
        ),
        P(
            datetime(2027, 1, 4, 9, 0, tzinfo=UTC),
            [
                'access of 2 user names in group "visitors" (ended 15:00, 6 December 2026)',
                'access of 1 network (hall) in group "visitors" (ended 17:00, 6 December 2026)',
                """rule "Visitors' Wi-Fi" (ended 15:00, 6 December 2026)""",
                'rule "Long list" (ended 16:00, 6 December 2026)',
                'access of 1 user name in group "request-14" (ended 15:30, 19 December 2026)',
                'grant "request 14: games.example for Amy" (ended 15:30, 19 December 2026)',
                'grant "request 15: ads" (ended 15:00, 6 December 2026)',
            ],
            id="next-year",
        ),
    ],
)
def test_drop_expired_takes_out_exactly_the_ended_blocks(instant: datetime, said: list[str]) -> None:
    text, dropped = drop_expired(TEXT, instant)
    assert dropped == said
    before, after = tomllib.loads(TEXT), tomllib.loads(text)
    for section in ("identities", "rules", "grants"):
        kept = [e for e in before[section] if e.get("expires") is None or e["expires"] > instant]
        assert after.get(section, []) == kept
    assert {k: v for k, v in after.items() if k not in ("identities", "rules", "grants")} == {
        k: v for k, v in before.items() if k not in ("identities", "rules", "grants")
    }
    parse_policy(text, roots=LISTS_NOT_READ)  # still a good policy
    assert "\n\n\n" not in text and text.endswith("\n") and not text.endswith("\n\n")
    if not said:
        assert text is TEXT


def test_drop_expired_removes_the_lines_of_a_block_and_the_blank_before_it() -> None:
    text = written(requests=False)
    shorter, _ = drop_expired(text, at("2026-12-06 16:30"))
    removed = [line for line in text.splitlines() if line not in shorter.splitlines()]
    assert removed[0] == 'users = ["vic", "val"]'
    assert '[[rules]]\nname = "no games"' in shorter
    assert len(text.splitlines()) - len(shorter.splitlines()) == (
        5  # blank, header, group, users, expires
        + 7  # blank, header, name, groups, domains, expires, action
        + 20  # blank, header, name, "domains = [", 12 sites, "]", starts, expires, action
    )


def test_a_date_without_a_time_is_midnight_in_the_schools_zone() -> None:
    text = (
        'schema_version = 1\n\n[school]\ntimezone = "Asia/Dubai"\n\n'
        '[[rules]]\nname = "r"\ndomains = ["a.example"]\nexpires = 2026-12-07\naction = "allow"\n'
    )
    assert drop_expired(text, datetime(2026, 12, 6, 19, 59, tzinfo=UTC))[1] == []
    assert drop_expired(text, datetime(2026, 12, 6, 20, 0, tzinfo=UTC))[1] == [
        'rule "r" (ended 00:00, 7 December)'
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        P("a = [", "the policy does not parse", id="not-toml"),
        P(
            'rules = [{name = "r", expires = 2020-01-01, action = "allow"}]\n',
            re.escape("the [[rules]] entries are not written one block each"),
            id="inline-array",
        ),
        P(
            '[[rules]]\nname = "r"\n# a note\nexpires = 2020-01-01\naction = "allow"\n',
            "would change more than those entries",
            id="comment-inside-a-block",
        ),
    ],
)
def test_text_not_laid_out_by_the_writer_is_refused(text: str, message: str) -> None:
    with pytest.raises(SectionError, match=message):
        drop_expired(text, at("2026-12-06 12:00"))


def test_text_not_laid_out_by_the_writer_is_fine_when_nothing_has_expired() -> None:
    text = 'rules = [{name = "r", expires = 2030-01-01, action = "allow"}]\n'
    assert drop_expired(text, at("2026-12-06 12:00")) == (text, [])


def test_an_instant_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        drop_expired(TEXT, datetime(2026, 12, 6, 12, 0))
