"""Retention: counts of allowed traffic and events past their school's limits go; events in an alert
or flagged stay; on PostgreSQL whole day partitions are dropped when they hold nothing to keep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from schoolgate.web.monitoring import partitions, retention
from schoolgate.web.monitoring.choices import AlertKind, Severity
from schoolgate.web.monitoring.models import (
    ActivityEvent,
    Alert,
    HourlyVisit,
    MonitoringSettings,
    SpoolFile,
)
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def spool_file(school: School, name: str = "events-squid-gw-1-1-ab-00001.jsonl") -> SpoolFile:
    return SpoolFile.objects.create(school=school, host="gw", name=name, kind="events", gateway="squid")


def event(file: SpoolFile, at: dt.datetime, offset: int, **fields: object) -> ActivityEvent:
    return ActivityEvent.objects.create(
        school=file.school,
        spool_file=file,
        offset=offset,
        at=at,
        url="https://bet365.com/",
        blocked=True,
        **fields,
    )


def visit(school: School, hour: dt.datetime, who: str = "amelia") -> HourlyVisit:
    return HourlyVisit.objects.create(school=school, hour=hour, who=who, site="bbc.co.uk", requests=3)


def alert(school: School, at: dt.datetime) -> Alert:
    return Alert.objects.create(
        school=school, kind=AlertKind.PHRASE, severity=Severity.HIGH, title="A risk phrase", who="amelia",
        first_at=at, last_at=at,
    )  # fmt: skip


def test_each_kind_is_kept_as_long_as_its_schools_limit_says(cast: Cast) -> None:
    MonitoringSettings.objects.create(school=cast.a, allowed_days=10, events_days=30)
    file = spool_file(cast.a)
    old_event = event(file, NOW - 31 * DAY, 1)
    young_event = event(file, NOW - 29 * DAY, 2)
    flagged = event(file, NOW - 300 * DAY, 3, flag=Severity.HIGH, flag_area="suicide")
    in_alert = event(file, NOW - 300 * DAY, 4, alert=alert(cast.a, NOW - 300 * DAY))
    old_visit = visit(cast.a, NOW - 11 * DAY)
    young_visit = visit(cast.a, NOW - 9 * DAY)
    # The other school has the defaults: 90 days of counts, 400 of events.
    other = spool_file(cast.b, "events-squid-gw-2-1-ab-00001.jsonl")
    other_event = event(other, NOW - 31 * DAY, 1)
    other_visit = visit(cast.b, NOW - 11 * DAY)
    other_old_visit = visit(cast.b, NOW - 91 * DAY)

    assert retention.apply(NOW) == 3
    assert set(ActivityEvent.objects.all()) == {young_event, flagged, in_alert, other_event}
    assert set(HourlyVisit.objects.all()) == {young_visit, other_visit}
    assert old_event.pk and old_visit.pk and other_old_visit.pk
    assert retention.apply(NOW) == 0  # nothing more the next day's run at the same time


def test_spool_file_records_go_once_nothing_names_them(cast: Cast) -> None:
    named = spool_file(cast.a)
    event(named, NOW - DAY, 1)
    gone = spool_file(cast.a, "events-squid-gw-1-1-ab-00002.jsonl")
    SpoolFile.objects.filter(pk__in=[named.pk, gone.pk]).update(removed_at=NOW - 401 * DAY)
    reading = spool_file(cast.a, "events-squid-gw-1-1-ab-00003.jsonl")
    retention.apply(NOW)
    assert set(SpoolFile.objects.all()) == {named, reading}


def test_limits_are_the_defaults_without_settings(cast: Cast) -> None:
    assert retention.limits() == {cast.a.pk: (90, 400), cast.b.pk: (90, 400)}


def test_on_postgresql_whole_days_are_dropped_unless_they_hold_rows_to_keep(cast: Cast) -> None:
    """On SQLite (no partitions) the partition functions do nothing, and retention deletes rows."""
    if connection.vendor != "postgresql":
        assert not partitions.partitioned("monitoring_activityevent")
        assert partitions.ensure(NOW) == 0
        assert partitions.drop_before("monitoring_hourlyvisit", NOW) == 0
        return
    assert partitions.partitioned("monitoring_activityevent")
    assert partitions.partitioned("monitoring_hourlyvisit")
    file = spool_file(cast.a)
    long_ago = NOW - 500 * DAY
    dropped_event = event(file, long_ago, 1)
    kept_event = event(file, long_ago + DAY, 2, flag=Severity.HIGH, flag_area="suicide")
    lost_event = event(file, long_ago + DAY, 3)
    dropped_visit = visit(cast.a, long_ago)
    # The days made after their rows were stored: the rows move out of the DEFAULT partition.
    assert partitions.ensure(long_ago) == 2 * (partitions.AHEAD + 1)
    days = {day for day, _ in partitions.days("monitoring_activityevent")}
    assert long_ago.date() in days and (long_ago + DAY).date() in days
    assert ActivityEvent.objects.count() == 3

    retention.apply(NOW)
    days = {day for day, _ in partitions.days("monitoring_activityevent")}
    assert long_ago.date() not in days  # nothing in it to keep: dropped whole
    assert (long_ago + DAY).date() in days  # a flagged event in it: kept, the rest deleted
    assert set(ActivityEvent.objects.all()) == {kept_event}
    assert long_ago.date() not in {day for day, _ in partitions.days("monitoring_hourlyvisit")}
    assert not HourlyVisit.objects.exists()
    assert dropped_event.pk and lost_event.pk and dropped_visit.pk
    assert partitions.ensure(NOW) >= 0 and NOW.date() in {
        d for d, _ in partitions.days("monitoring_hourlyvisit")
    }
