"""The self-test in the worker's round: the daily runs, and working through runs asked for.

`run_due(now)` is called every round (every second by default), after the alerts:

1. For each school whose self-test runs daily, once its hour has come in its time zone, a run is
   queued unless today's is queued already (remembered per school and day by this process, so a round
   with nothing due asks the database one small question).
2. The oldest run waiting or under way is moved on by a few probes, for at most `ROUND_BUDGET`
   seconds, so that the spool keeps being read while it runs; the run page shows its progress.

One school's failure never stops the others: a run that breaks is finished as incomplete, with why.
Returns how many runs were queued or finished this round.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from schoolgate.web.selftest import runner
from schoolgate.web.selftest.choices import RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun, SelfTestSettings
from schoolgate.web.tenancy.models import School

log = logging.getLogger(__name__)

__all__ = ["ROUND_BUDGET", "forget", "run_due"]

ROUND_BUDGET = 2.0
_queued_on: dict[int, dt.date] = {}  # school id -> the local day whose daily run is queued


def forget() -> None:
    """Forget which days' runs this process queued (a test starting afresh)."""
    _queued_on.clear()


def _local(now: dt.datetime, school: School) -> dt.datetime:
    try:
        return now.astimezone(ZoneInfo(school.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(ZoneInfo("Europe/London"))


def _schedule(now: dt.datetime) -> int:
    made = 0
    for chosen in SelfTestSettings.objects.filter(daily=True).select_related("school"):
        try:
            local = _local(now, chosen.school)
            if local.hour < chosen.hour or _queued_on.get(chosen.school_id) == local.date():
                continue
            since = local.replace(hour=chosen.hour, minute=0, second=0, microsecond=0)
            queued = SelfTestRun.objects.filter(
                school_id=chosen.school_id, trigger=Trigger.SCHEDULE, requested_at__gte=since
            ).exists()
            if not queued:
                SelfTestRun.objects.create(
                    school_id=chosen.school_id, trigger=Trigger.SCHEDULE, requested_at=now
                )
                made += 1
            _queued_on[chosen.school_id] = local.date()
        except Exception:  # one school's failure never stops the others
            log.exception("queueing the self-test of school %s failed", chosen.school_id)
    return made


def _work(now: dt.datetime, budget: float) -> int:
    run = (
        SelfTestRun.objects.filter(state__in=(RunState.QUEUED, RunState.RUNNING))
        .select_related("school")
        .order_by("requested_at", "pk")
        .first()
    )
    if run is None:
        return 0
    try:
        return int(runner.advance(run, budget=budget))
    except Exception as error:
        log.exception("the self-test run %s failed", run.pk)
        why = f"the self-test stopped: {type(error).__name__}"
        try:
            run.refresh_from_db()
            run.problem = f"{run.problem}; {why}" if run.problem else why
            run.save(update_fields=["problem"])
            runner.finish(run, timezone.now())
        except Exception:
            # Not even finishing it worked (its alert could not be raised): it is closed as it is, so
            # that it never holds up the other schools' runs round after round.
            log.exception("finishing the self-test run %s failed", run.pk)
            SelfTestRun.objects.filter(pk=run.pk).update(
                state=RunState.INCOMPLETE, finished_at=timezone.now(), problem=why
            )
        return 1


def run_due(now: dt.datetime, budget: float = ROUND_BUDGET) -> int:
    """Queue the daily runs due, and move the oldest waiting run on (see the module's docstring)."""
    return _schedule(now) + _work(now, budget)
