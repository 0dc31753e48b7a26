"""The evidence gathered for a review: the numbers against records made here, in the school year up to
now, of this school only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schoolgate.web.annualreview import evidence
from schoolgate.web.incidents.choices import IncidentKind
from schoolgate.web.incidents.models import Incident
from schoolgate.web.monitoring.choices import AlertKind, ReportState, Subject
from schoolgate.web.monitoring.models import Alert, MonitoringSettings, WeeklyReport
from schoolgate.web.policy.models import PolicyVersion
from schoolgate.web.selftest.choices import RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.coverage import training_coverage
from tests.web.annualreview.make import this_year
from tests.web.factories import Cast
from tests.web.incidents.make import report
from tests.web.reports.make import requests_at

pytestmark = pytest.mark.django_db


def _records(cast: Cast, school: School, at: dt.datetime, n: int = 1) -> None:
    """A little of everything at `school`, at `at`."""
    by = cast.tom if school == cast.a else cast.zack
    for i in range(n):
        SelfTestRun.objects.create(
            school=school, trigger=Trigger.SCHEDULE, requested_at=at + dt.timedelta(minutes=i),
            state=RunState.PASSED if i else RunState.FAILED,
        )  # fmt: skip
        number = (PolicyVersion.objects.filter(school=school).count() or 0) + 1
        PolicyVersion.objects.create(
            school=school, number=number, text="", sha256="0" * 64, published_at=at, reason="test"
        )
        for severity, kind in (("high", AlertKind.CIRCUMVENTION), ("low", AlertKind.PHRASE)):
            Alert.objects.create(
                school=school, kind=kind, severity=severity, title="t", who="amelia", subject=Subject.PUPIL,
                first_at=at, last_at=at, event_count=1,
            )  # fmt: skip
        WeeklyReport.objects.create(
            school=school, week_start=at.date() + dt.timedelta(days=7 * i), created_at=at,
            state=ReportState.SENT, sent_at=at,
        )  # fmt: skip
        made = report(school, by)
        Incident.objects.filter(pk=made.pk).update(reported_at=at)
    requests_at(school, at, n, kind="unblock", state="approved", decided=at)
    requests_at(school, at, 1, kind="change", state="refused", decided=at)


def test_the_numbers_count_this_school_year_up_to_now_at_this_school(cast: Cast) -> None:
    now = timezone.now()
    first, last, since, until = evidence.period(cast.a, this_year(), now)
    assert first == dt.date(this_year(), 9, 1) and last == timezone.localdate(now) and until == now
    inside = since + (now - since) / 2
    _records(cast, cast.a, inside, n=3)
    _records(cast, cast.a, since - dt.timedelta(days=1))  # last school year
    _records(cast, cast.b, inside, n=2)  # another school
    staff = report(cast.a, cast.tom, kind=IncidentKind.STAFF)
    Incident.objects.filter(pk=staff.pk).update(reported_at=inside)
    MonitoringSettings.objects.create(
        school=cast.a, extra_recipients="head@northfield.example\n\nit@northfield.example\n", report_weekday=4
    )
    found = evidence.gather(cast.a, this_year(), now)
    lines = {key: " | ".join(item.lines) for key, item in found.items.items()}
    assert "3 runs: 2 passed, 1 failed, 0 could not check everything." in lines["selftest"]
    assert "3 versions published" in lines["policy"] and "Version 4 is in force." in lines["policy"]
    assert "Unblock a site for a lesson or a time: 3 (3 approved)." in lines["requests"]
    assert "Allow a site from now on: 1 (1 refused)." in lines["requests"]
    assert (
        "6 alerts about pupils, visitors and devices not identified: 3 high, 0 medium, 3 low."
        in (lines["alerts"])
    )
    assert "3 attempts to get round the filter; 0 attempts on illegal content." in lines["alerts"]
    assert "3 incidents about pupils recorded: 0 closed, 3 open." in lines["incidents"]
    assert "Concerns about members of staff: fewer than 3 (a total only)." in lines["incidents"]
    assert "3 reports made, 3 sent, 0 could not be sent." in lines["weekly"]
    assert "Alice Example" in lines["monitoring-settings"] and "Dara Example" in lines["monitoring-settings"]
    assert (
        "2 other addresses" in lines["monitoring-settings"]
        and "Fridays at 07:00" in lines["monitoring-settings"]
    )
    assert "Designated Safeguarding Lead: Alice Example" in lines["roles"]
    assert "Online safety governor: Gina Example" in lines["roles"]
    assert "Amelia" not in " ".join(lines.values())  # counted, never named
    expected = training_coverage(cast.a, last)
    assert len(found.items["training"].lines) == max(len(expected), 1)
    assert evidence.from_json(evidence.as_json(found)) == found


def test_nothing_recorded_says_so(cast: Cast) -> None:
    found = evidence.gather(cast.b, this_year(), timezone.now())
    assert found.items["selftest"].lines == ("No self-test has run this school year.",)
    assert found.items["alerts"].lines == (
        "No alerts about pupils, visitors or devices not identified this school year.",
        "Alerts about members of staff: 0 (a total only).",
    )
    assert found.items["requests"].lines == ("No filter change requests this school year.",)
    assert "nobody" in " ".join(found.items["roles"].lines)  # Southgate has no headteacher


def test_a_past_year_covers_its_whole_year(cast: Cast) -> None:
    year = this_year() - 1
    first, last, since, until = evidence.period(cast.a, year, timezone.now())
    assert (first, last) == (dt.date(year, 9, 1), dt.date(year + 1, 8, 31))
    assert until - since >= dt.timedelta(days=364)


def test_the_number_of_queries_does_not_grow_with_the_records(cast: Cast) -> None:
    now = timezone.now()
    since = evidence.period(cast.a, this_year(), now)[2]
    _records(cast, cast.a, since + (now - since) / 2, n=1)
    evidence.gather(cast.a, this_year(), now)  # the first makes the school's default courses
    with CaptureQueriesContext(connection) as few:
        evidence.gather(cast.a, this_year(), now)
    _records(cast, cast.a, since + (now - since) / 3, n=4)
    with CaptureQueriesContext(connection) as more:
        evidence.gather(cast.a, this_year(), now)
    assert len(more) == len(few)


@pytest.mark.parametrize("about_staff", [0, 1, 2, 3])
def test_alerts_about_staff_are_one_total_kept_out_of_the_others(cast: Cast, about_staff: int) -> None:
    """Every governor reads the evidence and the governors' report: were staff alerts in the review's
    numbers by severity, the difference from the report's (which leave them out) would say what one
    member of staff's alert was. Whatever the staff alerts, only their total line changes, and 1 and
    2 read the same."""
    now = timezone.now()
    since = evidence.period(cast.a, this_year(), now)[2]
    at = since + (now - since) / 2
    Alert.objects.create(
        school=cast.a, kind=AlertKind.PHRASE, severity="low", title="t", who="amelia",
        subject=Subject.PUPIL, first_at=at, last_at=at, event_count=1,
    )  # fmt: skip
    Alert.objects.create(
        school=cast.a, kind=AlertKind.SELFTEST, severity="high", title="t", who="",
        subject=Subject.UNKNOWN, first_at=at, last_at=at, event_count=1,
    )  # fmt: skip
    for i in range(about_staff):
        Alert.objects.create(
            school=cast.a, kind=AlertKind.CIRCUMVENTION if i % 2 else AlertKind.PHRASE, severity="high",
            title="t", who="tom", subject=Subject.STAFF if i else Subject.HEADTEACHER,
            first_at=at, last_at=at, event_count=1,
        )  # fmt: skip
    lines = evidence.gather(cast.a, this_year(), now).items["alerts"].lines
    staff = {0: "0", 1: "fewer than 3", 2: "fewer than 3", 3: "3"}[about_staff]
    assert lines == (
        "1 alert about pupils, visitors and devices not identified: 0 high, 0 medium, 1 low.",
        "0 attempts to get round the filter; 0 attempts on illegal content.",
        "0 led to an incident; 1 not looked at yet.",
        f"Alerts about members of staff: {staff} (a total only).",
    )


def test_a_coverage_line_of_one_or_two_people_is_not_counted() -> None:
    from schoolgate.web.core.coverage import Coverage

    lines = evidence._coverage(
        [Coverage("Pupils in secondary school", 1, 0), Coverage("Prevent", 2, 2), Coverage("Staff", 3, 2)],
        "none",
    )
    assert lines == (
        "Pupils in secondary school: fewer than 3 people, not counted here.",
        "Prevent: fewer than 3 people, not counted here.",
        "Staff: 2 of 3 (66%), 1 to go",
    )
