"""The report's numbers: school-wide counts shown as they are, and what could name someone kept back.
The concerns and alerts about members of staff are checked by brute force: whatever of them a term
holds, nothing in the report but their total changes, and 1 and 2 read the same."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations_with_replacement, product

import pytest

from schoolgate.monitoring.phrases import Area
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, Outcome, RiskArea
from schoolgate.web.monitoring.choices import AlertKind, Severity, Subject
from schoolgate.web.reports.counts import FEWER, cell, rows, shown, staff_total
from schoolgate.web.reports.filtering import tally_alerts
from schoolgate.web.reports.incidents import tally_incidents


@pytest.mark.parametrize(("n", "text"), [(0, "0"), (1, "1"), (2, "2"), (3, "3"), (1234, "1,234")])
def test_a_school_wide_count_is_shown_as_its_number_however_small(n: int, text: str) -> None:
    assert shown(n) == text
    assert (cell(n).text, cell(n).value, cell(n).hidden) == (text, n, False)


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0"), (1, FEWER), (2, FEWER), (3, "3"), (17, "17"), (1500, "1,500")]
)
def test_a_staff_total_under_3_is_fewer_than_3_and_is_never_charted(n: int, text: str) -> None:
    assert (staff_total(n).text, staff_total(n).value) == (text, None)


@pytest.mark.parametrize("bad", [-1, -100])
def test_a_negative_count_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        shown(bad)
    with pytest.raises(ValueError, match="cannot be negative"):
        staff_total(bad)


def test_a_table_shows_every_count_of_both_terms() -> None:
    table = rows(["Content", "Contact"], [(1, 0), (2, 5)])
    assert [(r.label, r.this.text, r.last.text) for r in table] == [
        ("Content", "1", "0"),
        ("Contact", "2", "5"),
    ]
    assert all(not (r.this.hidden or r.last.hidden) for r in table)


def _incident(
    kind: str, area: str, kind_of: str, outcome: str, *, this: bool, closed: bool
) -> dict[str, object]:
    return {
        "kind": kind, "risk_area": area, "incident_type": kind_of, "outcome": outcome if closed else "",
        "this": int(this), "last": int(not this), "this_closed": int(this and closed),
        "last_closed": int(not this and closed),
    }  # fmt: skip


# What a concern about a member of staff can be: its area, type, outcome (closed or open) and term.
STAFF_CONCERNS = [
    _incident(IncidentKind.STAFF, area, kind_of, Outcome.RESOLVED, this=this, closed=closed)
    for area, kind_of, closed, this in product(
        (RiskArea.CONTENT, RiskArea.COMMERCE, RiskArea.CONDUCT),
        (IncidentType.DATA_PROTECTION, IncidentType.CYBERBULLYING),
        (True, False),
        (True, False),
    )
]
PUPIL = IncidentKind.PUPIL
PUPILS = [
    [],
    [_incident(PUPIL, RiskArea.CONTACT, IncidentType.GROOMING, Outcome.RESOLVED, this=True, closed=True)],
    [
        _incident(PUPIL, RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT, "", this=True, closed=False),
        _incident(PUPIL, RiskArea.COMMERCE, IncidentType.DATA_PROTECTION, Outcome.EARLY_HELP,
                  this=False, closed=True),
    ],
]  # fmt: skip


def _some(items: list[dict[str, object]], most: int) -> Iterator[tuple[dict[str, object], ...]]:
    for n in range(most + 1):
        yield from combinations_with_replacement(items, n)


@pytest.mark.parametrize("pupils", PUPILS)
def test_no_concern_about_staff_shows_in_the_report_but_as_a_total_that_hides_1_and_2(
    pupils: list[dict[str, object]],
) -> None:
    """Every set of up to 3 concerns about staff, of any area, type, outcome and term, beside the
    pupils' incidents: the pupils' numbers, tables and still-open counts are those without them, and
    the staff total reads the same for 1 and 2."""
    _, *without = tally_incidents(pupils)
    leaks = []
    seen: dict[int, set[str]] = {}
    for staff in _some(STAFF_CONCERNS, 3):
        total, *shown_tables = tally_incidents([*pupils, *staff])
        if shown_tables != without:
            leaks.append(staff)
        this = sum(int(str(s["this"])) for s in staff)
        seen.setdefault(this, set()).add(staff_total(total[0]).text)
    assert not leaks, leaks[:3]
    assert seen[1] == seen[2] == {FEWER}
    assert seen[0] == {"0"} and seen[3] == {"3"}


STAFF_ALERTS = [
    {"subject": subject, "kind": kind, "area": area, "severity": severity, "this": this, "last": 1 - this}
    for subject, kind, area, severity, this in product(
        (Subject.STAFF, Subject.HEADTEACHER),
        (AlertKind.PHRASE, AlertKind.CIRCUMVENTION),
        (Area.SUICIDE.value, Area.GAMBLING.value, ""),
        (Severity.HIGH, Severity.LOW),
        (0, 1),
    )
]
PUPIL_ALERTS = [
    {"subject": Subject.PUPIL, "kind": AlertKind.PHRASE, "area": Area.BULLYING.value,
     "severity": Severity.MEDIUM, "this": 2, "last": 1},
    {"subject": Subject.UNKNOWN, "kind": AlertKind.CATEGORY, "area": "", "severity": Severity.LOW,
     "this": 1, "last": 0},
]  # fmt: skip


def test_no_alert_about_staff_shows_in_the_report_but_as_a_total_that_hides_1_and_2() -> None:
    areas, severities, none, others = tally_alerts(PUPIL_ALERTS)
    assert none == [0, 0] and others == [3, 1]
    leaks = []
    for staff in _some(STAFF_ALERTS, 3):
        a, s, total, o = tally_alerts([*PUPIL_ALERTS, *staff])
        if (a, s, o) != (areas, severities, others):
            leaks.append(staff)
        if sum(int(str(x["this"])) for x in staff) in (1, 2):
            assert staff_total(total[0]).text == FEWER
    assert not leaks, leaks[:3]


def test_the_self_tests_own_alerts_are_not_counted_among_the_alerts() -> None:
    selftest = {"subject": Subject.UNKNOWN, "kind": AlertKind.SELFTEST, "area": "", "severity": Severity.HIGH,
                "this": 4, "last": 0}  # fmt: skip
    assert tally_alerts([selftest])[3] == [0, 0]
