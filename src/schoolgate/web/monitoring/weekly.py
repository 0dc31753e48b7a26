"""The weekly monitoring report: made once a week for each school, kept as it was made, and sent.

The DfE monitoring standard asks for a weekly report to the DSL besides the immediate alerts. A report
covers one week, Monday to Sunday in the school's time zone, and holds its figures frozen as JSON
(`WeeklyReport.figures`): what the report said when it was made and sent is what it says for ever,
whatever later happens to the alerts and events it counted (retention deletes the events themselves).

The figures are grouped rows, each with the `subject` it is about (a pupil, a member of staff, the
headteacher, ...): the page and the PDF add up only the rows the reader may see (`access`), so one
frozen report serves the DSL (pupils), the headteacher (staff) and the chair of governors alike. The
flagged search terms are kept the same way and shown only to readers of the activity log.

Making a report is the cost (a few GROUP BY queries bounded by the week, on the `(school, at)` index);
reading one is a single row. `send_due(now)` runs in every round of the worker: for each school whose
report day and hour (`MonitoringSettings`, school time) have come this week and whose report of the week
before is not sent, it makes the report (once: one per school and week) and e-mails the DSL, deputies
and headteacher a note that it is ready, with a link and nothing else: no names, no terms. A failed
sending is tried again with a growing pause; two workers never send the same report (the attempt is
claimed by a conditional UPDATE first).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import User
from schoolgate.web.filterrequests.choices import RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.monitoring.choices import (
    AlertKind,
    AlertState,
    ReportState,
    ReviewKind,
    Severity,
    Subject,
)
from schoolgate.web.monitoring.models import (
    ActivityEvent,
    Alert,
    HourlyVisit,
    MonitoringSettings,
    ReviewRequest,
    SpoolFile,
    WeeklyReport,
    WorkerStatus,
)
from schoolgate.web.reports.terms import school_zone
from schoolgate.web.tenancy.models import School

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

__all__ = [
    "FIGURES_VERSION",
    "RECIPIENT_ROLES",
    "WeeklyReport",
    "WeeklyReportError",
    "make_report",
    "send_due",
    "settings_for",
    "this_week",
    "week_bounds",
]

FIGURES_VERSION = 1
# Who is told that the report is ready: the DSL team and the headteacher.
RECIPIENT_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)
# The categories whose blocks are attempts to get round the filter (VPNs, proxies, DNS over HTTPS).
CIRCUMVENTION_CATEGORIES = frozenset({"circumvention", "vpn", "proxy", "doh"})
TERMS_KEPT = 200  # the most frequent flagged terms a report keeps
PROBLEMS_KEPT = 5  # spool problems kept per gateway host
# A failed sending is tried again after 1, 2, 4, ... minutes, at most an hour apart.
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_MOST = dt.timedelta(hours=1)
SEVERITIES = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)
NOT_SET_UP = "e-mail is not set up on this server (SCHOOLGATE_SMTP): sent once it is"


def settings_for(school: School) -> MonitoringSettings:
    """The school's monitoring settings, made with the defaults the first time they are asked for."""
    found = MonitoringSettings.objects.filter(school=school).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MonitoringSettings.objects.create(school=school)
    except IntegrityError:  # made meanwhile by another request or worker
        return MonitoringSettings.objects.get(school=school)


def this_week(day: dt.date) -> dt.date:
    """The Monday of the week `day` is in."""
    return day - dt.timedelta(days=day.weekday())


def week_bounds(week_start: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """From Monday 00:00 to the next Monday 00:00, in `zone` (a week with a clock change is 167 or
    169 hours long)."""
    after = week_start + dt.timedelta(days=7)
    return (
        dt.datetime.combine(week_start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(after, dt.time.min, tzinfo=zone),
    )


# -- making a report ---------------------------------------------------------------------------------


def _alerts(school: School, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """The week's alerts (by when they began), by subject, kind, area, severity and where they stand."""
    grouped = (
        Alert.objects.filter(school=school, first_at__gte=start, first_at__lt=end)
        .values("subject", "kind", "area", "severity", "state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return [dict(row) for row in grouped]


def _events(school: School, start: dt.datetime, end: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Blocks by category, searches, flagged searches, circumvention and locked-list attempts: one
    GROUP BY over the week's events."""
    is_search = ~Q(term="") & Q(superseded=False)
    grouped = (
        ActivityEvent.objects.filter(school=school, at__gte=start, at__lt=end)
        .values("subject", "category", "flag", "flag_area")
        .annotate(
            blocked=Count("pk", filter=Q(blocked=True, locked=False)),
            locked=Count("pk", filter=Q(locked=True)),
            searches=Count("pk", filter=is_search),
            flagged=Count("pk", filter=is_search & ~Q(flag="")),
        )
        .order_by()
    )
    blocked: dict[tuple[str, str], int] = {}
    searches: dict[str, int] = {}
    flagged: dict[tuple[str, str, str], int] = {}
    circumvention: dict[str, int] = {}
    locked: dict[str, int] = {}
    for row in grouped:
        subject, category = row["subject"], row["category"]
        if row["blocked"]:
            blocked[(subject, category)] = blocked.get((subject, category), 0) + row["blocked"]
            if category in CIRCUMVENTION_CATEGORIES:
                circumvention[subject] = circumvention.get(subject, 0) + row["blocked"]
        if row["locked"]:
            locked[subject] = locked.get(subject, 0) + row["locked"]
        if row["searches"]:
            searches[subject] = searches.get(subject, 0) + row["searches"]
        if row["flagged"]:
            key = (subject, row["flag_area"], row["flag"])
            flagged[key] = flagged.get(key, 0) + row["flagged"]
    return {
        # A locked list's category is never counted among the blocked categories: the attempts are
        # counted on their own, and their category would say what was tried.
        "blocked": [{"subject": s, "category": c, "count": n} for (s, c), n in blocked.items() if n],
        "searches": [{"subject": s, "count": n} for s, n in searches.items()],
        "flagged": [{"subject": s, "area": a, "severity": f, "count": n} for (s, a, f), n in flagged.items()],
        "circumvention": [{"subject": s, "count": n} for s, n in circumvention.items()],
        "locked": [{"subject": s, "count": n} for s, n in locked.items()],
    }


def _terms(school: School, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """The flagged search terms of the week, the most frequent first, with whom they are about. Never
    a locked attempt's: its term is part of its address, which only the DSL sees (in the log); the
    report, read by the deputies and the headteacher too, counts it without it."""
    grouped = (
        ActivityEvent.objects.filter(school=school, at__gte=start, at__lt=end, superseded=False, locked=False)
        .exclude(term="")
        .exclude(flag="")
        .values("subject", "term", "flag_area", "flag")
        .annotate(count=Count("pk"))
        .order_by("-count", "term")[:TERMS_KEPT]
    )
    return [
        {
            "subject": r["subject"],
            "term": r["term"],
            "area": r["flag_area"],
            "severity": r["flag"],
            "count": r["count"],
        }
        for r in grouped
    ]


def _reviews(school: School, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    grouped = (
        ReviewRequest.objects.filter(
            school=school, received_at__gte=start, received_at__lt=end, kind=ReviewKind.REVIEW
        )
        .values("category")
        .annotate(count=Count("pk"))
        .order_by("-count", "category")
    )
    return [{"category": r["category"], "count": r["count"]} for r in grouped]


def _requests(school: School, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Filter change requests by kind: asked in the week, and approved, refused, or made by a teacher
    without approval (a lesson unblock the school lets teachers make) in the week. Counts only: who
    asked and which site are on the requests' own pages."""
    asked = (
        FilterRequest.objects.filter(school=school, asked_at__gte=start, asked_at__lt=end)
        .values("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    decided = (
        FilterRequest.objects.filter(school=school, decided_at__gte=start, decided_at__lt=end)
        .values("kind")
        .annotate(
            approved=Count("pk", filter=Q(state=RequestState.APPROVED, without_approval=False)),
            refused=Count("pk", filter=Q(state=RequestState.REFUSED)),
            own=Count("pk", filter=Q(state=RequestState.APPROVED, without_approval=True)),
        )
        .order_by()
    )
    rows = {k: {"kind": k, "asked": 0, "approved": 0, "refused": 0, "own": 0} for k in RequestKind.values}
    for row in asked:
        rows.setdefault(row["kind"], {"kind": row["kind"], "approved": 0, "refused": 0, "own": 0})
        rows[row["kind"]]["asked"] = row["count"]
    for row in decided:
        found = rows.setdefault(row["kind"], {"kind": row["kind"], "asked": 0})
        found.update(approved=row["approved"], refused=row["refused"], own=row["own"])
    return [r for r in rows.values() if any(r[n] for n in ("asked", "approved", "refused", "own"))]


def _health(
    school: School, start: dt.datetime, end: dt.datetime, zone: ZoneInfo, now: dt.datetime
) -> dict[str, Any]:
    """How the filter and the worker kept up: requests recorded each day (a school day with none means
    the filter or the worker was down), each gateway host's spool files, and the workers now."""
    days = [(start + dt.timedelta(days=i)).date() for i in range(7)]
    bounds = [week_bounds(days[0], zone)[0]]
    bounds += [dt.datetime.combine(d + dt.timedelta(days=1), dt.time.min, tzinfo=zone) for d in days]
    day_events = ActivityEvent.objects.filter(school=school, at__gte=start, at__lt=end).aggregate(
        **{f"d{i}": Count("pk", filter=Q(at__gte=bounds[i], at__lt=bounds[i + 1])) for i in range(7)}
    )
    day_visits = HourlyVisit.objects.filter(school=school, hour__gte=start, hour__lt=end).aggregate(
        **{f"d{i}": Sum("requests", filter=Q(hour__gte=bounds[i], hour__lt=bounds[i + 1])) for i in range(7)}
    )
    per_day = [
        {"date": d.isoformat(), "events": day_events[f"d{i}"] or 0, "allowed": day_visits[f"d{i}"] or 0}
        for i, d in enumerate(days)
    ]
    files = (
        SpoolFile.objects.filter(school=school, first_seen_at__lt=end)
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=start))
        .values("host")
        .annotate(files=Count("pk"), events=Sum("events"), skipped=Sum("skipped"))
        .order_by("host")
    )
    problems: dict[str, list[str]] = {}
    with_problems = (
        SpoolFile.objects.filter(school=school, first_seen_at__lt=end)
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=start))
        .exclude(problem="")
        .values_list("host", "problem")
        .distinct()
        .order_by("host", "problem")
    )
    for host, problem in with_problems:
        kept = problems.setdefault(host, [])
        if len(kept) < PROBLEMS_KEPT:
            kept.append(problem)
    workers = [
        {
            "host": w.host,
            "seen_at": w.seen_at.isoformat(),
            "quiet_seconds": max(0, int((now - w.seen_at).total_seconds())),
            "lag_seconds": round(w.lag_seconds, 1),
            "problem": w.problem,
        }
        for w in WorkerStatus.objects.order_by("host")
    ]
    return {
        "days": per_day,
        "hosts": [
            {
                "host": f["host"],
                "files": f["files"],
                "events": f["events"] or 0,
                "skipped": f["skipped"] or 0,
                "problems": problems.get(f["host"], []),
            }
            for f in files
        ],
        "workers": workers,
    }


def figures_of(school: School, week_start: dt.date, now: dt.datetime) -> dict[str, Any]:
    """The figures of `school`'s week beginning `week_start` (a Monday), as they stand at `now`."""
    if week_start.weekday() != 0:
        raise ValueError(f"a week starts on a Monday: {week_start:%A %d %B %Y} is not one")
    zone = school_zone(school)
    start, end = week_bounds(week_start, zone)
    return {
        "v": FIGURES_VERSION,
        "week_start": week_start.isoformat(),
        "week_end": (week_start + dt.timedelta(days=6)).isoformat(),
        "zone": str(zone),
        "made_at": now.isoformat(),
        "complete": now >= end,
        "alerts": _alerts(school, start, end),
        **_events(school, start, end),
        "terms": _terms(school, start, end),
        "reviews": _reviews(school, start, end),
        "requests": _requests(school, start, end),
        "health": _health(school, start, end, zone, now),
    }


def make_report(school: School, week_start: dt.date, *, now: dt.datetime | None = None) -> WeeklyReport:
    """The school's report of the week beginning `week_start`: made, or made again while it has not
    been sent (a report made before its week ended, from the "make it now" button, is brought up to
    date by the schedule). A report once sent is never changed: it is returned as it is."""
    now = now or timezone.now()
    existing = WeeklyReport.objects.filter(school=school, week_start=week_start).first()
    if existing is not None and existing.state == ReportState.SENT:
        return existing
    figures = figures_of(school, week_start, now)
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().filter(school=school, week_start=week_start).first()
        if report is None:
            try:
                with transaction.atomic():
                    return WeeklyReport.objects.create(
                        school=school, week_start=week_start, figures=figures, created_at=now
                    )
            except IntegrityError:  # made meanwhile by another worker: theirs stands
                return WeeklyReport.objects.get(school=school, week_start=week_start)
        if report.state != ReportState.SENT:
            report.figures = figures
            report.created_at = now
            report.save(update_fields=["figures", "created_at"])
        return report


# -- sending -----------------------------------------------------------------------------------------


def recipients(school: School) -> list[User]:
    """Who is told that a report is ready: the school's DSL, deputies and headteacher (logins on)."""
    found = User.objects.filter(
        is_active=True, memberships__school=school, memberships__role__in=[r.value for r in RECIPIENT_ROLES]
    ).distinct()
    return sorted(found, key=lambda u: (str(u).lower(), u.pk))


def _retry_after(attempts: int) -> dt.timedelta:
    doubled: dt.timedelta = RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 12)
    return min(doubled, RETRY_MOST)


def mail_body(school: School, report: WeeklyReport) -> tuple[str, str]:
    """The subject and body of the note that a report is ready: the school, the week and a link. No
    name, no term, no figure: a mailbox is not the place for them."""
    start = report.week_start
    week = f"{start.day} {start:%B %Y}"
    link = f"{django_settings.SITE_URL}{reverse('monitoring:report', kwargs={'pk': report.pk})}"
    subject = f"Weekly monitoring report ready: {school.name}, week of {week}"
    body = (
        f"The weekly monitoring report of {school.name} for the week beginning Monday {week} is ready "
        "in Schoolgate.\n\n"
        f"Read it here (you will be asked to log in): {link}\n\n"
        "You are told because you are a Designated Safeguarding Lead, a deputy or the headteacher at "
        f"{school.name}. This e-mail holds nothing from the report itself."
    )
    return subject, body


@dataclass(frozen=True)
class _Due:
    school: School
    week_start: dt.date


def _due(now: dt.datetime) -> list[_Due]:
    """The schools whose report day and hour have come this week (school time), with the week their
    report is of: the one before this week."""
    configured = {s.school_id: s for s in MonitoringSettings.objects.all()}
    defaults = MonitoringSettings()
    due = []
    for school in School.objects.order_by("pk"):
        chosen = configured.get(school.pk, defaults)
        local = now.astimezone(school_zone(school))
        monday = this_week(local.date())
        day = monday + dt.timedelta(days=min(int(chosen.report_weekday), 6))
        at = dt.datetime.combine(day, dt.time(min(int(chosen.report_hour), 23)), tzinfo=local.tzinfo)
        if local >= at:
            due.append(_Due(school, monday - dt.timedelta(days=7)))
    return due


def _claim(report: WeeklyReport, now: dt.datetime) -> bool:
    """Take this sending attempt for this worker: a conditional UPDATE that only one worker wins."""
    taken = WeeklyReport.objects.filter(
        pk=report.pk, send_attempts=report.send_attempts, state=report.state
    ).update(send_attempts=F("send_attempts") + 1, tried_at=now)
    if taken:
        report.send_attempts += 1
        report.tried_at = now
    return bool(taken)


def _send(report: WeeklyReport, now: dt.datetime) -> bool:
    """E-mail everyone who has not had the note yet; SENT when all have, FAILED (tried again later)
    when one could not be sent or nobody has an address."""
    school = report.school
    already = {a for a in report.sent_to.splitlines() if a}
    people = recipients(school)
    subject, body = mail_body(school, report)
    problems = []
    for person in people:
        if not person.email:
            continue
        if person.email in already:
            continue
        outcome = mail.send(person.email, subject, body)
        if outcome.sent:
            already.add(person.email)
            # Kept at once, so that a worker stopped half way does not send it twice.
            report.sent_to = "\n".join(sorted(already))
            WeeklyReport.objects.filter(pk=report.pk).update(sent_to=report.sent_to)
        else:
            problems.append(f"{person.email}: {outcome.why}")
    if not already:
        problems.append("nobody to send it to: the DSL, deputies and headteacher have no e-mail address")
    report.state = ReportState.FAILED if problems else ReportState.SENT
    report.send_problem = "; ".join(problems)[:300]
    if not problems:
        report.sent_at = now
    WeeklyReport.objects.filter(pk=report.pk).update(
        state=report.state, send_problem=report.send_problem, sent_at=report.sent_at
    )
    return not problems


def send_due(now: dt.datetime) -> int:
    """Make and send every report that is due at `now`; the number sent. Cheap when none is due (three
    queries); a school that fails is logged and left for the next round, never stopping the others."""
    due = _due(now)
    if not due:
        return 0
    weeks = {d.week_start for d in due}
    reports = {
        (r.school_id, r.week_start): r
        for r in WeeklyReport.objects.filter(week_start__in=weeks, school__in=[d.school for d in due])
    }
    set_up = mail.set_up()
    sent = 0
    failed: list[str] = []
    for item in due:
        report = reports.get((item.school.pk, item.week_start))
        if report is not None and report.state == ReportState.SENT:
            continue
        _, end = week_bounds(item.week_start, school_zone(item.school))
        # Made before its week was over ("make it now"): brought up to date before it is sent.
        stale = report is None or report.created_at < end
        waiting = (
            report is not None
            and report.tried_at is not None
            and now < report.tried_at + _retry_after(report.send_attempts)
        )
        if not stale and (waiting or not set_up):
            continue  # a failed sending waits its turn; unsent, it is on the page all the same
        try:
            if stale:
                report = make_report(item.school, item.week_start, now=now)
                if not set_up:
                    report.send_problem = NOT_SET_UP
                    WeeklyReport.objects.filter(pk=report.pk).update(send_problem=NOT_SET_UP)
            if report is None or not set_up or waiting:
                continue
            if _claim(report, now) and _send(report, now):
                sent += 1
        except Exception as exc:  # one school's failure never stops the others: tried next round
            log.exception("weekly report of %s (week of %s) failed", item.school, item.week_start)
            failed.append(f"{item.school.slug}: {exc}")
    if failed:
        # Raised once every school has had its turn, so that the worker records it on its status.
        raise WeeklyReportError(f"{sent} sent; failed for " + "; ".join(failed))
    return sent


class WeeklyReportError(Exception):
    """One or more schools' reports could not be made or sent this round (the others were)."""


# -- reading a report --------------------------------------------------------------------------------

AREA_LABELS = {
    "suicide": "Suicide",
    "self_harm": "Self-harm and eating disorders",
    "grooming": "Grooming and sexual exploitation",
    "sexual": "Sexual content",
    "bullying": "Bullying",
    "extremism": "Radicalisation and extremism",
    "hate": "Hate and discrimination",
    "weapons": "Weapons",
    "violence": "Violence",
    "drugs": "Drugs",
    "gambling": "Gambling",
}
STATE_ORDER = (AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.DISMISSED, AlertState.INCIDENT)
KIND_ORDER = tuple(AlertKind)
SUBJECTS = tuple(Subject)


def area_label(area: str) -> str:
    if not area:
        return "No risk area"
    return AREA_LABELS.get(area, area.replace("_", " ").capitalize())


def category_label(category: str) -> str:
    return category or "No category"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of counts; every count above 0 gets a bar (at least a sliver)."""

    title: str
    bars: tuple[Bar, ...]

    @property
    def top(self) -> int:
        return max([b.value for b in self.bars] + [0])

    @property
    def has_data(self) -> bool:
        return self.top > 0

    # The drawing's layout, in SVG units (the page scales it to its width).
    LABEL_WIDTH: ClassVar[int] = 170
    PLOT_WIDTH: ClassVar[int] = 220
    ROW: ClassVar[int] = 26
    BAR: ClassVar[int] = 18

    @property
    def width(self) -> int:
        return self.LABEL_WIDTH + self.PLOT_WIDTH + 50

    @property
    def height(self) -> int:
        return self.ROW * len(self.bars) + 8

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Each bar's place: a count above 0 is at least 2 units wide, so that it always shows."""
        top = self.top or 1
        out = []
        for i, bar in enumerate(self.bars):
            width = 0 if bar.value <= 0 else max(2, round(bar.value / top * self.PLOT_WIDTH))
            y = 4 + i * self.ROW
            out.append(
                {
                    "label": bar.label if len(bar.label) <= 26 else bar.label[:25] + "…",
                    "value": bar.value,
                    "y": y,
                    "text_y": y + self.BAR - 4,
                    "x": self.LABEL_WIDTH,
                    "width": width,
                    "value_x": self.LABEL_WIDTH + width + 6,
                    "label_x": self.LABEL_WIDTH - 8,
                }
            )
        return out


@dataclass(frozen=True)
class Table:
    """A table of the report: its heading, column headings and rows (the first cell of a row is its
    label; the others are counts or words)."""

    title: str
    head: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]
    empty: str = "None this week."
    note: str = ""

    @property
    def cells(self) -> list[list[tuple[str, str | int]]]:
        """Each row's cells with their column's heading (a narrow screen shows it beside the value)."""
        return [list(zip(self.head, row, strict=False)) for row in self.rows]


@dataclass(frozen=True)
class Reading:
    """A report as one reader may see it: the frozen figures, added up over the subjects the reader
    may see (`access.alert_subjects` for the alerts; those and `activity_subjects` for the counts of
    activity; `activity_subjects` alone for the flagged terms themselves)."""

    week_start: dt.date
    week_end: dt.date
    made_at: dt.datetime
    complete: bool
    summary: Table
    tables: tuple[tuple[Table, Chart | None], ...]
    terms: Table | None  # None: the reader may not see the terms
    health: tuple[tuple[Table, Chart | None], ...]
    partial: bool  # some rows are about people the reader may not see

    @property
    def charts(self) -> list[Chart]:
        return [c for _, c in (*self.tables, *self.health) if c is not None]


def _sum(rows: list[dict[str, Any]], subjects: frozenset[str], key: str | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        if row.get("subject") in subjects:
            name = str(row[key]) if key is not None else ""
            out[name] = out.get(name, 0) + int(row["count"])
    return out


def _total(rows: list[dict[str, Any]], subjects: frozenset[str]) -> int:
    return sum(int(r["count"]) for r in rows if r.get("subject") in subjects)


def read(report: WeeklyReport, alert_subjects: frozenset[str], activity_subjects: frozenset[str]) -> Reading:
    """What `report` shows to a reader who may see alerts about `alert_subjects` and the activity of
    `activity_subjects`."""
    f: dict[str, Any] = report.figures or {}
    counted = alert_subjects | activity_subjects
    alerts = [a for a in f.get("alerts", []) if a.get("subject") in alert_subjects]
    every_subject = {
        str(r.get("subject"))
        for k in ("alerts", "blocked", "searches", "flagged", "circumvention", "locked", "terms")
        for r in f.get(k, [])
    }
    partial = bool(every_subject - set(counted))

    areas: dict[str, dict[str, int]] = {}
    states: dict[str, int] = dict.fromkeys(STATE_ORDER, 0)
    kinds: dict[str, int] = {}
    for a in alerts:
        by_severity = areas.setdefault(a["area"], dict.fromkeys(SEVERITIES, 0))
        by_severity[a["severity"]] = by_severity.get(a["severity"], 0) + a["count"]
        states[a["state"]] = states.get(a["state"], 0) + a["count"]
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + a["count"]
    total_alerts = sum(states.values())
    severity_totals = {s: sum(v.get(s, 0) for v in areas.values()) for s in SEVERITIES}

    blocked = _sum(f.get("blocked", []), counted, "category")
    flagged_rows = [r for r in f.get("flagged", []) if r.get("subject") in counted]
    flagged: dict[str, dict[str, int]] = {}
    for r in flagged_rows:
        flagged.setdefault(r["area"], dict.fromkeys(SEVERITIES, 0))[r["severity"]] += r["count"]
    reviews = {r["category"]: int(r["count"]) for r in f.get("reviews", [])}
    requests = [r for r in f.get("requests", []) if isinstance(r, dict)]

    summary = Table(
        "Summary",
        ("This week", "Count"),
        (
            ("Alerts", total_alerts),
            *((f"Alerts of {s.label.lower()} severity", severity_totals[s]) for s in SEVERITIES),
            ("Alerts still new (nobody has acted on them)", states.get(AlertState.NEW, 0)),
            ("Searches", _total(f.get("searches", []), counted)),
            ("Searches flagged by the risk phrases", sum(r["count"] for r in flagged_rows)),
            ("Blocked requests", sum(blocked.values())),
            ("Attempts to get round the filter", _total(f.get("circumvention", []), counted)),
            ("Attempts on a locked list (illegal content)", _total(f.get("locked", []), counted)),
            ("Review requests from the block page", sum(reviews.values())),
            *(
                (
                    ("Filter change requests asked", sum(int(r.get("asked", 0)) for r in requests)),
                    (
                        "Lesson unblocks made by teachers without approval",
                        sum(int(r.get("own", 0)) for r in requests),
                    ),
                )
                if "requests" in f
                else ()
            ),
        ),
    )
    area_order = sorted(
        areas, key=lambda a: (-sum(areas[a].values()), *(-areas[a][s] for s in SEVERITIES), area_label(a))
    )
    area_table = Table(
        "Alerts by area and severity",
        ("Area", "High", "Medium", "Low", "Total"),
        tuple(
            (area_label(a), *(areas[a][s] for s in SEVERITIES), sum(areas[a].values())) for a in area_order
        ),
    )
    area_chart = Chart(
        "Alerts by area", tuple(Bar(area_label(a), sum(areas[a].values())) for a in area_order)
    )
    state_labels = dict(AlertState.choices)
    state_table = Table(
        "What was done about them",
        ("Where the alert stands", "Alerts"),
        tuple((state_labels.get(s, s), states[s]) for s in states),
        note="Where each of the week's alerts stood when the report was made: acknowledged, dismissed "
        "(each with its reason, on the alert), made an incident, or still new.",
    )
    state_chart = Chart("What was done", tuple(Bar(state_labels.get(s, s), n) for s, n in states.items()))
    kind_labels = dict(AlertKind.choices)
    kind_table = Table(
        "Alerts by what raised them",
        ("Raised by", "Alerts"),
        tuple((kind_labels.get(k, k), kinds[k]) for k in sorted(kinds, key=lambda k: (-kinds[k], k))),
    )
    top = sorted(blocked, key=lambda c: (-blocked[c], c))[:10]
    blocked_table = Table(
        "Top blocked categories",
        ("Category", "Blocked requests"),
        tuple((category_label(c), blocked[c]) for c in top),
        note="Attempts on a locked list are counted on their own, above, not here.",
    )
    blocked_chart = Chart("Top blocked categories", tuple(Bar(category_label(c), blocked[c]) for c in top))
    flag_order = sorted(
        flagged,
        key=lambda a: (-sum(flagged[a].values()), *(-flagged[a][s] for s in SEVERITIES), area_label(a)),
    )
    flagged_table = Table(
        "Searches flagged",
        ("Area", "High", "Medium", "Low", "Total"),
        tuple(
            (area_label(a), *(flagged[a][s] for s in SEVERITIES), sum(flagged[a].values()))
            for a in flag_order
        ),
    )
    flagged_chart = Chart(
        "Searches flagged by area", tuple(Bar(area_label(a), sum(flagged[a].values())) for a in flag_order)
    )
    review_order = sorted(reviews, key=lambda c: (-reviews[c], c))
    review_table = Table(
        "Review requests",
        ("Category of the blocked page", "Requests"),
        tuple((category_label(c), reviews[c]) for c in review_order),
    )
    review_chart = Chart(
        "Review requests by category", tuple(Bar(category_label(c), reviews[c]) for c in review_order)
    )

    kind_words = dict(RequestKind.choices)
    kind_order = {k: i for i, k in enumerate(RequestKind.values)}
    request_table = Table(
        "Filter change requests",
        ("What was asked", "Asked", "Approved", "Refused", "Unblocked by a teacher without approval"),
        tuple(
            (
                kind_words.get(str(r.get("kind")), str(r.get("kind"))),
                int(r.get("asked", 0)),
                int(r.get("approved", 0)),
                int(r.get("refused", 0)),
                int(r.get("own", 0)),
            )
            for r in sorted(requests, key=lambda r: kind_order.get(str(r.get("kind")), len(kind_order)))
        ),
        note="Asked this week; approved, refused or unblocked this week (some asked the week before). "
        "Each request, its decision and what it wrote into the filter are under Requests.",
    )

    terms = None
    if activity_subjects:
        severity_labels = dict(Severity.choices)
        terms = Table(
            "The flagged searches",
            ("Search", "Area", "Severity", "Times"),
            tuple(
                (
                    t["term"],
                    area_label(t["area"]),
                    severity_labels.get(t["severity"], t["severity"]),
                    t["count"],
                )
                for t in f.get("terms", [])
                if t.get("subject") in activity_subjects
            ),
            note="Each alert and the person's activity are in the alerts and the activity log.",
        )

    health = f.get("health", {})
    days = health.get("days", [])
    zone = school_zone(report.school)
    day_table = Table(
        "Requests recorded each day",
        ("Day", "Allowed requests", "Blocked, flagged or search events"),
        tuple((f"{dt.date.fromisoformat(d['date']):%A %-d %B}", d["allowed"], d["events"]) for d in days),
        note="A school day with nothing recorded means the filter, or the worker that reads its "
        "records, was not running.",
    )
    day_chart = Chart(
        "Requests recorded each day",
        tuple(Bar(f"{dt.date.fromisoformat(d['date']):%a %-d %b}", d["allowed"] + d["events"]) for d in days),
    )
    host_table = Table(
        "Gateway records read",
        ("Gateway host", "Files", "Lines stored", "Lines left out", "Problems"),
        tuple(
            (h["host"], h["files"], h["events"], h["skipped"], "; ".join(h["problems"]) or "None")
            for h in health.get("hosts", [])
        ),
        empty="No gateway records were read this week.",
    )
    worker_table = Table(
        "The workers when the report was made",
        ("Worker host", "Last heard from", "Behind by", "Problem"),
        tuple(
            (
                w["host"],
                f"{dt.datetime.fromisoformat(w['seen_at']).astimezone(zone):%-d %B %Y %H:%M}",
                f"{w['lag_seconds']:g} s",
                w["problem"] or "None",
            )
            for w in health.get("workers", [])
        ),
        empty="No worker has run.",
    )
    return Reading(
        week_start=report.week_start,
        week_end=report.week_start + dt.timedelta(days=6),
        made_at=report.created_at.astimezone(zone),
        complete=bool(f.get("complete", True)),
        summary=summary,
        tables=(
            (area_table, area_chart),
            (state_table, state_chart),
            (kind_table, None),
            (blocked_table, blocked_chart),
            (flagged_table, flagged_chart),
            (review_table, review_chart),
            *(((request_table, None),) if "requests" in f else ()),
        ),
        terms=terms,
        health=((day_table, day_chart), (host_table, None), (worker_table, None)),
        partial=partial,
    )
