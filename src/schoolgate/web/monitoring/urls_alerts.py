"""The alert inbox and an alert's pages, under /monitoring/alerts/ (namespace from `urls`)."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.monitoring import views_alerts

urlpatterns = [
    path("", views_alerts.alerts_view, name="alerts"),
    path("<int:pk>/", views_alerts.alert_view, name="alert"),
    path("<int:pk>/acknowledge/", views_alerts.acknowledge_view, name="alert-acknowledge"),
    path("<int:pk>/dismiss/", views_alerts.dismiss_view, name="alert-dismiss"),
    path("<int:pk>/incident/", views_alerts.incident_view, name="alert-incident"),
]
