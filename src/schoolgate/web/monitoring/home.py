"""What the monitoring puts on the home page: what needs the user today, by what their roles open.

- Those who read alerts (the incident rules): the new alerts by severity, and the high ones listed.
  When this server sends no e-mail, they are told so: no alert reaches anyone but through these pages.
- Those who see review requests: how many are new.
- Network managers and the DSL team: a worker that has gone quiet (not seen for `QUIET`) or says it
  has a problem, loudly, since while it is down nothing is read from the spool and nobody is alerted;
  and that no worker has ever reported, when none has.
- Those who read the weekly reports: the latest one (linked for those who may read what it says;
  the register of reports for the others, governors, who see only that each was sent and read).

A few queries for the whole panel, whatever the number of rows (tests/web/test_queries.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count
from django.urls import reverse

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.monitoring import access
from schoolgate.web.monitoring.apps import REPORT_CONTENT, REPORT_READERS
from schoolgate.web.monitoring.choices import AlertState, ReviewState, Severity
from schoolgate.web.monitoring.models import Alert, ReviewRequest, WeeklyReport, WorkerStatus

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

QUIET = dt.timedelta(minutes=2)
HIGH_LISTED = 5
# Who is told about the worker: those who run the filter, and the DSL team, who rely on its alerts.
WORKER_WATCHERS = (Capability.POLICY_CHANGE, Capability.INCIDENT_MANAGE, Capability.MONITORING_SETTINGS)


@dataclass
class Today:
    """The monitoring's part of one user's home page; a part left None is not for them."""

    alerts: list[tuple[str, str, int]] | None = None  # (severity, label, new alerts)
    high: list[Alert] = field(default_factory=list)
    reviews: int | None = None
    workers: list[tuple[WorkerStatus, bool]] | None = None  # (worker, quiet) of those in trouble
    no_worker: bool = False
    report: WeeklyReport | None = None
    report_url: str = ""  # the report itself, for those who may read it; else empty
    no_email: bool = False  # an alert reader, and this server sends no e-mail: nobody is e-mailed

    @property
    def shown(self) -> bool:
        return any(
            (
                self.alerts is not None,
                self.reviews is not None,
                self.workers,
                self.no_worker,
                self.report,
                self.no_email,
            )
        )


def today(user: User, school: School, now: dt.datetime) -> Today:
    """What needs `user` at `school` now."""
    out = Today()
    subjects = access.alert_subjects(user, school)
    if subjects:
        new = access.restrict(Alert.objects.all(), school, subjects).filter(state=AlertState.NEW)
        counts = dict(new.order_by().values_list("severity").annotate(n=Count("pk")))
        out.alerts = [(s.value, s.label, int(counts.get(s.value, 0))) for s in Severity]
        if counts.get(Severity.HIGH):
            out.high = list(new.filter(severity=Severity.HIGH).order_by("-last_at")[:HIGH_LISTED])
        out.no_email = not mail.set_up()
    if user.can(Capability.REVIEWS_VIEW, school):
        out.reviews = ReviewRequest.objects.filter(school=school, state=ReviewState.NEW).count()
    if any(user.can(c, school) for c in WORKER_WATCHERS):
        workers = list(WorkerStatus.objects.order_by("host"))
        out.no_worker = not workers
        out.workers = [(w, now - w.seen_at > QUIET) for w in workers if w.problem or now - w.seen_at > QUIET]
    if any(user.can(c, school) for c in REPORT_READERS):
        out.report = WeeklyReport.objects.filter(school=school).order_by("-week_start").first()
        if out.report is not None and any(user.can(c, school) for c in REPORT_CONTENT):
            out.report_url = reverse("monitoring:report", kwargs={"pk": out.report.pk})
    return out
