"""What the monitoring keeps: the gateways' activity as the ingester stores it, the alerts raised from
it, pupils' review requests, the school's own risk phrases, its monitoring settings and the weekly
reports sent.

Where an activity row comes from is always known and stored once: `SpoolFile` is one spool file of one
gateway host, with the position up to which its lines are in the database; a batch of rows and the new
position are written in one transaction, so a worker killed at any moment neither loses nor repeats a
line, and the unique (file, offset) of each row keeps a second worker from storing one twice.

- `ActivityEvent`: every blocked, flagged or search request, one row each, with the DfE minimum
  record (device, address, the person, time, the search term or content, the decision's explanation).
- `HourlyVisit`: allowed traffic, counted per person (or address), site and hour: what a pupil visited
  this morning has an answer without a row per request of 1,500 pupils.
- `Alert`: one or more related events of one person that need a person to look (a risk phrase, a
  category whose rule carries an alert level, an attempt on a locked list, circumvention, repeated
  blocks); acknowledged, dismissed with a reason, or made an incident.

On PostgreSQL the two activity tables are partitioned by day (migration 0002), and retention drops
whole partitions; on SQLite it deletes rows.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from schoolgate.web.audit.models import Audited
from schoolgate.web.monitoring.choices import (
    AlertKind,
    AlertState,
    Gateway,
    ReportState,
    ReviewKind,
    ReviewState,
    Severity,
    SpoolKind,
    Subject,
)
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet

USER = settings.AUTH_USER_MODEL


class SpoolFile(SchoolScoped):
    """One spool file of one gateway host, and how far into it the database has read.

    `position` is the offset just past the last line stored: rows and position change in one
    transaction. `finished_at` is set once the file is complete (renamed from `.part`, or a review file
    whose writer is gone) and read to its end; the file is then removed or archived (`removed_at`)."""

    host = models.CharField(max_length=255, help_text="The gateway host that wrote it (from its name)")
    name = models.CharField(max_length=255, help_text="The file's name in its spool directory")
    kind = models.CharField(max_length=10, choices=SpoolKind.choices)
    gateway = models.CharField(max_length=32, help_text='"squid", "dns", "blockpage", ...')
    position = models.BigIntegerField(default=0)
    events = models.BigIntegerField(default=0, help_text="How many lines of it were stored")
    skipped = models.BigIntegerField(
        default=0, help_text="How many lines were left out (and why, in `problem`)"
    )
    problem = models.CharField(max_length=500, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("host", "name"), name="one_spool_file_per_host_and_name"),
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.name}"


class ActivityEvent(SchoolScoped):
    """One blocked, flagged or search request, as its gateway decided it.

    The URL of an attempt on a locked list (`locked`) is evidence for the police: only holders of
    `LOCKED_EVIDENCE` see it; every page shows the others that there was such an attempt, not where."""

    at = models.DateTimeField()
    spool_file = models.ForeignKey(SpoolFile, on_delete=models.PROTECT, related_name="+")
    offset = models.BigIntegerField()
    gateway = models.CharField(max_length=10, choices=Gateway.choices)
    # Who: the user name the gateway saw, the person it resolved to (by user name, or else by the
    # address through the school's network identities), and what they are.
    user_name = models.CharField(max_length=150, blank=True)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="activity"
    )
    subject = models.CharField(max_length=12, choices=Subject.choices, default=Subject.UNKNOWN)
    ip = models.CharField("IP address", max_length=45, blank=True)
    device = models.CharField(max_length=200, blank=True)
    # What: the request, and the decision's explanation.
    method = models.CharField(max_length=16, blank=True)
    url = models.TextField(help_text="The address asked for, cut at 4,096 characters")
    site = models.CharField(max_length=255, blank=True, db_index=True)
    blocked = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, blank=True)
    group = models.CharField("policy group", max_length=64, blank=True)
    category = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=128, blank=True)
    rule = models.PositiveIntegerField(null=True, blank=True)
    alert_level = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    locked = models.BooleanField(default=False, help_text="An attempt on a locked list (illegal content)")
    # The search: the engine and term (monitoring.terms); `superseded` when a later search of the same
    # person on the same engine extends it (the keystroke trail "h", "ho", "how" keeps "how").
    engine = models.CharField(max_length=32, blank=True)
    term = models.CharField(max_length=500, blank=True)
    superseded = models.BooleanField(default=False)
    # What the risk phrases found in the term (monitoring.phrases): the highest severity, its area and
    # each match's explanation as a list of {"phrase", "area", "severity", "why"}.
    flag = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    flag_area = models.CharField(max_length=16, blank=True)
    matches = models.JSONField(default=list, blank=True)
    alert = models.ForeignKey(
        "monitoring.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    objects: ClassVar[SchoolQuerySet[ActivityEvent]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("spool_file", "offset", "at"), name="one_event_per_line"),
        )
        indexes = (
            models.Index(fields=("school", "at"), name="activity_school_at"),
            models.Index(fields=("school", "person", "at"), name="activity_person_at"),
            models.Index(fields=("school", "term"), name="activity_term"),
        )
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user_name or self.ip} {self.site}"


class HourlyVisit(SchoolScoped):
    """Allowed requests of one person (or, unidentified, one address) to one site in one hour."""

    hour = models.DateTimeField(help_text="The hour's start, UTC")
    who = models.CharField(max_length=150, help_text="The user name, or the address when there is none")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    subject = models.CharField(max_length=12, choices=Subject.choices, default=Subject.UNKNOWN)
    ip = models.CharField("IP address", max_length=45, blank=True)
    device = models.CharField(max_length=200, blank=True)
    site = models.CharField(max_length=255)
    group = models.CharField("policy group", max_length=64, blank=True)
    category = models.CharField(max_length=64, blank=True)
    requests = models.PositiveIntegerField(default=0)

    objects: ClassVar[SchoolQuerySet[HourlyVisit]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("school", "hour", "who", "site"), name="one_count_per_hour_who_site"
            ),
        )
        indexes = (models.Index(fields=("school", "person", "hour"), name="visits_person_hour"),)
        ordering = ("-hour",)

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.who} {self.site} ×{self.requests}"


class Alert(Audited, SchoolScoped):
    """Something a person must look at: one or more related events of one person within minutes."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    area = models.CharField(max_length=16, blank=True, help_text="The risk area (monitoring.phrases.Area)")
    title = models.CharField(max_length=200, help_text="What happened, in a few words (never the locked URL)")
    explanation = models.TextField(blank=True, help_text="Why it was raised: the phrase and where it matched")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    who = models.CharField(max_length=150, help_text="The user name, or the address when there is none")
    subject = models.CharField(max_length=12, choices=Subject.choices, default=Subject.UNKNOWN)
    ip = models.CharField("IP address", max_length=45, blank=True)
    device = models.CharField(max_length=200, blank=True)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    event_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.NEW)
    handled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    # Telling people: the immediate e-mail (and webhook) of a high alert, or the same-day digest.
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_problem = models.CharField(max_length=300, blank=True)
    digest_at = models.DateTimeField(null=True, blank=True)

    audit_digest = ("explanation", "dismiss_reason")
    audit_exclude = ("notify_attempts", "notify_problem", "last_at", "event_count")

    objects: ClassVar[SchoolQuerySet[Alert]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = (
            models.Index(fields=("school", "state", "last_at"), name="alerts_inbox"),
            models.Index(fields=("school", "person", "last_at"), name="alerts_person"),
        )
        ordering = ("-last_at",)

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert: {self.title}"


class ReviewRequest(SchoolScoped):
    """A pupil asking, from the block page, for a blocked site to be looked at again. Stored as it was
    sent; deciding it is the requests workflow's."""

    received_at = models.DateTimeField(help_text="When the pupil sent it")
    spool_file = models.ForeignKey(SpoolFile, on_delete=models.PROTECT, related_name="+")
    offset = models.BigIntegerField()
    url = models.TextField(blank=True)
    site = models.CharField(max_length=255, blank=True)
    who = models.CharField(
        max_length=150, blank=True, help_text="Who was blocked (user name or address), as signed"
    )
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="review_requests"
    )
    blocked_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    group = models.CharField("policy group", max_length=64, blank=True)
    category = models.CharField(max_length=64, blank=True)
    rule = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="What the pupil wrote")
    name = models.CharField(max_length=200, blank=True, help_text="The name the pupil gave")
    ip = models.CharField("IP address", max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.NEW)
    kind = models.CharField(max_length=8, choices=ReviewKind.choices, default=ReviewKind.REVIEW)

    objects: ClassVar[SchoolQuerySet[ReviewRequest]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (models.UniqueConstraint(fields=("spool_file", "offset"), name="one_review_per_line"),)
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"Review of {self.site or self.url} for {self.who}"


class SchoolPhrase(Audited, SchoolScoped):
    """The school's change to the shipped risk phrases: a phrase added, removed, or re-graded."""

    phrase = models.CharField(max_length=200)
    area = models.CharField(max_length=16, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    removed = models.BooleanField(default=False, help_text="The shipped phrase is not looked for here")
    reason = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SchoolQuerySet[SchoolPhrase]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school", "phrase"), name="one_change_per_phrase"),)
        ordering = ("area", "phrase")

    def __str__(self) -> str:
        return self.phrase


class MonitoringSettings(Audited, SchoolScoped):
    """Where a school's alerts go and when its reports are sent."""

    report_weekday = models.PositiveSmallIntegerField(
        default=0, help_text="The day the weekly report is sent: 0 Monday … 6 Sunday"
    )
    report_hour = models.PositiveSmallIntegerField(default=7, help_text="Its hour, in the school's time zone")
    digest_hour = models.PositiveSmallIntegerField(
        default=16, help_text="The hour of the same-day digest of medium alerts, in the school's time zone"
    )
    webhook_url = models.URLField(
        blank=True,
        max_length=500,
        help_text="Also post high alerts here (Microsoft Teams or Slack incoming webhook)",
    )
    extra_recipients = models.TextField(
        blank=True,
        help_text="More addresses for high alerts, one per line (the DSL and deputies always get them)",
    )
    allowed_days = models.PositiveSmallIntegerField(
        default=90, help_text="How long counts of allowed traffic are kept"
    )
    events_days = models.PositiveSmallIntegerField(
        default=400, help_text="How long blocked and search events not in an alert are kept"
    )

    audit_exclude = ()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("school",), name="one_monitoring_settings_per_school"),
        )

    def __str__(self) -> str:
        return f"Monitoring settings of school {self.school_id}"


class WeeklyReport(SchoolScoped):
    """A weekly monitoring report as it was made and sent: its figures are kept as they were."""

    week_start = models.DateField(help_text="The Monday of the week it covers")
    created_at = models.DateTimeField(default=timezone.now)
    figures = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.MADE)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.TextField(blank=True, help_text="Who it was sent to, one address per line")
    # Sending: a failed attempt is tried again later (weekly.send_due), each attempt claimed first.
    send_attempts = models.PositiveSmallIntegerField(default=0)
    tried_at = models.DateTimeField(null=True, blank=True)
    send_problem = models.CharField(max_length=300, blank=True)

    objects: ClassVar[SchoolQuerySet[WeeklyReport]] = SchoolQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school", "week_start"), name="one_report_per_week"),)
        ordering = ("-week_start",)

    def __str__(self) -> str:
        return f"Weekly monitoring report, week of {self.week_start:%d %B %Y}"


class WeeklyReportRead(models.Model):
    """Who opened a weekly report, and when (first time)."""

    report = models.ForeignKey(WeeklyReport, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("report", "user"), name="one_read_per_report_and_user"),
        )


class WorkerStatus(models.Model):
    """What each worker last said: the home page shows a worker that has gone quiet, loudly."""

    host = models.CharField(max_length=255, unique=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)
    lag_seconds = models.FloatField(default=0.0, help_text="How far behind the newest spool line it is")
    problem = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"worker on {self.host}"
