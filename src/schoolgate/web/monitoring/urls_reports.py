"""The weekly reports and the monitoring settings, under /monitoring/reports/ (namespace `monitoring`,
from urls.py)."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.monitoring import views_reports

urlpatterns = [
    path("", views_reports.reports_view, name="reports"),
    path("make/", views_reports.report_make_view, name="report-make"),
    path("settings/", views_reports.settings_view, name="settings"),
    path("<int:pk>/", views_reports.report_view, name="report"),
    path("<int:pk>/pdf/", views_reports.report_pdf_view, name="report-pdf"),
]
