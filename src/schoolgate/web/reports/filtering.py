"""Filtering and monitoring in numbers, for the governors' report (what the DfE filtering and
monitoring standards ask governors to see): alerts by area and by severity, the categories most
blocked, attempts to get round the filter and on illegal content, and the filtering self-tests.

Each is counted for the term and the same term last year in one aggregate query, however many events
the term holds; the blocks from their daily counts (`rollup`), as a year of them is too many to count
at each view. What is about members of staff (their alerts, their blocks) is never broken down: their
alerts are one total (`counts.staff_total`) and their blocks are not counted, as the report's
concerns about staff are (`counts`, rule 2). The self-test's own alerts (about no person) are counted
with the self-tests, not among the alerts. Counts only: no user name, no address, no site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum

from schoolgate.monitoring.phrases import Area
from schoolgate.web.monitoring.choices import AlertKind, Severity, Subject
from schoolgate.web.monitoring.models import ActivityEvent, Alert
from schoolgate.web.monitoring.weekly import CIRCUMVENTION_CATEGORIES, area_label
from schoolgate.web.reports import rollup
from schoolgate.web.reports.counts import Breakdown, Row, cell, rows, staff_total
from schoolgate.web.reports.models import BlockCount
from schoolgate.web.reports.terms import today_at
from schoolgate.web.selftest.choices import Outcome as CheckOutcome
from schoolgate.web.selftest.choices import RunState
from schoolgate.web.selftest.models import SelfTestResult, SelfTestRun

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

Bounds = tuple[dt.datetime, dt.datetime]
STAFF_SUBJECTS = (Subject.STAFF, Subject.HEADTEACHER)
TOP_CATEGORIES = 10  # the blocked categories shown one by one; the rest are one row
NO_CATEGORY = "No category (a site or a rule of the school's own)"


@dataclass(frozen=True)
class Filtering:
    """The report's filtering and monitoring sections."""

    summary: Breakdown
    alert_areas: Breakdown
    alert_severities: Breakdown
    blocked: Breakdown
    selftests: Breakdown

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        return (self.summary, self.alert_areas, self.alert_severities, self.blocked, self.selftests)


def _between(field: str, bounds: Bounds) -> Q:
    return Q(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})


def tally_alerts(
    grouped: list[dict[str, object]],
) -> tuple[dict[str, list[int]], dict[str, list[int]], list[int], list[int]]:
    """Alerts grouped by subject, kind, area and severity (with "this" and "last" counts) as the
    report's tables: by area and by severity (about pupils and others, never staff), the total about
    staff, and the total of all the others. Pure, so that what it keeps from staff is tested by
    brute force."""
    areas: dict[str, list[int]] = {a.value: [0, 0] for a in Area} | {"": [0, 0]}
    severities: dict[str, list[int]] = {s: [0, 0] for s in Severity.values}
    staff, others = [0, 0], [0, 0]
    for group in grouped:
        counts = (int(str(group["this"])), int(str(group["last"])))
        if group["kind"] == AlertKind.SELFTEST:
            continue
        if group["subject"] in STAFF_SUBJECTS:
            staff = [staff[i] + counts[i] for i in (0, 1)]
            continue
        area, severity = str(group["area"] or ""), str(group["severity"])
        for i, n in enumerate(counts):
            others[i] += n
            areas.setdefault(area, [0, 0])[i] += n
            severities.setdefault(severity, [0, 0])[i] += n
    return areas, severities, staff, others


def _alerts(school: School, this: Bounds, last: Bounds) -> list[dict[str, object]]:
    in_this, in_last = _between("first_at", this), _between("first_at", last)
    return list(
        Alert.objects.filter(in_this | in_last, school=school)
        .values("subject", "kind", "area", "severity")
        .annotate(this=Count("pk", filter=in_this), last=Count("pk", filter=in_last))
        .order_by()
    )


def _blocks(school: School, this: Bounds, last: Bounds) -> tuple[dict[str, list[int]], list[int]]:
    """Blocks by category (not a locked list's: those are counted on their own, and their category
    would say what was tried), and the attempts on illegal content; staff's never counted. The days
    counted already (`rollup`) from their counts, the days since from the events (three queries)."""
    zone = this[0].tzinfo
    assert isinstance(zone, ZoneInfo)
    until = rollup.roll_up(school, today_at(school))
    counted = dt.datetime.combine(until, dt.time.min, tzinfo=zone)
    days_this = Q(day__gte=this[0].date(), day__lt=min(this[1].date(), until))
    days_last = Q(day__gte=last[0].date(), day__lt=min(last[1].date(), until))
    from_counts = (
        BlockCount.objects.filter(days_this | days_last, school=school)
        .values("category", "locked")
        .annotate(this=Sum("blocked", filter=days_this), last=Sum("blocked", filter=days_last))
        .order_by()
    )
    in_this = _between("at", (max(this[0], counted), this[1]))
    in_last = _between("at", (max(last[0], counted), last[1]))
    from_events = (
        ActivityEvent.objects.filter(in_this | in_last, school=school, blocked=True, at__gte=counted)
        .exclude(subject__in=STAFF_SUBJECTS)
        .values("category", "locked")
        .annotate(this=Count("pk", filter=in_this), last=Count("pk", filter=in_last))
        .order_by()
    )
    categories: dict[str, list[int]] = {}
    locked = [0, 0]
    for group in [*from_counts, *from_events]:
        counts = (group["this"] or 0, group["last"] or 0)
        if group["locked"]:
            locked = [locked[i] + counts[i] for i in (0, 1)]
            continue
        found = categories.setdefault(group["category"] or "", [0, 0])
        found[0] += counts[0]
        found[1] += counts[1]
    return {c: n for c, n in categories.items() if n != [0, 0]}, locked


def _selftests(school: School, this: Bounds, last: Bounds) -> dict[str, tuple[int, int]]:
    """Runs finished in the term by how they ended, and the checks not as expected (two queries)."""
    in_this, in_last = _between("finished_at", this), _between("finished_at", last)
    runs = (
        SelfTestRun.objects.filter(in_this | in_last, school=school)
        .values("state")
        .annotate(this=Count("pk", filter=in_this), last=Count("pk", filter=in_last))
        .order_by()
    )
    found = {r["state"]: (r["this"], r["last"]) for r in runs}
    at_this, at_last = _between("at", this), _between("at", last)
    checks = SelfTestResult.objects.filter(
        at_this | at_last, run__school=school, outcome=CheckOutcome.FAILED
    ).aggregate(this=Count("pk", filter=at_this), last=Count("pk", filter=at_last))
    states = (RunState.PASSED, RunState.FAILED, RunState.INCOMPLETE)
    total = tuple(sum(found.get(s, (0, 0))[i] for s in states) for i in (0, 1))
    return {
        "runs": (total[0], total[1]),
        **{s.value: found.get(s, (0, 0)) for s in states},
        "checks": (checks["this"] or 0, checks["last"] or 0),
    }


def _top(categories: dict[str, list[int]]) -> tuple[list[str], list[tuple[int, int]]]:
    """The categories most blocked this term (then last year), one row each, and the rest as one."""
    order = sorted(categories, key=lambda c: (-categories[c][0], -categories[c][1], c))
    top, rest = order[:TOP_CATEGORIES], order[TOP_CATEGORIES:]
    labels = [c or NO_CATEGORY for c in top]
    counts = [(categories[c][0], categories[c][1]) for c in top]
    if rest:
        labels.append(f"All other categories ({len(rest)})")
        counts.append((sum(categories[c][0] for c in rest), sum(categories[c][1] for c in rest)))
    return labels, counts


def build(school: School, this: Bounds, last: Bounds) -> Filtering:
    """The filtering and monitoring sections for the term `this` against `last` (five queries)."""
    areas, severities, staff, others = tally_alerts(_alerts(school, this, last))
    categories, locked = _blocks(school, this, last)
    circumvention = [sum(categories.get(c, [0, 0])[i] for c in CIRCUMVENTION_CATEGORIES) for i in (0, 1)]
    blocked = [sum(v[i] for v in categories.values()) for i in (0, 1)]
    tests = _selftests(school, this, last)
    labels, top = _top(categories)
    severity_labels = dict(Severity.choices)
    return Filtering(
        summary=Breakdown(
            "Filtering and monitoring",
            "What the filter blocked and what the monitoring raised, in the term",
            "What",
            (
                Row(
                    "Requests blocked by the filter (pupils and devices not identified)",
                    cell(blocked[0]),
                    cell(blocked[1]),
                ),
                Row(
                    "Attempts to get round the filter (VPNs, proxies, DNS over HTTPS)",
                    cell(circumvention[0]),
                    cell(circumvention[1]),
                ),
                Row(
                    "Attempts to reach illegal content (blocked by the locked lists)",
                    cell(locked[0]),
                    cell(locked[1]),
                ),
                Row(
                    "Alerts about pupils, visitors and devices not identified",
                    cell(others[0]),
                    cell(others[1]),
                ),
                Row("Alerts about members of staff", staff_total(staff[0]), staff_total(staff[1])),
            ),
            note="Blocks of members of staff are not counted here, and their alerts are one total, "
            "never broken down: so few could identify the person.",
        ),
        alert_areas=Breakdown(
            "Alerts by area of risk",
            "Alerts about pupils, visitors and devices not identified, by the area of risk they raised",
            "Area",
            rows(
                [area_label(a) for a in areas],
                [(c[0], c[1]) for c in areas.values()],
            ),
            note="Alerts of a blocked category, of getting round the filter or of repeated blocks "
            "have no risk area.",
            chart=True,
        ),
        alert_severities=Breakdown(
            "Alerts by severity",
            "The same alerts by how soon they were told: high at once, medium the same day, low weekly",
            "Severity",
            rows(
                [severity_labels.get(s, s) for s in severities],
                [(c[0], c[1]) for c in severities.values()],
            ),
            chart=True,
        ),
        blocked=Breakdown(
            "Blocked categories",
            f"The {TOP_CATEGORIES} categories the filter blocked most in the term (pupils and "
            "devices not identified)",
            "Category",
            rows(labels, top),
            note="Counted in requests blocked: one visit to a blocked page can be several requests.",
            chart=bool(labels),
        ),
        selftests=Breakdown(
            "Filtering self-tests",
            "The filtering self-test runs finished in the term, and what they found",
            "Self-tests",
            rows(
                (
                    "Runs",
                    "Passed: everything as expected",
                    "Failed: something not as expected",
                    "Could not check everything",
                    "Checks not as expected, in all the runs",
                ),
                [tests[k] for k in ("runs", "passed", "failed", "incomplete", "checks")],
            ),
            note="Each run checks, for each group, that what must be blocked is blocked and what "
            "must be open is open, through the proxy and the DNS.",
        ),
    )
