"""The weekly monitoring reports: the register of reports, a report's page and PDF, making this week's
report now, and the monitoring settings.

The register (which weeks, when made, sent to whom and when, read by whom and when) is for everyone
who answers for the reports, governors included: it shows that each was sent and read, and holds
nothing of what a report says. A report itself opens only for those who see alerts
(`REPORT_CONTENT`); each sees it added up over the people their role opens (`weekly.read`), and the
first time they open it is kept (`WeeklyReportRead`), which the register shows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.actions import require, save
from schoolgate.web.core.views import GET_POST, paginate, render_page
from schoolgate.web.monitoring import access, weekly, weekly_pdf
from schoolgate.web.monitoring.apps import REPORT_CONTENT, REPORT_READERS
from schoolgate.web.monitoring.forms_reports import WEEKDAYS, SettingsForm
from schoolgate.web.monitoring.models import MonitoringSettings, WeeklyReport, WeeklyReportRead
from schoolgate.web.reports.terms import school_zone


def _reads_content(request: StaffRequest) -> bool:
    return any(request.user.can(c, request.school) for c in REPORT_CONTENT)


@staff_view(REPORT_READERS)
@require_safe
def reports_view(request: StaffRequest) -> HttpResponse:
    chosen = weekly.settings_for(request.school)
    reports = WeeklyReport.objects.filter(school=request.school).prefetch_related(
        Prefetch("reads", queryset=WeeklyReportRead.objects.select_related("user").order_by("read_at"))
    )
    context: dict[str, Any] = {
        "page": paginate(request, reports.order_by("-week_start"), per_page=26),
        "reads_content": _reads_content(request),
        "can_make": request.user.can(Capability.MONITORING_SETTINGS, request.school),
        "schedule": f"{dict(WEEKDAYS)[chosen.report_weekday]} at {chosen.report_hour:02d}:00",
    }
    return render_page(request, "monitoring/report_list.html", context)


def _reading(request: StaffRequest, pk: int) -> tuple[WeeklyReport, weekly.Reading]:
    """The report, read as this user may see it; the first reading of it kept. Another school's report
    is not found, whatever the method; then only GET (and HEAD) read it."""
    report = get_object_or_404(WeeklyReport, school=request.school, pk=pk)
    if request.method not in ("GET", "HEAD"):
        raise _MethodNotAllowedError
    if not WeeklyReportRead.objects.filter(report=report, user=request.user).exists():
        try:
            with transaction.atomic():
                WeeklyReportRead.objects.create(report=report, user=request.user, read_at=timezone.now())
        except IntegrityError:  # the same user's other tab was first: the first reading stands
            pass
    school = request.school
    reading = weekly.read(
        report, access.alert_subjects(request.user, school), access.activity_subjects(request.user, school)
    )
    return report, reading


class _MethodNotAllowedError(Exception):
    """A report's page or PDF asked for with another method than GET or HEAD."""


def _read_only(
    view: Callable[[StaffRequest, int], HttpResponse],
) -> Callable[[StaffRequest, int], HttpResponse]:
    @wraps(view)
    def wrapped(request: StaffRequest, pk: int) -> HttpResponse:
        try:
            return view(request, pk)
        except _MethodNotAllowedError:
            return HttpResponseNotAllowed(["GET", "HEAD"])

    return wrapped


@staff_view(REPORT_CONTENT)
@_read_only
def report_view(request: StaffRequest, pk: int) -> HttpResponse:
    report, reading = _reading(request, pk)
    context = {"report": report, "reading": reading, "zone": school_zone(request.school)}
    return render_page(request, "monitoring/report_detail.html", context)


@staff_view(REPORT_CONTENT)
@_read_only
def report_pdf_view(request: StaffRequest, pk: int) -> HttpResponse:
    report, reading = _reading(request, pk)
    response = HttpResponse(weekly_pdf.render(request.school.name, reading), content_type="application/pdf")
    name = f"weekly-monitoring-report-{report.week_start:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view(Capability.MONITORING_SETTINGS)
@require_POST
def report_make_view(request: StaffRequest) -> HttpResponse:
    """This week's report so far, made now and not sent: the schedule makes it again once the week is
    over, and sends that."""
    require(request.user, Capability.MONITORING_SETTINGS, request.school)
    now = timezone.now()
    monday = weekly.this_week(now.astimezone(school_zone(request.school)).date())
    report = weekly.make_report(request.school, monday, now=now)
    if report.sent_at is not None:
        messages.info(request, "This week's report has been sent already: it is kept as it was sent.")
    else:
        messages.success(
            request,
            "This week's report so far is made. It was not sent: the report of the whole week is made "
            "again and sent on the day chosen in the settings.",
        )
    return redirect("monitoring:report", pk=report.pk)


@staff_view(Capability.MONITORING_SETTINGS)
@GET_POST
def settings_view(request: StaffRequest) -> HttpResponse:
    current = weekly.settings_for(request.school)
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            require(request.user, Capability.MONITORING_SETTINGS, request.school)
            changed: MonitoringSettings = form.save(commit=False)
            save(changed, actor=request.user, reason="monitoring settings changed")
            messages.success(request, "Saved the monitoring settings.")
            return redirect("monitoring:settings")
        return render_page(request, "monitoring/report_settings.html", {"form": form}, status=400)
    return render_page(request, "monitoring/report_settings.html", {"form": form})
