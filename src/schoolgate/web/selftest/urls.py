"""The self-test's pages, under /selftest/."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.selftest import views

app_name = "selftest"

urlpatterns = [
    path("", views.runs_view, name="runs"),
    path("run/", views.run_now_view, name="run-now"),
    path("runs/<int:pk>/", views.run_view, name="run"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/edit/", views.settings_edit_view, name="settings-edit"),
    path("settings/gateways/", views.gateways_edit_view, name="gateways-edit"),
    path("identities/new/", views.identity_new_view, name="identity-new"),
    path("identities/<int:pk>/", views.identity_view, name="identity"),
    path("identities/<int:pk>/remove/", views.identity_delete_view, name="identity-delete"),
]
