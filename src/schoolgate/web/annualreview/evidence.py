"""What Schoolgate already holds that speaks to the review: for a school and a school year (up to now),
a few numbers and words per kind of record, each with the page where the records are.

`gather` asks a handful of aggregate queries (counts grouped by kind, state or severity, never the
records one by one), so it stays fast with a year of a large school's records. Its result is plain
data (`as_json` / `from_json`): the review keeps it as it was when the first signature was made, so
that a signed review always shows what was signed.

The evidence names no pupil and points to no one, by the governors' report's rules (`reports.counts`),
as every governor reads it: alerts and incidents are counted; alerts and concerns about members of staff
are one total each, "fewer than 3" for 1 or 2; a coverage line of fewer than 3 people is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Max, Q

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.agreements.coverage import agreements_coverage
from schoolgate.web.core import schoolyear
from schoolgate.web.core.coverage import Coverage
from schoolgate.web.filterrequests.choices import RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.incidents.choices import IncidentKind, Status
from schoolgate.web.incidents.models import Incident
from schoolgate.web.monitoring.choices import AlertKind, AlertState, ReportState, Severity, Subject
from schoolgate.web.monitoring.models import Alert, MonitoringSettings, WeeklyReport
from schoolgate.web.policy.models import PolicyVersion
from schoolgate.web.reports.counts import SMALL, staff_total
from schoolgate.web.selftest.choices import RunState
from schoolgate.web.selftest.models import SelfTestRun
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.coverage import training_coverage

__all__ = ["KEYS", "Evidence", "Item", "as_json", "from_json", "gather", "period", "zone_of"]

# Each kind of evidence: its key (named by standards.Point.evidence), its title, and the page (URL
# name) where its records are.
KEYS: dict[str, tuple[str, str]] = {
    "roles": ("Who holds the roles", "accounts:staff"),
    "selftest": ("Filtering self-test runs", "selftest:runs"),
    "policy": ("Filtering policy versions published", "policy:versions"),
    "requests": ("Filter change requests", "filterrequests:list"),
    "alerts": ("Monitoring alerts", "monitoring:alerts"),
    "incidents": ("Online safety incidents recorded", "incidents:list"),
    "weekly": ("Weekly monitoring reports", "monitoring:reports"),
    "monitoring-settings": ("Who the alerts go to", "monitoring:settings"),
    "training": ("Training in date", "training:matrix"),
    "agreements": ("Acceptable-use agreements accepted this year", "agreements:home"),
}

ROLES_SHOWN = (
    Role.HEADTEACHER,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.ONLINE_SAFETY_COORDINATOR,
    Role.NETWORK_MANAGER,
    Role.ONLINE_SAFETY_GOVERNOR,
)
STAFF_SUBJECTS = (Subject.STAFF, Subject.HEADTEACHER)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Item:
    """One kind of evidence: a few lines of numbers and words, and the page with the records."""

    key: str
    title: str
    lines: tuple[str, ...]
    link: str


@dataclass(frozen=True)
class Evidence:
    """Everything gathered for one review: the period it covers and each kind of evidence by key."""

    start: dt.date
    end: dt.date
    gathered_at: dt.datetime
    items: dict[str, Item] = field(default_factory=dict)


def zone_of(school: School) -> ZoneInfo:
    try:
        return ZoneInfo(school.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def period(school: School, year: int, now: dt.datetime) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """The days a review of `year` covers (the school year, up to today when it is not over) and the
    same as moments at the school: (first day, last day, from, until)."""
    zone = zone_of(school)
    first = schoolyear.first_day(year)
    today = now.astimezone(zone).date()
    last = min(schoolyear.last_day(year), max(today, first))
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    until = min(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone), now)
    return first, last, since, max(until, since)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _when(at: dt.datetime | None, school: School) -> str:
    return "never" if at is None else at.astimezone(zone_of(school)).strftime("%-d %B %Y")


def _roles(school: School) -> tuple[str, ...]:
    held: dict[str, list[str]] = {}
    for m in Membership.objects.filter(school=school, role__in=ROLES_SHOWN).select_related("user"):
        held.setdefault(m.role, []).append(str(m.user))
    return tuple(
        f"{role.label}: {', '.join(sorted(held[role])) if role in held else 'nobody'}" for role in ROLES_SHOWN
    )


def _selftest(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    runs = SelfTestRun.objects.filter(school=school, requested_at__gte=since, requested_at__lt=until)
    counts = runs.aggregate(
        total=Count("id"),
        passed=Count("id", filter=Q(state=RunState.PASSED)),
        failed=Count("id", filter=Q(state=RunState.FAILED)),
        incomplete=Count("id", filter=Q(state=RunState.INCOMPLETE)),
        last=Max("requested_at"),
    )
    if not counts["total"]:
        return ("No self-test has run this school year.",)
    last = runs.order_by("-requested_at", "-id").values_list("state", flat=True).first()
    return (
        f"{_plural(counts['total'], 'run')}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['incomplete']} could not check everything.",
        f"Last run {_when(counts['last'], school)}: {RunState(last).label.lower() if last else 'unknown'}.",
    )


def _policy(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    versions = PolicyVersion.objects.filter(school=school, published_at__gte=since, published_at__lt=until)
    counts = versions.aggregate(total=Count("id"), last=Max("published_at"))
    current = PolicyVersion.objects.filter(school=school).aggregate(number=Max("number"))["number"]
    if not counts["total"]:
        shown = f"version {current} is in force" if current else "no version has been published"
        return (f"No version published this school year ({shown}).",)
    return (
        f"{_plural(counts['total'], 'version')} published, the last on {_when(counts['last'], school)}.",
        f"Version {current} is in force.",
    )


def _requests(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    rows = (
        FilterRequest.objects.filter(school=school, asked_at__gte=since, asked_at__lt=until)
        .values("kind", "state")
        .annotate(n=Count("id"))
    )
    by: dict[str, dict[str, int]] = {}
    for row in rows:
        by.setdefault(row["kind"], {})[row["state"]] = row["n"]
    if not by:
        return ("No filter change requests this school year.",)
    out = []
    for kind in RequestKind:
        states = by.get(kind)
        if not states:
            continue
        total = sum(states.values())
        parts = [f"{states[s]} {RequestState(s).label.lower()}" for s in RequestState if states.get(s)]
        out.append(f"{kind.label}: {total} ({', '.join(parts)}).")
    return tuple(out)


def _alerts(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    """Alerts about pupils, visitors and devices not identified, by severity; those about members of
    staff one total, "fewer than 3" for 1 or 2 (`reports.counts.staff_total`), never broken down; the
    self-test's own alerts (about no one) left out. As the governors' report counts them: were staff
    alerts in these numbers, a governor could take the report's from them and learn what one member of
    staff's alert was."""
    alerts = Alert.objects.filter(school=school, first_at__gte=since, first_at__lt=until).exclude(
        kind=AlertKind.SELFTEST
    )
    staff = Q(subject__in=STAFF_SUBJECTS)
    counts = alerts.aggregate(
        total=Count("id", filter=~staff),
        **{s.value: Count("id", filter=Q(severity=s) & ~staff) for s in Severity},
        circumvention=Count("id", filter=Q(kind=AlertKind.CIRCUMVENTION) & ~staff),
        locked=Count("id", filter=Q(kind=AlertKind.LOCKED) & ~staff),
        waiting=Count("id", filter=Q(state=AlertState.NEW) & ~staff),
        incident=Count("id", filter=Q(state=AlertState.INCIDENT) & ~staff),
        staff=Count("id", filter=staff),
    )
    about_staff = f"Alerts about members of staff: {staff_total(counts['staff']).text} (a total only)."
    if not counts["total"]:
        return ("No alerts about pupils, visitors or devices not identified this school year.", about_staff)
    return (
        f"{_plural(counts['total'], 'alert')} about pupils, visitors and devices not identified: "
        f"{counts['high']} high, {counts['medium']} medium, {counts['low']} low.",
        f"{_plural(counts['circumvention'], 'attempt')} to get round the filter; "
        f"{_plural(counts['locked'], 'attempt')} on illegal content.",
        f"{counts['incident']} led to an incident; {counts['waiting']} not looked at yet.",
        about_staff,
    )


def _incidents(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    counts = Incident.objects.filter(school=school, reported_at__gte=since, reported_at__lt=until).aggregate(
        pupils=Count("id", filter=Q(kind=IncidentKind.PUPIL) & ~Q(status=Status.ARCHIVED)),
        closed=Count("id", filter=Q(kind=IncidentKind.PUPIL, status=Status.CLOSED)),
        staff=Count("id", filter=Q(kind=IncidentKind.STAFF) & ~Q(status=Status.ARCHIVED)),
    )
    pupils, closed = counts["pupils"], counts["closed"]
    return (
        f"{_plural(pupils, 'incident')} about pupils recorded: {closed} closed, {pupils - closed} open.",
        f"Concerns about members of staff: {staff_total(counts['staff']).text} (a total only).",
    )


def _weekly(school: School, since: dt.datetime, until: dt.datetime) -> tuple[str, ...]:
    counts = WeeklyReport.objects.filter(
        school=school, created_at__gte=since, created_at__lt=until
    ).aggregate(
        made=Count("id"),
        sent=Count("id", filter=Q(state=ReportState.SENT)),
        failed=Count("id", filter=Q(state=ReportState.FAILED)),
        last=Max("sent_at"),
    )
    if not counts["made"]:
        return ("No weekly report made this school year.",)
    return (
        f"{_plural(counts['made'], 'report')} made, {counts['sent']} sent, "
        f"{counts['failed']} could not be sent.",
        f"Last sent {_when(counts['last'], school)}.",
    )


def _elsewhere(extra: int, webhook: bool) -> str:
    places = [_plural(extra, "other address", "other addresses")] if extra else []
    if webhook:
        places.append("a Teams or Slack channel")
    return f"Also to {' and '.join(places)}." if places else "To no other address or channel."


def _monitoring_settings(school: School) -> tuple[str, ...]:
    names = sorted(
        str(m.user)
        for m in Membership.objects.filter(
            school=school, role__in=(Role.DSL, Role.DEPUTY_DSL)
        ).select_related("user")
    )
    chosen = MonitoringSettings.objects.filter(school=school).first()
    extra = (
        0 if chosen is None else len([line for line in chosen.extra_recipients.splitlines() if line.strip()])
    )
    day = WEEKDAYS[chosen.report_weekday % 7] if chosen is not None else WEEKDAYS[0]
    hour = chosen.report_hour if chosen is not None else 7
    return (
        f"High alerts go at once to the DSL and deputies: {', '.join(names) or 'nobody holds these roles'}.",
        _elsewhere(extra, chosen is not None and bool(chosen.webhook_url)),
        f"The weekly report is sent on {day}s at {hour:02d}:00.",
    )


def _coverage_line(c: Coverage) -> str:
    """One line of coverage; not counted when it is of 1 or 2 people (a pupil alone in the school's
    secondary audience, a course for one member of staff): "0 of 1" would say what that one person
    has not done, to every governor."""
    if 0 < c.people < SMALL:
        return f"{c.label}: fewer than {SMALL} people, not counted here."
    return (
        f"{c.label}: {c.done} of {c.people}"
        + (f" ({c.percent}%)" if c.percent is not None else "")
        + (f", {c.missing} to go" if c.missing else "")
    )


def _coverage(lines: list[Coverage], none: str) -> tuple[str, ...]:
    if not lines:
        return (none,)
    return tuple(_coverage_line(c) for c in lines)


def gather(school: School, year: int, now: dt.datetime) -> Evidence:
    """The evidence Schoolgate holds for `school`'s review of school year `year`, up to `now`."""
    first, last, since, until = period(school, year, now)
    lines: dict[str, tuple[str, ...]] = {
        "roles": _roles(school),
        "selftest": _selftest(school, since, until),
        "policy": _policy(school, since, until),
        "requests": _requests(school, since, until),
        "alerts": _alerts(school, since, until),
        "incidents": _incidents(school, since, until),
        "weekly": _weekly(school, since, until),
        "monitoring-settings": _monitoring_settings(school),
        "training": _coverage(training_coverage(school, last), "No training courses are in use."),
        "agreements": _coverage(
            agreements_coverage(school, last), "No acceptable-use agreement is in force."
        ),
    }
    items = {key: Item(key, KEYS[key][0], lines[key], KEYS[key][1]) for key in KEYS}
    return Evidence(first, last, now, items)


def as_json(evidence: Evidence) -> dict[str, Any]:
    """The evidence as plain data, to keep in the review."""
    return {
        "start": evidence.start.isoformat(),
        "end": evidence.end.isoformat(),
        "gathered_at": evidence.gathered_at.isoformat(),
        "items": [
            {"key": i.key, "title": i.title, "lines": list(i.lines), "link": i.link}
            for i in evidence.items.values()
        ],
    }


def from_json(data: dict[str, Any]) -> Evidence:
    """The evidence kept in a review, as it was gathered."""
    items = {
        str(i["key"]): Item(str(i["key"]), str(i["title"]), tuple(str(x) for x in i["lines"]), str(i["link"]))
        for i in data.get("items", [])
    }
    return Evidence(
        dt.date.fromisoformat(data["start"]),
        dt.date.fromisoformat(data["end"]),
        dt.datetime.fromisoformat(data["gathered_at"]),
        items,
    )
