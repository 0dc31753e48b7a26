"""The monitoring pages, under /monitoring/: each part keeps its own URL module."""

from __future__ import annotations

from django.urls import include, path

app_name = "monitoring"

urlpatterns = [
    path("alerts/", include("schoolgate.web.monitoring.urls_alerts")),
    path("", include("schoolgate.web.monitoring.urls_activity")),
    path("reports/", include("schoolgate.web.monitoring.urls_reports")),
]
