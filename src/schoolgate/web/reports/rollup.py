"""The filter's blocks counted by day (`models.BlockCount`), so that the governors' report reads a few
hundred rows a term instead of every blocked request of a year (a 1,500-pupil school blocks some
400,000 a year: counting them on each view took two seconds).

Days are counted once they are `SETTLE` days old (the gateways' spools may come in late), by the
worker's round (`run_due`) and, should it be behind, by the report itself (`roll_up`); the days since
are counted from the events at each view. Blocks of members of staff are never counted (the report
does not count them: `filtering`). The counts stay when the events are removed at the end of their
keeping (they say nothing of anyone).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from schoolgate.web.monitoring.choices import Subject
from schoolgate.web.monitoring.models import ActivityEvent
from schoolgate.web.reports.models import BlockCount, BlockRollup
from schoolgate.web.reports.terms import school_zone, today_at
from schoolgate.web.tenancy.models import School

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

SETTLE = dt.timedelta(days=2)
STAFF_SUBJECTS = (Subject.STAFF, Subject.HEADTEACHER)


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def roll_up(school: School, today: dt.date) -> dt.date:
    """Count the school's blocks of every day up to `SETTLE` before `today` not counted yet; the first
    day not counted (one query when nothing is due)."""
    target = today - SETTLE
    zone = school_zone(school)
    seen = BlockRollup.objects.filter(school=school).values_list("until", flat=True).first()
    if seen is not None and seen >= target:
        return seen
    with transaction.atomic():
        state = BlockRollup.objects.select_for_update().filter(school=school).first()
        if state is not None and state.until >= target:
            return state.until
        blocked = ActivityEvent.objects.filter(school=school, blocked=True).exclude(
            subject__in=STAFF_SUBJECTS
        )
        if state is not None:
            blocked = blocked.filter(at__gte=_midnight(state.until, zone))
        grouped = (
            blocked.filter(at__lt=_midnight(target, zone))
            .annotate(day=TruncDate("at", tzinfo=zone))
            .values("day", "category", "locked")
            .annotate(n=Count("pk"))
            .order_by()
        )
        BlockCount.objects.bulk_create(
            [
                BlockCount(
                    school=school, day=g["day"], category=g["category"], locked=g["locked"], blocked=g["n"]
                )
                for g in grouped
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        if state is None:
            BlockRollup.objects.create(school=school, until=target)
        else:
            state.until = target
            state.save(update_fields=["until"])
    return target


def run_due(now: dt.datetime) -> int | None:
    """The worker's step: every school's blocks counted up to `SETTLE` days ago; how many schools had
    days to count (None: none)."""
    done = 0
    counted = dict(BlockRollup.objects.values_list("school_id", "until"))
    for school in School.objects.all():
        today = today_at(school, now)
        if counted.get(school.pk, dt.date.min) >= today - SETTLE:
            continue
        roll_up(school, today)
        done += 1
    return done or None
