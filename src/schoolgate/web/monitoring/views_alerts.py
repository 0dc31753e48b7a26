"""The alert inbox, an alert's page, and what can be done with one.

Alerts come through `access.restrict` with the user's `access.alert_subjects` (one about someone the
user's roles do not open is not found, never forbidden); the address of an attempt on a locked list
only for `access.sees_locked`; the person's other activity around the alert with the activity log's
own restriction (`access.activity_subjects`). Changes go through `actions`, which check again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import ReasonForm
from schoolgate.web.core.views import GET_POST, form_page, paginate, posted, render_page, say_and_go
from schoolgate.web.monitoring import access, actions
from schoolgate.web.monitoring.apps import ALERT_READERS
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Severity
from schoolgate.web.monitoring.models import ActivityEvent, Alert, HourlyVisit

AROUND = dt.timedelta(minutes=30)  # the person's other activity: this long before and after the alert
EVENTS_SHOWN = 200
AROUND_SHOWN = 200

_STATE_ORDER = Case(When(state=AlertState.NEW, then=Value(0)), default=Value(1), output_field=IntegerField())
_SEVERITY_ORDER = Case(
    When(severity=Severity.HIGH, then=Value(0)),
    When(severity=Severity.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
OPEN_FILTER = "open"
STATES = ((OPEN_FILTER, "New or acknowledged"), *AlertState.choices)


def _alerts(request: StaffRequest) -> QuerySet[Alert]:
    """The school's alerts the user's roles open."""
    subjects = access.alert_subjects(request.user, request.school)
    return access.restrict(Alert.objects.all(), request.school, subjects)


def _alert(request: StaffRequest, pk: int) -> Alert:
    return get_object_or_404(_alerts(request).select_related("person", "incident"), pk=pk)


@dataclass(frozen=True)
class _Chosen:
    state: str
    severity: str
    kind: str

    @classmethod
    def of(cls, request: StaffRequest) -> _Chosen:
        """The filters asked for; anything else is no filter (a hand-made address shows everything)."""
        state = request.GET.get("state", "")
        severity = request.GET.get("severity", "")
        kind = request.GET.get("kind", "")
        return cls(
            state if state in dict(STATES) else "",
            severity if severity in Severity.values else "",
            kind if kind in AlertKind.values else "",
        )

    def apply(self, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.state == OPEN_FILTER:
            alerts = alerts.filter(state__in=sorted(actions.OPEN))
        elif self.state:
            alerts = alerts.filter(state=self.state)
        if self.severity:
            alerts = alerts.filter(severity=self.severity)
        if self.kind:
            alerts = alerts.filter(kind=self.kind)
        return alerts


def _locked_addresses(request: StaffRequest, alerts: list[Alert]) -> dict[int, str]:
    """The address of each attempt on a locked list among `alerts`, for the DSL alone (else nothing)."""
    locked = [a.pk for a in alerts if a.kind == AlertKind.LOCKED]
    if not locked or not access.sees_locked(request.user, request.school):
        return {}
    found: dict[int, str] = {}
    for alert_id, url in (
        ActivityEvent.objects.filter(alert_id__in=locked, locked=True)
        .order_by("at")
        .values_list("alert_id", "url")
    ):
        found.setdefault(alert_id, url)
    return found


@staff_view(ALERT_READERS)
def alerts_view(request: StaffRequest) -> HttpResponse:
    """The inbox: new first, then the most severe, then the latest; filtered by state, severity, kind."""
    chosen = _Chosen.of(request)
    alerts = (
        chosen.apply(_alerts(request))
        .select_related("person__year_group", "person__class_group", "incident")
        .order_by(_STATE_ORDER, _SEVERITY_ORDER, "-last_at", "-pk")
    )
    page = paginate(request, alerts)
    locked = _locked_addresses(request, list(page))
    context = {
        "page": page,
        "chosen": chosen,
        "states": STATES,
        "severities": Severity.choices,
        "kinds": AlertKind.choices,
        "rows": [(a, locked.get(a.pk, "")) for a in page],
        "sees_locked": access.sees_locked(request.user, request.school),
    }
    return render_page(request, "monitoring/alert_list.html", context)


def _shown(event: ActivityEvent, sees_locked: bool) -> str:
    """An event's address as the page shows it: a locked list's to the DSL alone."""
    if event.locked and not sees_locked:
        return ""
    return event.url


def _around(request: StaffRequest, alert: Alert) -> dict[str, Any]:
    """The person's other activity in the hour around the alert, as the activity log would show it
    to the user (nothing, and why, when their roles do not open this person's activity)."""
    subjects = access.activity_subjects(request.user, request.school)
    if alert.subject not in subjects:
        return {"around_allowed": False}
    start, end = alert.first_at - AROUND, alert.last_at + AROUND
    if alert.person_id is not None:
        who = Q(person_id=alert.person_id)
        visits_who = Q(person_id=alert.person_id)
    else:
        who = Q(person__isnull=True, user_name=alert.who) | Q(person__isnull=True, user_name="", ip=alert.who)
        visits_who = Q(person__isnull=True, who=alert.who)
    events = (
        access.restrict(ActivityEvent.objects.all(), request.school, subjects)
        .filter(who, at__gte=start, at__lte=end)
        .exclude(alert_id=alert.pk)
        .order_by("at", "pk")[:AROUND_SHOWN]
    )
    visits = (
        access.restrict(HourlyVisit.objects.all(), request.school, subjects)
        .filter(visits_who, hour__gte=start - dt.timedelta(hours=1), hour__lte=end)
        .order_by("hour", "site")[:AROUND_SHOWN]
    )
    return {"around_allowed": True, "around_events": list(events), "around_visits": list(visits)}


@staff_view(ALERT_READERS)
def alert_view(request: StaffRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    sees_locked = access.sees_locked(request.user, request.school)
    events = list(alert.events.order_by("at", "pk")[:EVENTS_SHOWN])
    context: dict[str, Any] = {
        "alert": alert,
        "events": [(e, _shown(e, sees_locked)) for e in events],
        "more_events": max(0, alert.event_count - len(events)),
        "sees_locked": sees_locked,
        "is_open": alert.state in actions.OPEN,
        "may_report": request.user.can(Capability.INCIDENT_REPORT, request.school),
        "dismiss_form": ReasonForm(label="Why is it dismissed?", max_length=300),
        **_around(request, alert),
    }
    return render_page(request, "monitoring/alert_detail.html", context)


def _refused(request: StaffRequest, alert: Alert, error: ValidationError) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return redirect("monitoring:alert", pk=alert.pk)


@staff_view(ALERT_READERS)
@require_POST
def acknowledge_view(request: StaffRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    try:
        actions.do_acknowledge(alert, actor=request.user)
    except ValidationError as error:
        return _refused(request, alert, error)
    messages.success(request, "Acknowledged: it shows as yours in the inbox.")
    return redirect("monitoring:alert", pk=alert.pk)


@staff_view(ALERT_READERS)
@GET_POST
def dismiss_view(request: StaffRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    form = ReasonForm(posted(request), label="Why is it dismissed?", max_length=300)
    return form_page(
        request,
        form,
        lambda: actions.do_dismiss(alert, actor=request.user, reason=form.cleaned_data["reason"]),
        done=say_and_go(
            request,
            lambda a: "Dismissed, with your reason.",
            lambda a: reverse("monitoring:alert", kwargs={"pk": a.pk}),
        ),
        template="monitoring/alert_dismiss.html",
        context={"alert": alert},
    )


@staff_view(ALERT_READERS)
@require_POST
def incident_view(request: StaffRequest, pk: int) -> HttpResponse:
    """One click: the alert becomes an incident, pre-filled; the incident's page opens."""
    alert = _alert(request, pk)
    try:
        incident = actions.do_open_incident(alert, actor=request.user)
    except ValidationError as error:
        return _refused(request, alert, error)
    messages.success(request, f"{incident} opened from the alert: check what it says and move it on.")
    return redirect("incidents:detail", ref=incident.reference)
