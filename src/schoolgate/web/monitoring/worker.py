"""`schoolgate worker`: the monitoring's long-running process.

Each round it

1. reads every school's spool into the database (ingest.py; the alert rules run inside each batch);
2. tells of the alerts due (`notify.send_due`) and sends the weekly reports due (`weekly.send_due`);
   republishes a school's policy when something in it expired (`policy.expiry.tidy`), tells requesters
   of decisions (`filterrequests.notify.send_due`) and runs the self-tests due (`selftest.schedule`);
3. once a (UTC) day, applies retention (retention.py) and, on PostgreSQL, makes the coming days'
   partitions (partitions.py);
4. says it is alive (`WorkerStatus`: host, process, when, how far behind, the last problem);

and sleeps `interval` seconds only when the round found nothing to read, so a backlog is read at full
speed. A failure of one step or one school is logged and recorded on `WorkerStatus.problem`; the
others carry on.

When the database cannot be reached (OperationalError, InterfaceError: the server stopped, the
network down, SQLite's file gone) the worker says so once, closes its connection and tries again after
1 s, then 2, 4 ... up to 30 s between tries, and says when it is back. Nothing is read past the
position the database holds, so nothing is lost: the gateways keep writing their files and the worker
catches up.

Signals: SIGTERM and SIGINT end the worker after the batch being stored (its transaction commits, or
rolls back whole), with status 0. SIGHUP reads the schools and their spool directories again and drops
what is kept in memory (the risk phrase libraries, the recent blocks the alert rules remember).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from types import FrameType

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from schoolgate.web.agreements import proxy as agreements_proxy
from schoolgate.web.annualreview import reminders as review_reminders
from schoolgate.web.devices import guests
from schoolgate.web.filterrequests import notify as requests_notify
from schoolgate.web.monitoring import alerting, notify, partitions, phrasebook, retention, weekly
from schoolgate.web.monitoring.ingest import BATCH_LINES, DATABASE_DOWN, Ingester, Round, SpoolError, spools
from schoolgate.web.monitoring.models import WorkerStatus
from schoolgate.web.policy import expiry
from schoolgate.web.reports import rollup as block_rollup
from schoolgate.web.selftest import schedule as selftest_schedule

__all__ = ["BACKOFF_MAX", "Worker"]

log = logging.getLogger("schoolgate.monitoring")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0


class Worker:
    """The worker's loop (see the module). `given`: (directory, school slug) pairs from the command
    line, which say where a school's spool is instead of the default."""

    def __init__(
        self,
        given: Sequence[tuple[str, str]] = (),
        *,
        interval: float = 1.0,
        keep_spool: bool = False,
        batch_lines: int = BATCH_LINES,
        say: Callable[[str], None] = log.warning,
    ) -> None:
        self.given = list(given)
        self.interval = interval
        self.keep_spool = keep_spool
        self.batch_lines = batch_lines
        self.say = say
        self.stopping = False
        self.reload = False
        self.host = socket.gethostname()[:255]
        self.started_at = timezone.now()
        self._retention_day: dt.date | None = None
        self._daily_problem = ""
        self._ingester: Ingester | None = None

    # ----------------------------------------------------------------------------- signals

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _hangup(self, signum: int, frame: FrameType | None) -> None:
        self.reload = True

    def handle_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._hangup)

    # ----------------------------------------------------------------------------- the loop

    def run(self, once: bool = False) -> int:
        """Round after round until a signal ends it (or one round with `once`); the exit status."""
        while not self.stopping:
            done = self.guarded_round()
            if once or done is None:
                break
            if not done.more and not done.lines:
                self._sleep(self.interval)
        return 0

    def _sleep(self, seconds: float) -> None:
        """Sleep, waking at once for SIGTERM or SIGINT."""
        end = time.monotonic() + seconds
        while not self.stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))

    def guarded_round(self) -> Round | None:
        """One round; while the database cannot be reached, wait and try again (None if a signal
        ended the wait)."""
        delay = BACKOFF_FIRST
        down = False
        while not self.stopping:
            try:
                done = self.round()
            except DATABASE_DOWN as exc:
                if not down:
                    self.say(
                        f"the database cannot be reached ({str(exc).strip() or type(exc).__name__}): "
                        "waiting, and trying again; nothing is lost, the spool keeps every event"
                    )
                    down = True
                for conn in connections.all():
                    with contextlib.suppress(DatabaseError):
                        conn.close()
                self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if down:
                self.say("the database can be reached again: catching up")
            return done
        return None

    def _ingesting(self) -> Ingester:
        """The ingester, made again (the schools and their directories read again) after SIGHUP. A
        school given on the command line that is gone by then is said, and the old mapping kept; a
        SIGHUP while the database is down counts once it is back."""
        if self._ingester is not None and not self.reload:
            return self._ingester
        reloading = self.reload
        try:
            found = spools(self.given)
        except SpoolError as exc:
            if self._ingester is None:
                raise
            self.reload = False
            self.say(f"{exc}: the spool directories stay as they were")
            return self._ingester
        if reloading:
            self.reload = False
            alerting.forget()
            for spool in self._ingester.spools if self._ingester else ():
                phrasebook.forget(spool.school)
            self.say("SIGHUP: the schools and their spool directories read again")
        self._ingester = Ingester(
            found, keep_spool=self.keep_spool, batch_lines=self.batch_lines, stopping=lambda: self.stopping
        )
        return self._ingester

    def round(self) -> Round:
        """Read the spool, send what is due, apply retention once a day, say the worker is alive."""
        _renew_connections()  # one that failed, or too old, is opened again
        done = self._ingesting().round()
        problems = list(done.problems)
        now = timezone.now()
        for what, step in (
            ("telling of alerts", notify.send_due),
            ("sending weekly reports", weekly.send_due),
            ("republishing what expired", expiry.tidy),
            ("telling requesters of decisions", requests_notify.send_due),
            ("running the self-test", selftest_schedule.run_due),
            ("removing guest logins that ended", guests.tidy),
            ("writing the agreements file for the proxy", agreements_proxy.sync),
            ("reminding of the annual review", review_reminders.send_due),
            ("counting the day's blocks for the governors' report", block_rollup.run_due),
        ):
            if not self.stopping:
                problem = _attempt(what, step, now)
                if problem:
                    problems.append(problem)
        today = now.astimezone(dt.UTC).date()
        if self._retention_day != today and not self.stopping:
            # Once a day, tried once: a failure stays on the worker's status until the next day's.
            self._retention_day = today
            daily = [_attempt("applying retention", retention.apply, now)]
            daily.append(_attempt("making partitions", partitions.ensure, now))
            self._daily_problem = "; ".join(p for p in daily if p)
        if self._daily_problem:
            problems.append(self._daily_problem)
        lag = max(0.0, now.timestamp() - done.newest) if done.more and done.newest else 0.0
        WorkerStatus.objects.update_or_create(
            host=self.host,
            defaults={
                "pid": os.getpid(),
                "started_at": self.started_at,
                "seen_at": now,
                "lag_seconds": lag,
                "problem": "; ".join(problems)[:500],
            },
        )
        _renew_connections()
        return done


def _attempt(what: str, step: Callable[[dt.datetime], object], now: dt.datetime) -> str:
    """Run one step of the round; what went wrong ("" when nothing did), logged. The database being
    unreachable is not the step's failure: it goes up to the round, which waits for it."""
    try:
        step(now)
    except DATABASE_DOWN:
        raise
    except Exception as exc:
        log.exception("%s failed", what)
        return f"{what}: {exc}"
    return ""


def _renew_connections() -> None:
    """Close the connections that failed or are past their age, as Django does between requests; not
    inside a transaction (a test's), which the worker itself never holds between rounds."""
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()
