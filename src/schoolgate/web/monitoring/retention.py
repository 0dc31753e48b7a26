"""How long activity is kept, applied once a day by the worker.

Per school (`MonitoringSettings`, or its defaults when the school has none):

- the per-hour counts of allowed traffic (`HourlyVisit`) for `allowed_days` (90);
- blocked and search events (`ActivityEvent`) for `events_days` (400), except those that are part of
  an alert or that a risk phrase flagged: kept as long as the records they belong to (the alert,
  and through it any incident), never deleted here;
- alerts, review requests and weekly reports are records, not activity: kept.

On PostgreSQL the activity tables are partitioned by day (partitions.py): a day whose every row is
past every school's limit is dropped as a whole table first, when it holds no row that must be kept
(for events: none in an alert, none flagged; a day that holds some keeps its table and loses the
others by DELETE); what is left past a school's own limit is deleted row by row, as on SQLite.
The spool file records no row points at any more, removed from disk long ago, go as well.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef

from schoolgate.web.monitoring import partitions
from schoolgate.web.monitoring.models import (
    ActivityEvent,
    HourlyVisit,
    MonitoringSettings,
    ReviewRequest,
    SpoolFile,
)
from schoolgate.web.tenancy.models import School

__all__ = ["apply", "limits"]

_KEPT_SQL = "alert_id IS NOT NULL OR flag <> ''"


def _default(name: str) -> int:
    field = MonitoringSettings._meta.get_field(name)
    assert isinstance(field, models.Field)
    found = field.get_default()
    assert isinstance(found, int)
    return found


def limits() -> dict[int, tuple[int, int]]:
    """Each school's (allowed_days, events_days)."""
    chosen = {
        row["school_id"]: (row["allowed_days"], row["events_days"])
        for row in MonitoringSettings.objects.values("school_id", "allowed_days", "events_days")
    }
    default = (_default("allowed_days"), _default("events_days"))
    return {pk: chosen.get(pk, default) for pk in School.objects.values_list("pk", flat=True)}


def apply(now: dt.datetime) -> int:
    """Remove what is past its time at `now`; how many rows (and day partitions) went."""
    each = limits()
    if not each:
        return 0
    removed = 0
    day = dt.timedelta(days=1)
    longest_visits = max(a for a, _ in each.values())
    longest_events = max(e for _, e in each.values())
    removed += partitions.drop_before("monitoring_hourlyvisit", now - longest_visits * day)
    removed += partitions.drop_before("monitoring_activityevent", now - longest_events * day, _KEPT_SQL)
    for school_id, (allowed_days, events_days) in each.items():
        removed += HourlyVisit.objects.filter(
            school_id=school_id, hour__lt=now - allowed_days * day
        ).delete()[0]
        removed += ActivityEvent.objects.filter(
            school_id=school_id, at__lt=now - events_days * day, alert__isnull=True, flag=""
        ).delete()[0]
    # The records of spool files removed from disk before the longest limit that no row names.
    removed += (
        SpoolFile.objects.filter(removed_at__lt=now - longest_events * day)
        .exclude(Exists(ActivityEvent.objects.filter(spool_file=OuterRef("pk"))))
        .exclude(Exists(ReviewRequest.objects.filter(spool_file=OuterRef("pk"))))
        .delete()[0]
    )
    return removed
