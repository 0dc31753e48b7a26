"""Filtering and monitoring in numbers: alerts by area and by severity (staff's a total only), the
categories most blocked (staff's not counted), attempts to get round the filter and on illegal content,
and the self-tests, this term against the same term last year, the school's own only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schoolgate.web.monitoring.models import ActivityEvent, Alert
from schoolgate.web.reports import rollup
from schoolgate.web.reports.counts import FEWER
from schoolgate.web.reports.filtering import TOP_CATEGORIES
from schoolgate.web.reports.incidents import build
from schoolgate.web.reports.models import BlockCount, BlockRollup
from schoolgate.web.selftest.choices import Outcome, RunState, Trigger
from schoolgate.web.selftest.models import SelfTestResult, SelfTestRun
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast
from tests.web.monitoring.factories import event
from tests.web.reports.make import AUTUMN_2026, NOW, cells, on


def alerts(school: School, at: dt.datetime, n: int = 1, **fields: Any) -> None:
    values: dict[str, Any] = {
        "kind": "phrase", "severity": "high", "area": "suicide", "title": "Search flagged",
        "who": "amelia.hughes", "subject": "pupil", "first_at": at, "last_at": at, "event_count": 1,
    }  # fmt: skip
    values.update(fields)
    for _ in range(n):
        Alert.objects.create(school=school, **values)


def blocks(school: School, at: dt.datetime, n: int, **fields: Any) -> None:
    subject = fields.pop("subject", "pupil")
    for _ in range(n):
        event(school, at=at, user_name="amelia.hughes", subject=subject, **fields)


def run(school: School, at: dt.datetime, state: RunState, failed_checks: int = 0) -> None:
    made = SelfTestRun.objects.create(
        school=school, trigger=Trigger.SCHEDULE, requested_at=at, started_at=at, finished_at=at, state=state,
        policy_sha256="0" * 64, plan=[], done=failed_checks,
    )  # fmt: skip
    for i in range(failed_checks):
        SelfTestResult.objects.create(
            run=made, position=i, group="pupils", gateway="dns", key="gambling", label="Gambling",
            target="bet365.com", expected="blocked", actual="allowed", outcome=Outcome.FAILED, at=at,
        )  # fmt: skip


def test_alerts_by_area_and_severity_with_staffs_a_total_only(cast: Cast) -> None:
    alerts(cast.a, on(2026, 10, 5), 2)  # suicide, high
    alerts(cast.a, on(2026, 10, 6), 1, area="bullying", severity="medium")
    alerts(cast.a, on(2026, 10, 6), 1, kind="circumvention", area="", severity="medium", subject="unknown")
    alerts(cast.a, on(2025, 11, 6), 3, area="gambling", severity="low")
    alerts(cast.a, on(2026, 10, 7), 2, area="gambling", severity="low", subject="staff")  # a total only
    alerts(cast.a, on(2026, 10, 7), 1, kind="selftest", area="", severity="high", subject="unknown")
    alerts(cast.b, on(2026, 10, 5), 5)  # another school's
    alerts(cast.a, on(2026, 7, 5), 5)  # Summer 2026: neither term

    result = build(cast.a, AUTUMN_2026)
    areas = cells(result.filtering, "alert_areas")
    assert areas["Suicide"] == ("2", "0")
    assert areas["Bullying"] == ("1", "0")
    assert areas["Gambling"] == ("0", "3")  # the staff's two are not here
    assert areas["No risk area"] == ("1", "0")
    assert cells(result.filtering, "alert_severities") == {
        "High": ("2", "0"),
        "Medium": ("2", "0"),
        "Low": ("0", "3"),
    }
    summary = cells(result.filtering, "summary")
    assert summary["Alerts about pupils, visitors and devices not identified"] == ("4", "3")
    assert summary["Alerts about members of staff"] == (FEWER, "0")


def test_blocked_categories_circumvention_and_illegal_content(cast: Cast) -> None:
    blocks(cast.a, on(2026, 10, 5), 4, category="adult")
    blocks(cast.a, on(2026, 10, 5), 2, category="gambling")
    blocks(cast.a, on(2026, 10, 6), 2, category="vpn")
    blocks(cast.a, on(2026, 10, 6), 2, category="doh")
    blocks(cast.a, on(2026, 10, 6), 1, category="iwf", locked=True)  # counted on its own, category unsaid
    blocks(cast.a, on(2025, 10, 6), 3, category="adult")
    blocks(cast.a, on(2026, 10, 6), 5, category="games", subject="staff")  # staff's: not counted
    blocks(cast.b, on(2026, 10, 6), 6, category="adult")
    for i in range(TOP_CATEGORIES + 2):  # more categories than are shown one by one
        blocks(cast.a, on(2026, 11, 2), 1, category=f"category-{i:02d}")

    result = build(cast.a, AUTUMN_2026)
    blocked = cells(result.filtering, "blocked")
    assert list(blocked)[:4] == ["adult", "doh", "gambling", "vpn"]  # the most first, then by name
    assert blocked["adult"] == ("4", "3") and blocked["gambling"] == ("2", "0")
    assert "iwf" not in blocked and "games" not in blocked
    assert blocked["All other categories (6)"] == ("6", "0")  # 16 categories: 10 shown, then the rest
    summary = cells(result.filtering, "summary")
    assert summary["Requests blocked by the filter (pupils and devices not identified)"] == ("22", "3")
    assert summary["Attempts to get round the filter (VPNs, proxies, DNS over HTTPS)"] == ("4", "0")
    assert summary["Attempts to reach illegal content (blocked by the locked lists)"] == ("1", "0")


def test_self_test_runs_and_their_results(cast: Cast) -> None:
    for day in range(1, 6):
        run(cast.a, on(2026, 10, day), RunState.PASSED)
    run(cast.a, on(2026, 10, 7), RunState.FAILED, failed_checks=2)
    run(cast.a, on(2026, 10, 8), RunState.INCOMPLETE)
    run(cast.a, on(2025, 10, 8), RunState.FAILED, failed_checks=1)
    run(cast.b, on(2026, 10, 8), RunState.FAILED, failed_checks=4)
    assert cells(build(cast.a, AUTUMN_2026).filtering, "selftests") == {
        "Runs": ("7", "1"),
        "Passed": ("5", "0"),
        "Failed": ("1", "1"),
        "Could not check everything": ("1", "0"),
        "Checks not as expected, in all the runs": ("2", "1"),
    }


def test_blocks_are_counted_by_day_once_settled_and_the_counts_outlive_the_events(cast: Cast) -> None:
    blocks(cast.a, on(2026, 10, 5), 3, category="adult")
    blocks(cast.a, on(2025, 10, 5), 2, category="adult")
    blocks(cast.a, on(2026, 11, 19), 1, category="adult")  # yesterday: not settled, counted from the event
    blocks(cast.a, on(2026, 10, 5), 4, category="games", subject="staff")  # never counted
    assert rollup.run_due(NOW) == 2  # both schools (the other has nothing to count)
    assert rollup.run_due(NOW) is None  # nothing more due today
    assert BlockCount.objects.filter(school=cast.a).count() == 2  # two days of adult blocks
    assert BlockRollup.objects.get(school=cast.a).until == dt.date(2026, 11, 18)
    ActivityEvent.objects.filter(school=cast.a, at__lt=on(2026, 11, 1)).delete()  # their keeping ended
    blocks(cast.a, on(2026, 11, 19), 1, category="gambling")
    blocked = cells(build(cast.a, AUTUMN_2026).filtering, "blocked")
    assert blocked == {"adult": ("4", "2"), "gambling": ("1", "0")}


def test_the_report_counts_the_days_the_worker_has_not_yet(cast: Cast) -> None:
    blocks(cast.a, on(2026, 9, 7), 2, category="vpn")
    blocks(cast.a, on(2026, 11, 20, 9), 1, category="vpn")  # today
    summary = cells(build(cast.a, AUTUMN_2026).filtering, "summary")
    assert summary["Attempts to get round the filter (VPNs, proxies, DNS over HTTPS)"] == ("3", "0")
    assert BlockRollup.objects.get(school=cast.a).until == dt.date(2026, 11, 18)
