"""The alert rules (schoolgate.monitoring.alerts): which events raise an alert, of what kind and
severity, and which join one already open."""

from __future__ import annotations

from dataclasses import replace

import pytest

from schoolgate.monitoring.alerts import Event, Join, OpenAlert, Raise, Rules, decide, higher

T0 = 1_800_000_000.0
MIN = 60.0

SEARCH = Event(at=T0, who="amelia", term="how to kill myself", flag="high", flag_area="suicide",
               why='"kill myself" (suicide, high)', engine="google", site="www.google.co.uk")  # fmt: skip
BLOCK = Event(at=T0, who="amelia", blocked=True, reason="rule", category="games", site="games.example")
LOCKED = Event(at=T0, who="amelia", blocked=True, reason="locked-list", category="csam", locked=True,
               source="iwf/locked", site="secret-evidence.example")  # fmt: skip
VPN = Event(at=T0, who="amelia", blocked=True, reason="rule", category="circumvention", source="ut1/vpn",
            site="hola-vpn.com")  # fmt: skip


def kinds(decisions: list[Raise | Join]) -> list[tuple[str, str, str, tuple[int, ...]]]:
    return [(d.kind, d.severity, d.area, d.events) for d in decisions if isinstance(d, Raise)]


# One event alone: the kind, severity and area of the alert it raises (or none).
SINGLE = [
    ("high phrase", SEARCH, ("phrase", "high", "suicide")),
    ("medium phrase", SEARCH._replace(flag="medium", flag_area="bullying"), ("phrase", "medium", "bullying")),
    ("low phrase", SEARCH._replace(flag="low", flag_area="drugs"), ("phrase", "low", "drugs")),
    ("unflagged search", SEARCH._replace(flag=None, flag_area=""), None),
    ("flag of no known severity", SEARCH._replace(flag="urgent"), None),
    ("category with a high alert", BLOCK._replace(category="gambling", alert_level="high"),
     ("category", "high", "")),
    ("allowed category with a low alert", BLOCK._replace(blocked=False, alert_level="low"),
     ("category", "low", "")),
    ("a plain block", BLOCK, None),
    ("locked list, whatever else", LOCKED._replace(flag="low", alert_level="low"), ("locked", "high", "")),
    ("VPN category", VPN, ("circumvention", "medium", "")),
    ("DoH list under another category name", VPN._replace(category="proxies", source="ut1/doh"),
     ("circumvention", "medium", "")),
    ("redirector list", VPN._replace(category="", source="ut1/redirector"), ("circumvention", "medium", "")),
    ("circumvention allowed (not blocked)", VPN._replace(blocked=False), None),
    ("a phrase outranks the category's level",
     SEARCH._replace(alert_level="high", flag="low", flag_area="drugs"), ("phrase", "low", "drugs")),
]  # fmt: skip


@pytest.mark.parametrize(("label", "event", "expected"), SINGLE, ids=[s[0] for s in SINGLE])
def test_one_event(label: str, event: Event, expected: tuple[str, str, str] | None) -> None:
    found = kinds(decide([event]))
    assert found == ([(*expected, (0,))] if expected else [])


def test_circumvention_sets_are_parameters() -> None:
    rules = Rules(circumvention_categories=frozenset({"proxies"}), circumvention_sources=frozenset())
    assert kinds(decide([VPN], rules=rules)) == []
    assert kinds(decide([VPN._replace(category="proxies")], rules=rules)) == [
        ("circumvention", "medium", "", (0,))
    ]


def test_circumvention_severity_is_a_parameter() -> None:
    loud = Rules(circumvention_severity="high")
    assert kinds(decide([VPN], rules=loud)) == [("circumvention", "high", "", (0,))]


def test_a_locked_alert_never_says_where() -> None:
    (alert,) = decide([LOCKED, LOCKED._replace(at=T0 + 5)])
    assert isinstance(alert, Raise)
    for text in (alert.title, alert.explanation):
        assert "secret-evidence" not in text and "iwf" not in text
    assert "illegal-content list" in alert.title
    assert "2 attempts" in alert.explanation


def test_a_phrase_alert_explains_the_term_and_why() -> None:
    (alert,) = decide([SEARCH])
    assert isinstance(alert, Raise)
    assert alert.title == "Search flagged: suicide"
    assert '"how to kill myself"' in alert.explanation and "kill myself" in alert.explanation
    assert "google" in alert.explanation


# Grouping: (events as (seconds after T0, who, flag, area)), the groups expected as event indices.
GROUPS = [
    ("fifty searches in five minutes are one alert",
     [(i * 6, "amelia", "high", "suicide") for i in range(50)], [tuple(range(50))]),
    ("another person is another alert",
     [(0, "amelia", "high", "suicide"), (10, "ben", "high", "suicide")], [(0,), (1,)]),
    ("another area is another alert",
     [(0, "amelia", "high", "suicide"), (10, "amelia", "high", "drugs")], [(0,), (1,)]),
    ("ten minutes after the last event still joins",
     [(0, "amelia", "low", "drugs"), (9 * MIN, "amelia", "low", "drugs"),
      (18 * MIN, "amelia", "low", "drugs")],
     [(0, 1, 2)]),
    ("more than ten minutes apart: two alerts",
     [(0, "amelia", "low", "drugs"), (10 * MIN + 1, "amelia", "low", "drugs")], [(0,), (1,)]),
    ("out of order in the batch: grouped by time",
     [(5 * MIN, "amelia", "low", "drugs"), (0, "amelia", "low", "drugs")], [(1, 0)]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "rows", "expected"), GROUPS, ids=[g[0] for g in GROUPS])
def test_grouping(
    label: str, rows: list[tuple[float, str, str, str]], expected: list[tuple[int, ...]]
) -> None:
    events = [SEARCH._replace(at=T0 + t, who=who, flag=flag, flag_area=area) for t, who, flag, area in rows]
    assert [d.events for d in decide(events)] == expected


def test_the_group_takes_the_highest_severity() -> None:
    events = [SEARCH._replace(at=T0 + i, flag=flag) for i, flag in enumerate(("low", "high", "medium"))]
    (alert,) = decide(events)
    assert isinstance(alert, Raise) and alert.severity == "high"


OPEN = OpenAlert(key=7, who="amelia", kind="phrase", area="suicide", severity="medium",
                 first_at=T0 - 3 * MIN, last_at=T0 - MIN)  # fmt: skip


def test_events_join_an_open_alert_and_raise_its_severity() -> None:
    decisions = decide([SEARCH, SEARCH._replace(at=T0 + 30)], [OPEN])
    assert decisions == [Join(key=7, severity="high", last_at=T0 + 30, events=(0, 1))]


@pytest.mark.parametrize(
    ("label", "alert"),
    [
        ("too long ago", replace(OPEN, last_at=T0 - 11 * MIN)),
        ("another person", replace(OPEN, who="ben")),
        ("another kind", replace(OPEN, kind="category")),
        ("another area", replace(OPEN, area="drugs")),
        ("a kind the rules do not know", replace(OPEN, kind="weather")),
    ],
)
def test_events_do_not_join(label: str, alert: OpenAlert) -> None:
    assert kinds(decide([SEARCH], [alert])) == [("phrase", "high", "suicide", (0,))]


def test_new_alerts_come_first_then_joins() -> None:
    decisions = decide([SEARCH, LOCKED._replace(at=T0 + 1)], [OPEN])
    assert [type(d).__name__ for d in decisions] == ["Raise", "Join"]


def _blocks(count: int, every: float, who: str = "amelia", start: float = T0) -> list[Event]:
    return [BLOCK._replace(at=start + i * every, who=who) for i in range(count)]


REPEATS = [
    ("20 blocks in 5 minutes", _blocks(20, 15), [("repeated", "medium", "", tuple(range(20)))]),
    ("19 blocks are not enough", _blocks(19, 15), []),
    ("20 blocks over 10 minutes are not", _blocks(20, 30), []),
    ("30 in a row: one alert, the later ones join it", _blocks(30, 5),
     [("repeated", "medium", "", tuple(range(30)))]),
    ("two people's blocks do not add up", _blocks(10, 5) + _blocks(10, 5, "ben"), []),
]  # fmt: skip


@pytest.mark.parametrize(("label", "events", "expected"), REPEATS, ids=[r[0] for r in REPEATS])
def test_repeated_blocks(
    label: str, events: list[Event], expected: list[tuple[str, str, str, tuple[int, ...]]]
) -> None:
    assert kinds(decide(events)) == expected


def test_repeated_blocks_count_across_batches() -> None:
    earlier = {"amelia": [T0 - 60 + i for i in range(15)]}
    found = kinds(decide(_blocks(5, 1), earlier_blocks=earlier))
    assert found == [("repeated", "medium", "", (0, 1, 2, 3, 4))]
    too_old = {"amelia": [T0 - 6 * MIN + i for i in range(15)]}
    assert kinds(decide(_blocks(5, 1), earlier_blocks=too_old)) == []


def test_blocks_another_rule_took_count_but_stay_with_it() -> None:
    events = [*_blocks(19, 1), VPN._replace(at=T0 + 19)]
    found = kinds(decide(events))
    assert ("circumvention", "medium", "", (19,)) in found
    assert ("repeated", "medium", "", tuple(range(19))) in found


def test_repeated_severity_is_a_parameter() -> None:
    found = kinds(decide(_blocks(3, 1), rules=Rules(repeat_count=3, repeat_severity="low")))
    assert found == [("repeated", "low", "", (0, 1, 2))]


@pytest.mark.parametrize(
    "bad",
    [
        {"repeat_count": 1},
        {"repeat_window": 0},
        {"group_window": -1},
        {"repeat_severity": "urgent"},
        {"circumvention_severity": "now"},
    ],
)
def test_bad_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rules(**bad)  # type: ignore[arg-type]


def test_nothing_in_nothing_out() -> None:
    assert decide([]) == []
    assert decide([BLOCK, SEARCH._replace(flag=None)]) == []


@pytest.mark.parametrize(
    ("a", "b", "expected"), [("low", "high", "high"), ("medium", "low", "medium"), ("", "low", "low")]
)
def test_higher(a: str, b: str, expected: str) -> None:
    assert higher(a, b) == expected
