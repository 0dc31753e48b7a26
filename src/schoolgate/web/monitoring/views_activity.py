"""The activity part's pages: the activity log (events and sites visited), a person's timeline, the
CSV export, pupils' review requests, the school's risk phrases and the check page.

Whose activity a user reads is decided once, by `access.activity_subjects` (the incident rules: staff
activity to the headteacher, and so on); the filters only narrow it. The address of an attempt on a
locked list is shown only to `access.sees_locked` (the DSL): everyone else reads that there was one.
Lists are bounded by time and paged without a total ("next page"), so that they stay quick on a month
of a large school's traffic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from schoolgate.monitoring import terms
from schoolgate.monitoring.phrases import GRADES, Area, Audience, Severity
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import record
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.views import GET_POST, PER_PAGE, paginate, posted, render_page
from schoolgate.web.monitoring import access, phrasebook
from schoolgate.web.monitoring.apps import ACTIVITY_READERS, CHECKERS
from schoolgate.web.monitoring.choices import ReviewState
from schoolgate.web.monitoring.export import EXPORT_MAX, WITHHELD, csv_lines
from schoolgate.web.monitoring.filters import (
    KINDS,
    MAX_DAYS,
    VERDICTS,
    ActivityFilter,
    VisitFilter,
    day_bounds,
    plausible,
    zone_of,
)
from schoolgate.web.monitoring.forms_activity import (
    AREA_LABELS,
    AUDIENCE_LABELS,
    AddPhraseForm,
    CheckForm,
    ExportForm,
    RegradeForm,
    RemoveForm,
    RestoreForm,
    area_label,
)
from schoolgate.web.monitoring.models import ActivityEvent, Alert, HourlyVisit, ReviewRequest
from schoolgate.web.people.models import ClassGroup, Person, YearGroup

# Pages past this are not offered: narrow the filters instead (an offset this deep is slow).
PAGES_MAX = 200
LANGUAGES = {
    "en": "English",
    "pl": "Polish",
    "ur": "Urdu",
    "pa": "Punjabi",
    "bn": "Bengali",
    "ro": "Romanian",
    "ar": "Arabic",
    "": "the school's",
}


@dataclass
class Window:
    """One page of a list without its total: counting millions of rows to say "page 3 of 40,000" is
    what makes a large log slow. Only whether there is a next page is known."""

    rows: list[Any]
    number: int
    has_next: bool
    query: str = ""

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def window(request: HttpRequest, queryset: QuerySet[Any], per_page: int = PER_PAGE) -> Window:
    """The page of `queryset` that `?page=` asks for (the first for anything that is not a page
    number); one more row is read than shown, to know whether there is a next page."""
    given = str(request.GET.get("page", ""))
    number = int(given) if given.isascii() and given.isdigit() and 0 < len(given) < 5 else 1
    number = min(max(number, 1), PAGES_MAX)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    others = request.GET.copy()
    others.pop("page", None)
    has_next = len(rows) > per_page and number < PAGES_MAX
    return Window(rows[:per_page], number, has_next, others.urlencode())


def _subjects(request: StaffRequest) -> frozenset[str]:
    return access.activity_subjects(request.user, request.school)


def _events(request: StaffRequest) -> QuerySet[ActivityEvent]:
    return access.restrict(ActivityEvent.objects.all(), request.school, _subjects(request))


def _visits(request: StaffRequest) -> QuerySet[HourlyVisit]:
    return access.restrict(HourlyVisit.objects.all(), request.school, _subjects(request))


def _choices(request: StaffRequest) -> dict[str, Any]:
    school = request.school
    return {
        "kinds": KINDS,
        "verdicts": VERDICTS,
        "years": YearGroup.objects.filter(school=school).order_by("order", "name"),
        "classes": ClassGroup.objects.filter(school=school).order_by("name"),
        "max_days": MAX_DAYS,
        "withheld": WITHHELD,
        "sees_locked": access.sees_locked(request.user, school),
    }


def _activity_filter(request: StaffRequest) -> ActivityFilter:
    filters = ActivityFilter(
        request.GET,
        _events(request),
        school=request.school,
        sees_locked=access.sees_locked(request.user, request.school),
    )
    if filters.not_found():
        raise Http404("no such year group or class at this school")
    return filters


def _ordered_events(events: QuerySet[ActivityEvent]) -> QuerySet[ActivityEvent]:
    return events.select_related("person", "person__year_group", "person__class_group").order_by("-at", "-pk")


# ---------------------------------------------------------------------------------------------------
# The activity log


@staff_view(ACTIVITY_READERS)
@require_GET
def activity_view(request: StaffRequest) -> HttpResponse:
    """Searches, blocks and flags, newest first, filtered."""
    with timezone.override(zone_of(request.school)):
        filters = _activity_filter(request)
        page = window(request, _ordered_events(filters.qs))
        context = {"page": page, "tab": "events", **filters.chosen(), **_choices(request)}
        return render_page(request, "monitoring/activity_list.html", context)


@staff_view(ACTIVITY_READERS)
@require_GET
def visits_view(request: StaffRequest) -> HttpResponse:
    """Sites visited (allowed traffic, counted per person, site and hour), newest hour first."""
    with timezone.override(zone_of(request.school)):
        filters = VisitFilter(
            request.GET,
            _visits(request),
            school=request.school,
            sees_locked=access.sees_locked(request.user, request.school),
        )
        if filters.not_found():
            raise Http404("no such year group or class at this school")
        visits = filters.qs.select_related("person", "person__year_group", "person__class_group")
        page = window(request, visits.order_by("-hour", "-requests", "pk"))
        context = {"page": page, "tab": "visits", **filters.chosen(), **_choices(request)}
        return render_page(request, "monitoring/activity_visits.html", context)


# ---------------------------------------------------------------------------------------------------
# A person's timeline


@dataclass(frozen=True)
class Moment:
    """One thing on a timeline: an event, an hour's visits to a site, or an alert."""

    at: dt.datetime
    kind: str
    item: Any
    url: str = ""


def _alert_url(pk: int) -> str:
    return reverse("monitoring:alert", kwargs={"pk": pk})


def _day(request: HttpRequest, zone: dt.tzinfo) -> dt.date:
    """The day asked for (`?day=YYYY-MM-DD`), or today for anything else, a year outside `YEARS` too."""
    given = str(request.GET.get("day", ""))[:10]
    try:
        day = dt.date.fromisoformat(given)
    except ValueError:
        day = None
    return day if day is not None and plausible(day) else dt.datetime.now(zone).date()


@staff_view(ACTIVITY_READERS)
@GET_POST
def timeline_view(request: StaffRequest, pk: int) -> HttpResponse:
    """One person's day: their searches, blocks, flags, alerts and sites visited, in the order they
    happened. Only for someone whose activity the user may read (the incident rules); anyone else's
    is not found. Each row is also held to whom it was about when it was recorded (as in the log): a
    person who was a member of staff then, or became the headteacher since, shows only what the
    user could read of them in the log."""
    school = request.school
    person = get_object_or_404(
        Person.objects.filter(school=school).select_related("year_group", "class_group"), pk=pk
    )
    subject = access.subject_of(person, access.headteachers(school))
    subjects = _subjects(request)
    if subject not in subjects:
        raise Http404("no such person whose activity you may read")
    zone = zone_of(school)
    with timezone.override(zone):
        day = _day(request, zone)
        start, end = day_bounds(day, zone)
        # Who read a person's day is kept, as for a record of the online safety log.
        record(AuditAction.VIEW, obj=person, reason=f"activity timeline of {day:%Y-%m-%d}")
        events = access.restrict(ActivityEvent.objects.filter(person=person), school, subjects)
        events = events.filter(at__gte=start, at__lt=end, superseded=False)
        visits = access.restrict(HourlyVisit.objects.filter(person=person), school, subjects)
        visits = visits.filter(hour__gte=start, hour__lt=end)
        moments = [Moment(e.at, "event", e) for e in events.order_by("at", "pk")[:2000]]
        moments += [Moment(v.hour, "visit", v) for v in visits.order_by("hour", "site")[:2000]]
        alert_subjects = access.alert_subjects(request.user, school)
        if subject in alert_subjects:
            alerts = access.restrict(Alert.objects.filter(person=person), school, alert_subjects)
            alerts = alerts.filter(last_at__gte=start, first_at__lt=end).order_by("first_at")
            moments += [Moment(a.first_at, "alert", a, _alert_url(a.pk)) for a in alerts[:200]]
        moments.sort(key=lambda m: (m.at, {"alert": 0, "event": 1, "visit": 2}[m.kind]))
        context = {
            "person": person,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "today": dt.datetime.now(zone).date(),
            "moments": moments,
            "sees_locked": access.sees_locked(request.user, school),
            "withheld": WITHHELD,
        }
        return render_page(request, "monitoring/activity_timeline.html", context)


# ---------------------------------------------------------------------------------------------------
# Export


def _filters_said(chosen: dict[str, Any]) -> dict[str, str]:
    """The filters as the audit trail keeps them: what was asked for, in plain values."""
    said = {
        k: str(v)
        for k, v in chosen.items()
        if k not in ("start", "end", "group_chosen") and v not in ("", None, False)
    }
    said["from"] = chosen["start"].isoformat(timespec="minutes")
    said["to"] = chosen["end"].isoformat(timespec="minutes")
    return said


@staff_view(ACTIVITY_READERS)
@GET_POST
def export_view(request: StaffRequest) -> HttpResponse:
    """The current filters' rows as CSV, once the reason is given: who exported which rows and why is
    written to the audit trail before the first row leaves."""
    school = request.school
    zone = zone_of(school)
    with timezone.override(zone):
        filters = _activity_filter(request)
        chosen = filters.chosen()
        form = ExportForm(posted(request))
        if request.method == "POST" and form.is_valid():
            sees_locked = access.sees_locked(request.user, school)
            said = _filters_said(chosen)
            with transaction.atomic():
                record(
                    AuditAction.VIEW,
                    school=school,
                    object_type="monitoring.activityevent",
                    object_repr=f"Activity log exported as CSV (at most {EXPORT_MAX:,} rows)",
                    after={"export": "csv", "filters": said, "cap": EXPORT_MAX},
                    reason=" ".join(form.cleaned_data["reason"].split()),
                )
            rows = _ordered_events(filters.qs)
            name = f"activity-{school.slug}-{chosen['start']:%Y%m%d-%H%M}.csv"
            response = StreamingHttpResponse(
                csv_lines(rows, sees_locked=sees_locked, zone=zone), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "no-store"
            return cast(HttpResponse, response)  # streamed: not an HttpResponse
        context = {
            "form": form,
            "query": request.GET.urlencode(),
            "cap": f"{EXPORT_MAX:,}",
            **chosen,
            **_choices(request),
        }
        return render_page(request, "monitoring/activity_export.html", context)


# ---------------------------------------------------------------------------------------------------
# Review requests


def _reviews(request: StaffRequest) -> QuerySet[ReviewRequest]:
    return ReviewRequest.objects.filter(school=request.school)


@staff_view(Capability.REVIEWS_VIEW)
@require_GET
def reviews_view(request: StaffRequest) -> HttpResponse:
    """Pupils' requests from the block page, newest first."""
    with timezone.override(zone_of(request.school)):
        reviews = _reviews(request).select_related("person").order_by("-received_at", "-pk")
        state = str(request.GET.get("state", ""))
        if state in ReviewState.values:
            reviews = reviews.filter(state=state)
        context = {
            "page": paginate(request, reviews),
            "state": state,
            "states": ReviewState.choices,
            "sees_locked": access.sees_locked(request.user, request.school),
            "withheld": WITHHELD,
        }
        return render_page(request, "monitoring/activity_reviews.html", context)


REVIEW_TYPE = "monitoring.reviewrequest"


@staff_view(Capability.REVIEWS_VIEW)
@GET_POST
def review_view(request: StaffRequest, pk: int) -> HttpResponse:
    """One request as it was sent. Opening it marks it seen, and the first opening by each user is
    written to the audit trail, which is where the page reads who has seen it."""
    review = get_object_or_404(_reviews(request).select_related("person"), pk=pk)
    seen = AuditEntry.objects.filter(
        object_type=REVIEW_TYPE, object_id=str(review.pk), action=AuditAction.VIEW
    )
    if not seen.filter(actor=request.user).exists() or review.state == ReviewState.NEW:
        with transaction.atomic():
            if review.state == ReviewState.NEW:
                review.state = ReviewState.SEEN
                review.save(update_fields=("state",))
            if not seen.filter(actor=request.user).exists():
                record(AuditAction.VIEW, obj=review, reason="review request opened")
    with timezone.override(zone_of(request.school)):
        context = {
            "review": review,
            "seen_by": seen.select_related("actor").order_by("at"),
            "sees_locked": access.sees_locked(request.user, request.school),
            "withheld": WITHHELD,
            "locked": review.reason == "locked-list",
        }
        return render_page(request, "monitoring/activity_review.html", context)


# ---------------------------------------------------------------------------------------------------
# Risk phrases


_AUDIENCE_NAMES = {
    Audience.KS1: "Key Stage 1",
    Audience.KS2: "Key Stage 2",
    Audience.KS3: "Key Stage 3",
    Audience.KS4: "Key Stage 4",
    Audience.KS5: "the sixth form",
    Audience.PUPIL: "pupils whose year group is not known",
    Audience.STAFF: "staff",
    Audience.GUEST: "guests",
    Audience.UNKNOWN: "users the filter could not identify",
}


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def thresholds() -> list[tuple[str, list[str]]]:
    """The phrase module's age thresholds in words, per area, read from its table (`GRADES`): for
    each group of audiences graded alike, what a phrase of each severity becomes for them, where it is
    not as written."""
    out = []
    for area in Area:
        groups: dict[tuple[tuple[Severity, Severity | None], ...], list[str]] = {}
        for audience, grades in GRADES[area].items():
            changes = tuple((sev, to) for sev, to in grades.items() if to != sev)
            if changes:
                groups.setdefault(changes, []).append(_AUDIENCE_NAMES[audience])
        sentences = []
        for changes, audiences in groups.items():
            becomes: dict[Severity | None, list[str]] = {}
            for sev, to in changes:
                becomes.setdefault(to, []).append(sev.value)
            said = []
            for to, sevs in becomes.items():
                what = "only logged" if to is None else to.value
                said.append(
                    f"a {sevs[0]} phrase is {what}"
                    if len(sevs) == 1
                    else f"{_joined(sevs)} phrases are {what}"
                )
            sentences.append(f"for {_joined(audiences)}, {_joined(said)}")
        out.append((area_label(area), sentences))
    return out


@staff_view(Capability.PHRASES_CHANGE)
@GET_POST
def phrases_view(request: StaffRequest) -> HttpResponse:
    """The school's library by area, and the form to add a phrase of its own."""
    school = request.school
    form = AddPhraseForm(posted(request), prefix="add")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = phrasebook.do_add_phrase(
                school,
                actor=request.user,
                phrase=data["phrase"],
                area=data["area"],
                severity=data["severity"],
                reason=data["reason"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"“{row.phrase}” is looked for from now on.")
            return redirect("monitoring:phrases")
    entries = phrasebook.entries(school)
    areas: dict[str, list[phrasebook.Entry]] = {}
    for entry in entries:
        areas.setdefault(entry.area.value, []).append(entry)
    context = {
        "form": form,
        "areas": [(AREA_LABELS.get(a, a), a, rows) for a, rows in areas.items()],
        "changed": sum(1 for e in entries if e.change is not None),
        "thresholds": thresholds(),
        "languages": LANGUAGES,
    }
    return render_page(request, "monitoring/activity_phrases.html", context)


@staff_view(Capability.PHRASES_CHANGE)
@GET_POST
def phrase_view(request: StaffRequest, text: str) -> HttpResponse:
    """One phrase: its area, severity and language, the school's change with who made it and why,
    what it becomes for each audience, and the forms to re-grade, remove or restore it."""
    school = request.school
    entry = phrasebook.entry(school, text)
    if entry is None:
        raise Http404("no such phrase in the school's library")
    op = str(request.POST.get("op", "")) if request.method == "POST" else ""
    regrade = RegradeForm(posted(request) if op == "regrade" else None, prefix="regrade")
    remove = RemoveForm(posted(request) if op == "remove" else None, prefix="remove")
    restore = RestoreForm(posted(request) if op == "restore" else None, prefix="restore")
    forms_by_op: dict[str, Any] = {"regrade": regrade, "remove": remove, "restore": restore}
    form = forms_by_op.get(op)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if op == "regrade":
                phrasebook.do_regrade_phrase(
                    school,
                    actor=request.user,
                    phrase=entry.text,
                    severity=data["severity"],
                    reason=data["reason"],
                )
                said = f"“{entry.text}” is {data['severity']} from now on."
            elif op == "remove":
                phrasebook.do_remove_phrase(
                    school, actor=request.user, phrase=entry.text, reason=data["reason"]
                )
                said = f"“{entry.text}” is no longer looked for."
            else:
                phrasebook.do_restore_phrase(
                    school, actor=request.user, phrase=entry.text, reason=data["reason"]
                )
                said = f"“{entry.text}” is looked for as shipped."
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, said)
            if phrasebook.entry(school, entry.text) is None:
                return redirect("monitoring:phrases")
            return redirect("monitoring:phrase", text=entry.text)
    grades = GRADES[entry.area]
    by_audience = [(AUDIENCE_LABELS[a], grades[a][entry.severity]) for a in Audience]
    context = {
        "entry": entry,
        "area": area_label(entry.area),
        "language": LANGUAGES.get(entry.language, entry.language),
        "by_audience": by_audience,
        "regrade": regrade,
        "remove": remove,
        "restore": restore,
    }
    return render_page(request, "monitoring/activity_phrase.html", context)


# ---------------------------------------------------------------------------------------------------
# The check page


@staff_view(CHECKERS)
@GET_POST
def check_view(request: StaffRequest) -> HttpResponse:
    """What the monitoring makes of an address (the search engine and term) and of a text (the risk
    phrases found, with the school's library, for the audience chosen): the page twin of
    `schoolgate monitor term` and `scan`. Sent by POST, so that what is typed stays out of the
    address bar, the browser's history and the web server's log."""
    form = CheckForm(request.POST if request.method == "POST" else None)
    result: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        audience = Audience(data["audience"])
        library = phrasebook.library_for(request.school)
        if data["url"]:
            found = terms.classify(data["url"])
            result["url"] = found
            if found.term:
                result["term_matches"] = library.scan(found.term, audience)
        if data["text"]:
            result["text_matches"] = library.scan(data["text"], audience)
        result["audience"] = AUDIENCE_LABELS[audience]
    context = {"form": form, "result": result, "area_labels": AREA_LABELS}
    return render_page(request, "monitoring/activity_check.html", context)
