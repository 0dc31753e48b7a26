"""The governors' report: the online safety log counted by term, against the same term last year, with
nothing in it that could point to a child or a member of staff.

What it counts: the school's incidents that happened in the term (by `occurred_at`, in the school's time
zone), archived ones (raised in error) left out. Pupil incidents are broken down by area of risk, by
type, by where they stood at the end of the term (the outcome of those closed by then, or still open),
by the actions taken and by the referrals made. Concerns about members of staff are one line, never
broken down: so few of them would name the person.

What it never holds: a name, an incident's reference, a date of one incident, or any of the free text.
The counts leave this module only as `counts.Cell`s, which carry what may be shown and nothing else.

Actions and referrals are counted as the incidents in which they were taken or made: an incident can
have several, or none.

Filter change requests (the log's own list beside the incidents) are counted too: asked in the term,
approved, refused, and lesson unblocks teachers made without approval, decided in the term; and those
asked by kind, which add up to the asked. Counts only: no site, no requester. The filtering and
monitoring sections are `filtering`'s; training and agreement coverage, `coverage`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from schoolgate.web.filterrequests.choices import RequestKind, RequestState
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.incidents.choices import (
    Agency,
    IncidentKind,
    IncidentType,
    Outcome,
    RiskArea,
    Status,
)
from schoolgate.web.incidents.models import ActionTaken, Incident, Referral
from schoolgate.web.reports import coverage, filtering
from schoolgate.web.reports.counts import Breakdown, Row, cell, rows, staff_total
from schoolgate.web.reports.terms import Calendar, Term, school_zone

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School


@dataclass(frozen=True)
class GovernorsReport:
    school_name: str
    term: Term
    last: Term
    made_at: dt.datetime
    ended: bool  # has the term ended (if not, its counts are so far)
    pupils: Row
    staff: Row
    still_open: Row
    areas: Breakdown
    types: Breakdown
    outcomes: Breakdown
    actions: Breakdown
    referrals: Breakdown
    requests: Breakdown
    request_kinds: Breakdown
    filtering: filtering.Filtering
    coverage: tuple[Breakdown, ...] = ()

    @property
    def incident_breakdowns(self) -> tuple[Breakdown, ...]:
        return (self.areas, self.types, self.outcomes, self.actions, self.referrals)

    @property
    def breakdowns(self) -> tuple[Breakdown, ...]:
        """Every table after the summary, in the order the page and the PDF show them."""
        return (
            *self.incident_breakdowns,
            self.requests,
            self.request_kinds,
            *self.filtering.breakdowns,
            *self.coverage,
        )

    @property
    def headline(self) -> tuple[Row, ...]:
        return (self.pupils, self.staff, self.still_open)


OPEN_LABEL = "Still open at the end of the term"
OPEN_NOW_LABEL = "Still open now (last year: at the end of the term)"


def _in(term_bounds: tuple[dt.datetime, dt.datetime], prefix: str = "") -> Q:
    start, end = term_bounds
    return Q(**{f"{prefix}occurred_at__gte": start, f"{prefix}occurred_at__lt": end})


def _between(field: str, bounds: tuple[dt.datetime, dt.datetime]) -> Q:
    return Q(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})


def _requests(
    school: School, this_bounds: tuple[dt.datetime, dt.datetime], last_bounds: tuple[dt.datetime, dt.datetime]
) -> tuple[Breakdown, Breakdown]:
    """The filter change requests of the term and the same term last year (one query)."""
    asked_this, asked_last = _between("asked_at", this_bounds), _between("asked_at", last_bounds)
    decided_this, decided_last = _between("decided_at", this_bounds), _between("decided_at", last_bounds)
    approved = Q(state=RequestState.APPROVED, without_approval=False)
    refused = Q(state=RequestState.REFUSED)
    own = Q(state=RequestState.APPROVED, without_approval=True)
    by_kind = (
        FilterRequest.objects.filter(asked_this | asked_last | decided_this | decided_last, school=school)
        .values("kind")
        .annotate(
            asked_this=Count("pk", filter=asked_this),
            asked_last=Count("pk", filter=asked_last),
            approved_this=Count("pk", filter=decided_this & approved),
            approved_last=Count("pk", filter=decided_last & approved),
            refused_this=Count("pk", filter=decided_this & refused),
            refused_last=Count("pk", filter=decided_last & refused),
            own_this=Count("pk", filter=decided_this & own),
            own_last=Count("pk", filter=decided_last & own),
        )
        .order_by()
    )
    names = ("asked", "approved", "refused", "own")
    totals = {f"{n}_{t}": 0 for n in names for t in ("this", "last")}
    kinds: dict[str, tuple[int, int]] = dict.fromkeys(RequestKind.values, (0, 0))
    for row in by_kind:
        for key in totals:
            totals[key] += row[key]
        kinds[row["kind"]] = (row["asked_this"], row["asked_last"])
    labels = ("Asked", "Approved", "Refused", "Lesson unblocks made by teachers without approval")
    kind_labels = dict(RequestKind.choices)
    return (
        Breakdown(
            "Filter change requests",
            "Requests to change the filtering: asked in the term, and decided in it",
            "Requests",
            rows(labels, [(totals[f"{n}_this"], totals[f"{n}_last"]) for n in names]),
            note="Approved, refused and unblocked by a teacher count the decisions made in the term, "
            "some on requests asked the term before. Teachers may unblock a site for their own class "
            "for one lesson without approval only where the school allows it.",
        ),
        Breakdown(
            "Filter change requests by kind",
            "Requests asked in the term by what they asked for",
            "What was asked",
            rows([kind_labels.get(k, k) for k in kinds], list(kinds.values())),
            chart=True,
        ),
    )


def tally_incidents(
    grouped: list[dict[str, object]],
) -> tuple[
    list[int], list[int], dict[str, list[int]], dict[str, list[int]], dict[str, list[int]], tuple[int, int]
]:
    """Incidents grouped by kind, area, type and outcome (with this and last year's counts, and how
    many of them were closed by the end of each term) as the report's numbers: about staff (a total
    only), about pupils, by area, by type, by outcome, and still open. Pure, so that what it keeps from
    the concerns about staff is tested by brute force."""
    staff, pupils, closed = [0, 0], [0, 0], [0, 0]
    areas: dict[str, list[int]] = {a: [0, 0] for a in RiskArea.values}
    types: dict[str, list[int]] = {t: [0, 0] for t in IncidentType.values}
    outcomes: dict[str, list[int]] = {o: [0, 0] for o in Outcome.values}
    for group in grouped:
        counts = (int(str(group["this"])), int(str(group["last"])))
        if group["kind"] == IncidentKind.STAFF:
            staff = [staff[i] + counts[i] for i in (0, 1)]
            continue
        for i, n in enumerate(counts):
            pupils[i] += n
            areas.setdefault(str(group["risk_area"]), [0, 0])[i] += n
            types.setdefault(str(group["incident_type"]), [0, 0])[i] += n
        for i, n in enumerate((int(str(group["this_closed"])), int(str(group["last_closed"])))):
            if n:
                closed[i] += n
                outcomes.setdefault(str(group["outcome"]), [0, 0])[i] += n
    open_at_end = (pupils[0] - closed[0], pupils[1] - closed[1])
    return staff, pupils, areas, types, outcomes, open_at_end


def build(
    school: School, term: Term, *, now: dt.datetime | None = None, calendar: Calendar | None = None
) -> GovernorsReport:
    """Count the school's online safety log, its filtering and monitoring, and its training and
    agreements for `term` and the same term last year, in the database (a dozen aggregate queries,
    however many records)."""
    zone = school_zone(school)
    now = (now or timezone.now()).astimezone(zone)
    last = (calendar or Calendar.of(school)).last_year(term)
    this_bounds, last_bounds = term.bounds(zone), last.bounds(zone)
    in_this, in_last = _in(this_bounds), _in(last_bounds)

    # 1. The incidents, by kind, area, type and outcome; "closed" only where closed by the term's end
    # (reopening clears `closed_at`, so a reopened incident counts as open).
    grouped = list(
        Incident.objects.filter(in_this | in_last, school=school)
        .exclude(status=Status.ARCHIVED)
        .values("kind", "risk_area", "incident_type", "outcome")
        .annotate(
            this=Count("pk", filter=in_this),
            last=Count("pk", filter=in_last),
            this_closed=Count("pk", filter=in_this & Q(status=Status.CLOSED, closed_at__lt=this_bounds[1])),
            last_closed=Count("pk", filter=in_last & Q(status=Status.CLOSED, closed_at__lt=last_bounds[1])),
        )
        .order_by()
    )
    staff, pupils, areas, types, outcomes, open_at_end = tally_incidents(grouped)

    # 2 and 3. Actions and referrals in pupil incidents: in how many incidents each was taken or made.
    about_pupils = Q(incident__school=school, incident__kind=IncidentKind.PUPIL) & ~Q(
        incident__status=Status.ARCHIVED
    )
    in_this, in_last = _in(this_bounds, "incident__"), _in(last_bounds, "incident__")
    by_term = {
        "this": Count("incident", distinct=True, filter=in_this),
        "last": Count("incident", distinct=True, filter=in_last),
    }
    taken = (
        ActionTaken.objects.filter(about_pupils, in_this | in_last, school=school)
        .values("action_id", "action__name", "action__order")
        .annotate(**by_term)
        .order_by("action__order", "action_id")
    )
    actions = [(a["action__name"], (a["this"], a["last"])) for a in taken]
    referred: dict[str, tuple[int, int]] = dict.fromkeys(Agency.values, (0, 0))
    made = (
        Referral.objects.filter(about_pupils, in_this | in_last, school=school)
        .values("agency")
        .annotate(**by_term)
        .order_by()
    )
    for r in made:
        referred[r["agency"]] = (r["this"], r["last"])

    labels = (
        dict(RiskArea.choices) | dict(IncidentType.choices) | dict(Outcome.choices) | dict(Agency.choices)
    )
    ended = now >= this_bounds[1]
    requests, request_kinds = _requests(school, this_bounds, last_bounds)
    # "Still open" comes first: it is the one governors look for.
    outcome_rows = rows(
        [OPEN_LABEL if ended else OPEN_NOW_LABEL, *(labels.get(o, o) for o in outcomes)],
        [open_at_end, *((c[0], c[1]) for c in outcomes.values())],
    )
    return GovernorsReport(
        school_name=school.name,
        term=term,
        last=last,
        made_at=now,
        ended=ended,
        pupils=Row("Incidents about pupils", cell(pupils[0]), cell(pupils[1])),
        staff=Row("Concerns about members of staff", staff_total(staff[0]), staff_total(staff[1])),
        still_open=outcome_rows[0],
        areas=Breakdown(
            "Areas of risk",
            "Incidents about pupils by area of risk",
            "Area of risk",
            rows([labels.get(a, a) for a in areas], [(c[0], c[1]) for c in areas.values()]),
            chart=True,
        ),
        types=Breakdown(
            "Types of incident",
            "Incidents about pupils by type",
            "Type",
            rows([labels.get(t, t) for t in types], [(c[0], c[1]) for c in types.values()]),
            chart=True,
        ),
        outcomes=Breakdown(
            "Outcomes",
            "Incidents about pupils by where they stood at the end of the term",
            "Outcome",
            outcome_rows,
            note="Those still open at the end of the term, and those closed by then, by their outcome."
            + ("" if ended else " This term has not ended yet: still open now."),
            chart=True,
        ),
        actions=Breakdown(
            "Actions taken",
            "Incidents about pupils in which each action was taken",
            "Action",
            rows([name for name, _ in actions], [c for _, c in actions]),
            note="An incident may have had several of these actions, or none.",
        ),
        referrals=Breakdown(
            "Referrals",
            "Incidents about pupils referred to each agency",
            "Agency",
            rows([labels.get(a, a) for a in referred], list(referred.values())),
            note="An incident may have been referred to more than one agency, or to none.",
        ),
        requests=requests,
        request_kinds=request_kinds,
        filtering=filtering.build(school, this_bounds, last_bounds),
        coverage=coverage.build(school, term, now.date()),
    )
